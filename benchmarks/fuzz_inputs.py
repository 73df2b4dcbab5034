"""Hostile inputs for the device fuzzer (:mod:`benchmarks.fuzz_device`), class by class.

Every generator draws from one :class:`random.Random` (seeded by the fuzzer, no global
random state), so a run is reproducible from its seed. The cheap classes are cheap: a
hostile transaction is a valid one with one to three fields replaced by a value from a
pool of hostile values, re-hashed and signed with the sender's own key, so that the only
thing wrong with it is the hostile field.

The classes (the keys of the fuzzer's per-class counts):

* ``field``: every signed field hostile (types, negatives, floats, NaN, huge, nested,
  wrong lengths, duplicate value entries), and whole transactions of the wrong shape;
* ``forged``: altered contents, flipped or foreign signatures, signatures of the wrong
  type or length;
* ``wrong_chain``: transactions signed for another device (another seed or chain id);
* ``replay``: transactions already included, sent again;
* ``spam``: well-formed transactions from accounts that hold nothing;
* ``bundle``: empty bundles, duplicate transactions, blocks out of range, reverting
  sets of foreign hashes, bundles of hostile or forged transactions;
* ``builder``: a builder choosing unknown, duplicate or out-of-range items and
  inserting hostile ones of its own (whether or not ``builder_may_insert``);
* ``deploy``: deployments naming arbitrary modules (``"this:X"``, ``".x:Y"``,
  ``"os:system"``...): nothing may be imported;
* ``contract``: calls to the hostile test contracts (``tests/device/hostile_contracts``);
* ``commitment``: commitments with huge expiries and many atoms, and malformed ones.
"""

from __future__ import annotations

import hashlib
import marshal
import random
from collections.abc import Callable, Sequence
from typing import Any

from accord.device import DEPLOY, Bundle, Device, Transaction
from accord.device.commitments.registry import REGISTRY_ADDRESS

NAN = float("nan")
INF = float("inf")


def _nested(depth: int) -> Any:
    out: Any = 1
    for _ in range(depth):
        out = (out,)
    return out


class Unencodable:
    """An object the canonical encoding (``marshal``) refuses."""

    def __repr__(self) -> str:
        return "Unencodable()"


GENERIC: tuple[Any, ...] = (
    -1,
    -(2**64),
    0,
    2**63,
    2**256,
    10**80,
    1.5,
    -0.5,
    1e5,
    NAN,
    INF,
    -INF,
    True,
    False,
    None,
    "",
    "x",
    "-1",
    "0x" + "ab" * 20,
    b"\x00" * 32,
    bytearray(b"x"),
    [],
    [1],
    (),
    (1,),
    {},
    {"a": 1},
    frozenset({1}),
    1j,
    _nested(300),
    "a" * 5_000,
    Unencodable(),
)
"""Hostile values tried in any field."""


CONTRACT_ARGS: tuple[Any, ...] = (
    0,
    1,
    10,
    10**6,
    10**7,
    -1,
    "x",
    REGISTRY_ADDRESS,
    *("spin", "exit", "memory", "recursion", "generator_exit", "custom", "revert", "short"),
)
"""Arguments for calls to the hostile test contracts: sizes, depths and the names of
their ways of misbehaving (not ``"keyboard"``: a ``KeyboardInterrupt`` is how the
fuzzer itself is stopped, so it cannot tell one raised by a contract from Ctrl-C)."""


def field_pools(contracts: Sequence[str], block_gas_limit: int) -> dict[int, tuple[Any, ...]]:
    """Per field index (sender, nonce, to, method, args, value, gas_limit, max_fee,
    priority_fee), the values tried on top of :data:`GENERIC`."""
    target = contracts[0] if contracts else "nobody"
    return {
        0: ("nobody", "builder", "treasury", "0xdead", REGISTRY_ADDRESS, "h0"),
        1: (10**6, 2**63 - 1, -(10**9)),
        2: (
            [target],
            (target,),
            target + "x",
            target.upper(),
            REGISTRY_ADDRESS,
            DEPLOY,
            "builder",
            b"addr",
        ),
        3: (
            "_take",
            "__class__",
            "__init__",
            "_entries",
            "_bind",
            "setup",
            "storage",
            "move\x00",
            "spin",
            "fail",
            "post",
            "transfer",
            "this:X",
        ),
        4: (
            ("a", "b", -5),
            ("a", "b", NAN),
            ("a", "b", 1.5),
            ("a", "b", 10**100),
            ("a", "b", True),
            ([1], "b", 1),
            ({"a": 1}, "b", 1),
            ("a",),
            ("a", "b", 1, 2, 3, 4),
            tuple(range(300)),
            ("ETH", -(10**30)),
            ("ETH", 10**30),
            ("ETH", 1, "h0"),
            ("ETH", 1, ["h0"]),
            ("x" * 20_000,),
            ("y" * 1_000_000,),
            ["a", "b", 1],
            "abc",
            7,
        ),
        5: (
            (("ETH", -5),),
            (("ETH", -(10**30)),),
            (("ETH", 5), ("ETH", 5)),
            (("USD", 3), ("USD", 3)),
            (("USD", 3), ("ETH", 1), ("USD", 3)),
            (("ETH", 1.5),),
            (("ETH", NAN),),
            (("ETH", INF),),
            (("ETH", True),),
            (("NOPE", 1),),
            (("ETH",),),
            (("ETH", 1, 2),),
            ((1, 5),),
            ((None, 5),),
            ("ETH", 5),
            (("ETH", 10**30),),
            (("ETH", 0),),
            (("USD", 1), ("ETH", 1)),
            [["ETH", 5]],
            {"ETH": 5},
            (("ETH", "5"),),
        ),
        6: (20_999, block_gas_limit + 1, 2**64, 1.5e5, 100_000.0, "100000"),
        7: (999, 2**200, 10_000.0, "10000"),
        8: (2**200, 10**7, 0.5, "1"),
    }


def content_hash(content: tuple[Any, ...], rng: random.Random) -> bytes:
    """The transaction hash of ``content`` (random bytes when it cannot be encoded)."""
    try:
        data = marshal.dumps(content, 0)
    except ValueError:
        return rng.randbytes(32)
    return hashlib.blake2b(data, digest_size=32).digest()


class Signer:
    """Signs arbitrary (hostile) contents with an account's own key, as a sender that
    wants the device to take a malformed transaction would."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self._keys: dict[str, Any] = {}

    def key(self, name: str) -> Any:
        found = self._keys.get(name)
        if found is None:
            found = self._keys[name] = self.device.account(name)
        return found

    def sign_hash(self, name: str, digest: bytes) -> bytes:
        """``name``'s signature of a 32-byte digest (a transaction hash), under the
        device's scheme and chain (``Account.sign_digest``; a bare MAC of the digest on
        a device that predates it)."""
        account = self.key(name)
        sign_digest = getattr(account, "sign_digest", None)
        if sign_digest is not None:
            signature: bytes = sign_digest(digest)
            return signature
        from accord.device.transaction import mac

        return mac(account.key, digest)

    def sign(self, name: str, content: tuple[Any, ...], rng: random.Random) -> Transaction:
        digest = content_hash(content, rng)
        return Transaction(*content, digest, self.sign_hash(name, digest))


class Inputs:
    """The hostile input generators of one episode (one device)."""

    def __init__(
        self,
        device: Device,
        rng: random.Random,
        *,
        senders: Sequence[str],
        spammers: Sequence[str],
        contracts: Sequence[str],
    ) -> None:
        self.device, self.rng = device, rng
        self.signer = Signer(device)
        self.senders, self.spammers, self.contracts = list(senders), list(spammers), contracts
        self.pools = field_pools(contracts, device.config.block_gas_limit)
        self.spam_nonce: dict[str, int] = dict.fromkeys(spammers, 0)

    # -- valid transactions, the raw material -------------------------------------------
    def base_content(self, sender: str | None = None) -> tuple[Any, ...]:
        """A valid transaction's signed fields from ``sender`` (near its next nonce)."""
        rng = self.rng
        sender = sender or rng.choice(self.senders)
        nonce = self.device.nonce(sender) + rng.randrange(3)
        fee = max(self.device.base_fee * 2, 10_000)
        kind = rng.randrange(3)
        if kind == 0 and self.contracts:
            to, method, args = self.contracts[0], "move", ("a", "b", rng.randrange(3))
            value: tuple[tuple[str, int], ...] = ()
        elif kind == 1 and len(self.contracts) > 1:
            to, method, args = self.contracts[1], "lock", ("USD", rng.randrange(1, 5))
            value = ()
        else:
            to, method, args = rng.choice(self.senders), "", ()
            value = (("ETH", rng.randrange(1, 1000)),)
        return (sender, nonce, to, method, args, value, 60_000, fee, rng.randrange(3))

    def valid(self, sender: str | None = None) -> Transaction:
        content = self.base_content(sender)
        return self.signer.sign(content[0], content, self.rng)

    # -- field -------------------------------------------------------------------------
    def field(self) -> Any:
        """A transaction with hostile fields signed by its own sender (or of a wrong
        shape altogether)."""
        rng = self.rng
        roll = rng.random()
        content = list(self.base_content())
        signer = content[0]
        if roll < 0.03:  # the wrong shape for a whole transaction
            tx = self.signer.sign(signer, tuple(content), rng)
            return rng.choice(
                (
                    tuple(tx)[:10],
                    (*tuple(tx), b"extra"),
                    tuple(tx)[:3],
                    None,
                    "tx",
                    [*tuple(tx)],
                    {"sender": signer},
                    (),
                )
            )
        for _ in range(1 if roll < 0.75 else rng.randrange(2, 4)):
            index = rng.randrange(9)
            pool = self.pools[index] if rng.random() < 0.6 else GENERIC
            content[index] = rng.choice(pool)
        return self.signer.sign(signer, tuple(content), rng)

    # -- forged ------------------------------------------------------------------------
    def forged(self) -> Any:
        rng = self.rng
        tx = self.valid()
        kind = rng.randrange(7)
        if kind == 0:  # a flipped bit of the signature
            sig = bytearray(tx.signature)
            sig[rng.randrange(len(sig))] ^= 1 << rng.randrange(8)
            return tx._replace(signature=bytes(sig))
        if kind == 1:  # altered contents, old hash and signature
            return tx._replace(value=(("ETH", 10**9),), to=rng.choice(self.senders))
        if kind == 2:  # altered contents re-hashed, old signature
            content = (*tx[:6], tx.gas_limit, tx.max_fee + 1, tx.priority_fee)
            return tx._replace(max_fee=tx.max_fee + 1, hash=content_hash(content, rng))
        if kind == 3:  # signed by another account's key
            other = rng.choice([s for s in self.senders if s != tx.sender] or self.senders)
            return tx._replace(signature=self.signer.sign_hash(other, tx.hash))
        if kind == 4:  # a signature of the wrong type or length
            return tx._replace(signature=rng.choice((b"", tx.signature[:-1], "sig", None, 0)))
        if kind == 5:  # a hash of the wrong type or length
            return tx._replace(hash=rng.choice((tx.hash[:-1], tx.hash.hex(), None)))
        # another sender's name on one's own signature
        victim = rng.choice([s for s in self.senders if s != tx.sender] or self.senders)
        content = (victim, self.device.nonce(victim), *tx[2:9])
        digest = content_hash(content, rng)
        return Transaction(*content, digest, self.signer.sign_hash(tx.sender, digest))

    # -- spam --------------------------------------------------------------------------
    def spam(self) -> Transaction:
        """A well-formed transaction from an account holding nothing."""
        rng = self.rng
        who = rng.choice(self.spammers)
        nonce = self.spam_nonce[who]
        self.spam_nonce[who] = nonce + 1
        content = (who, nonce, rng.choice(self.senders), "", (), (("ETH", 1),), 21_000, 10**6, 1)
        return self.signer.sign(who, content, rng)

    # -- bundles -----------------------------------------------------------------------
    def bundle(self, number: int, pending: Sequence[Transaction]) -> Any:
        """A hostile bundle; some bypass :class:`Bundle`'s own checks, as any caller
        in the process can."""
        rng = self.rng
        kind = rng.randrange(11)
        txs = tuple(self.valid() for _ in range(rng.randrange(1, 4)))
        if kind == 0:
            return _raw_bundle((), number, number + 1, frozenset())
        if kind == 1:
            return Bundle(txs + txs, number + 1, number + 2)
        if kind == 2:
            low = rng.choice((number + 10**6, -5, 2**70, number - 3))
            return _raw_bundle(txs, low, rng.choice((None, low - 1, low, -(2**70))), frozenset())
        if kind == 3:
            foreign = frozenset(rng.randbytes(32) for _ in range(3))
            return Bundle(
                txs, number + 1, number + 1, foreign | {pending[0].hash} if pending else foreign
            )
        if kind == 4:
            return Bundle((*txs, self.forged()), number + 1, number + 3)
        if kind == 5:
            return Bundle((self.field(), *txs), number + 1, number + 3)
        if kind == 6:
            reverting = rng.choice(([tx.hash for tx in txs], {"x"}, None, frozenset({1, 2})))
            return _raw_bundle(txs, number + 1, number + 2, reverting)
        if kind == 7:
            return _raw_bundle([*txs, None], rng.choice((1.5, "1", NAN)), None, frozenset())
        if kind == 8 and pending:  # pending transactions in a bundle too
            return Bundle(tuple(pending[:3]), number + 1, number + 1)
        if kind == 9:  # a reverting transaction allowed to revert, from a spammer
            spam = self.spam()
            return Bundle((spam, *txs), number + 1, number + 1, frozenset({spam.hash}))
        return Bundle(txs, number + 1, number + 1)

    # -- deploy ------------------------------------------------------------------------
    DEPLOY_NAMES: tuple[str, ...] = (
        "this:X",
        "__hello__:X",
        "__phello__:X",
        "tabnanny:X",
        "pickletools:X",
        "wave:Wave_read",
        "colorsys:X",
        "tests.device.sample_contracts:Vault",
        ".x:Y",
        "..:Z",
        ".:Y",
        ":",
        "a:",
        ":b",
        "x" * 3000 + ":Y",
        "os:system",
        "sys:exit",
        "builtins:eval",
        "subprocess:Popen",
        "importlib:import_module",
        "accord:Device",
        "accord.device.ledger:Ledger",
        "accord.device.contract:Contract",
        "accord.contracts.escrow:Nope",
        "accord.contracts.escrow:Escrow.__init__",
        "benchmarks.bench_contracts:Escrow.balances",
        "benchmarks.bench_contracts:Escrow",
        "\x00:Y",
        "accord.contracts\x00:X",
    )
    """Module names a hostile deployer may name. Imports are checked on the first
    seven and the test module, which are not loaded when the fuzzer starts."""

    PROBE_MODULES: tuple[str, ...] = (
        "this",
        "__hello__",
        "__phello__",
        "tabnanny",
        "pickletools",
        "wave",
        "colorsys",
        "tests.device.sample_contracts",
    )

    def deploy(self) -> Transaction:
        rng = self.rng
        name = rng.choice(self.DEPLOY_NAMES)
        args = rng.choice(((), (1,), ("x" * 100,), (NAN,), ([1],)))
        sender = rng.choice(self.senders)
        nonce = self.device.nonce(sender) + rng.randrange(2)
        content = (sender, nonce, DEPLOY, name, args, (), 500_000, 10**6, 1)
        return self.signer.sign(sender, content, rng)

    # -- calls to hostile contracts ----------------------------------------------------
    def contract_call(self, targets: Sequence[tuple[str, str, int]]) -> Transaction:
        """A call to one of ``targets`` ((address, method, arity)) with small arguments."""
        rng = self.rng
        address, method, arity = rng.choice(targets)
        victim = rng.choice(("h0", "h1", "h2", *self.senders))
        pool = (*CONTRACT_ARGS, address, rng.choice(targets)[0], victim)
        args = tuple(rng.choice(pool) for _ in range(arity))
        sender = rng.choice(self.senders)
        nonce = self.device.nonce(sender) + rng.randrange(2)
        gas = rng.choice((50_000, 1_000_000, 5_000_000))
        content = (sender, nonce, address, method, args, (), gas, 10**6, 1)
        return self.signer.sign(sender, content, rng)

    # -- commitments -------------------------------------------------------------------
    def commitment(self, label: int) -> Transaction:
        """A posting of a commitment with a huge expiry and many atoms (or a malformed
        document)."""
        rng = self.rng
        owner = rng.choice(self.senders)
        atoms = rng.choice((1, 50, 500, 2_000))
        condition = {
            "op": "or",
            "args": [
                {"op": "balance", "account": owner, "asset": "USD", "cmp": "<", "value": -1 - i}
                for i in range(atoms)
            ],
        }
        document: dict[str, Any] = {
            "version": 1,
            "owner": owner,
            "label": f"c{label}",
            "expiry": rng.choice((10**18, 2**63, 10**6, self.device.number + 2)),
            "condition": condition,
            "actions": [{"kind": "transfer", "asset": "USD", "to": "h0", "amount": 1}],
        }
        roll = rng.random()
        if roll < 0.1:
            document["owner"] = rng.choice(self.senders)  # maybe not the sender
        elif roll < 0.2:
            document["expiry"] = rng.choice((-1, 1.5, "never", None))
        import json

        text = json.dumps(document)
        if roll > 0.95:
            text = "[" * 5_000 + "]" * 5_000
        gas = min(self.device.config.block_gas_limit, 100_000 + 16 * len(text))
        nonce = self.device.nonce(owner)
        content = (owner, nonce, REGISTRY_ADDRESS, "post", (text,), (), gas, 10**6, 1)
        return self.signer.sign(owner, content, rng)


def _raw_bundle(txs: Any, min_block: Any, max_block: Any, reverting: Any) -> Bundle:
    """A :class:`Bundle` built without its own checks (a frozen dataclass can be)."""
    bundle = object.__new__(Bundle)
    for name, value in (
        ("txs", txs),
        ("min_block", min_block),
        ("max_block", max_block),
        ("reverting", reverting),
    ):
        object.__setattr__(bundle, name, value)
    return bundle


Generator = Callable[[], Any]
