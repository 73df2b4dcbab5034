"""Hostile inputs of the fuzzer's ``finality`` class (:mod:`benchmarks.fuzz_finality`):
payments, their double spends, and commitment postings on the finality atoms (tracked
single premises, compound conditions, hostile fields written as JSON text, structural
faults), all drawn from one :class:`random.Random`."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from accord.device import Device, Transaction
from accord.device.commitments.language import Cmp
from accord.device.commitments.registry import REGISTRY_ADDRESS, CommitmentRegistry
from benchmarks.fuzz_episode import HONEST, HOSTILE
from benchmarks.fuzz_inputs import Signer

CMPS: tuple[Cmp, ...] = ("<", "<=", "==", "!=", ">=", ">")
HUGE_DIGITS = "9" * 5_000
BAD_NUMBERS = (
    "-1",
    str(1 << 63),
    str(1 << 64),
    HUGE_DIGITS,
    "-" + HUGE_DIGITS,
    "1e999",
    "NaN",
    "Infinity",
    "-Infinity",
    "3.0",
    "2.5",
    "true",
    '"3"',
    "[3]",
    "{}",
    "null",
)
BAD_HASHES = (
    json.dumps("AB" * 32),
    json.dumps("0x" + "ab" * 32),
    json.dumps("ab" * 31 + "a"),
    json.dumps("ab" * 32 + "a"),
    json.dumps("zz" * 32),
    json.dumps("ab" * 32 + "\n"),
    json.dumps("\u0663" * 64),
    "7",
    "null",
    "[]",
    HUGE_DIGITS,
)


@dataclass(frozen=True)
class Tracked:
    """A posted commitment whose condition is one finality premise (checked if it fires)."""

    kind: str  # "included", "finalized" or "excluded"
    tx: bytes = b""
    by: int | None = None
    cmp: Cmp = ">="
    value: int = 0


class FinalityInputs:
    """Payments and finality commitment postings of one episode."""

    def __init__(self, device: Device, rng: random.Random) -> None:
        self.device, self.rng = device, rng
        self.signer = Signer(device)
        self.next_nonce: dict[str, int] = {}
        self.payments: list[Transaction] = []
        self.doubles: dict[bytes, Transaction] = {}
        self.labels = 0

    def nonce(self, sender: str) -> int:
        known = self.device.nonce(sender)
        mine = self.next_nonce.get(sender, known)
        return known if mine < known or mine > known + 8 else mine

    def sign(
        self,
        sender: str,
        to: str,
        method: str,
        args: tuple[Any, ...],
        value: Any,
        gas: int,
        fee: int,
        tip: int,
        nonce: int,
    ) -> Transaction:
        content = (sender, nonce, to, method, args, value, gas, fee, tip)
        return self.signer.sign(sender, content, self.rng)

    def payment(self) -> tuple[Transaction, Transaction]:
        """A hostile sender's payment to an honest one, and a double spend of its nonce
        (to the sender itself, outbidding it) for a fork to use."""
        rng = self.rng
        sender = rng.choice(HOSTILE)
        nonce = self.nonce(sender)
        fee = max(self.device.base_fee * 2, 10_000)
        pay = self.sign(
            sender,
            rng.choice(HONEST),
            "",
            (),
            (("ETH", 1 + rng.randrange(99)),),
            60_000,
            fee,
            1,
            nonce,
        )
        double = self.sign(sender, sender, "", (), (("ETH", 1),), 60_000, fee * 2, 50, nonce)
        self.payments.append(pay)
        self.doubles[pay.hash] = double
        return pay, double

    def submitted(self, tx: Transaction) -> None:
        self.next_nonce[tx.sender] = tx.nonce + 1

    # -- documents ---------------------------------------------------------------------
    def _hash(self) -> bytes:
        rng = self.rng
        if self.payments and rng.random() < 0.85:
            return rng.choice(self.payments[-12:]).hash
        return rng.randbytes(32)

    def _block_number(self) -> int:
        rng = self.rng
        near = self.device.number + rng.randrange(-4, 8)
        return max(0, near) if rng.random() < 0.9 else rng.choice((0, (1 << 63) - 1))

    def _atom(self) -> tuple[dict[str, Any], Tracked]:
        rng = self.rng
        roll = rng.randrange(4)
        if roll == 0:
            h = self._hash()
            return {"op": "final_included", "tx": h.hex()}, Tracked("included", h)
        if roll == 1:
            h, by = self._hash(), self._block_number()
            return {"op": "final_included", "tx": h.hex(), "by": by}, Tracked("included", h, by)
        if roll == 2:
            cmp, value = rng.choice(CMPS), self._block_number()
            atom: dict[str, Any] = {"op": "finalized", "cmp": cmp, "value": value}
            return atom, Tracked("finalized", cmp=cmp, value=value)
        h, by = self._hash(), self._block_number()
        atom = {
            "op": "and",
            "args": [
                {"op": "finalized", "cmp": ">=", "value": by},
                {"op": "not", "arg": {"op": "final_included", "tx": h.hex(), "by": by}},
            ],
        }
        return atom, Tracked("excluded", h, by)

    def _complex(self, owner: str) -> dict[str, Any]:
        rng = self.rng
        size = rng.choice((2, 5, 50, 2_000))
        atoms: list[dict[str, Any]] = []
        for _ in range(size):
            roll = rng.randrange(6)
            if roll < 3:
                atoms.append(self._atom()[0])
            elif roll == 3:
                atoms.append(
                    {
                        "op": "balance",
                        "account": owner,
                        "asset": "USD",
                        "cmp": ">",
                        "value": rng.randrange(-5, 5),
                    }
                )
            elif roll == 4:
                atoms.append({"op": "fires", "ref": f"{rng.choice(HOSTILE)}/f{rng.randrange(50)}"})
            else:
                atoms.append({"op": "not", "arg": self._atom()[0]})
        shape = rng.randrange(4)
        if shape == 0:
            return {"op": "and", "args": atoms}
        if shape == 1:
            return {"op": "or", "args": atoms}
        if shape == 2:
            return {"op": "provable", "arg": {"op": "or", "args": atoms}}
        return {"op": "implies", "premise": atoms[0], "conclusion": {"op": "or", "args": atoms}}

    def _hostile_condition(self) -> str:
        """A finality atom with one field replaced by a hostile JSON text."""
        rng = self.rng
        roll = rng.randrange(4)
        good = self._hash().hex()
        if roll == 0:
            text = f'{{"op":"final_included","tx":{rng.choice(BAD_HASHES)}}}'
        elif roll == 1:
            text = f'{{"op":"final_included","tx":"{good}","by":{rng.choice(BAD_NUMBERS)}}}'
        elif roll == 2:
            text = f'{{"op":"finalized","cmp":">=","value":{rng.choice(BAD_NUMBERS)}}}'
        else:
            cmp = rng.choice(('"=>"', "1", "null", '"= "', '">="'))
            value = rng.choice(("3", *BAD_NUMBERS))
            text = f'{{"op":"finalized","cmp":{cmp},"value":{value}}}'
        if rng.random() < 0.3:  # a valid atom beside a view whose arguments nest a float
            text = json.dumps(self._atom()[0])
            arg = rng.choice(("[[1.5]]", "[[NaN]]", f"[[{HUGE_DIGITS}]]", '[[{"a":1}]]', "[[3]]"))
            view = (
                f'{{"op":"view","contract":"{REGISTRY_ADDRESS}","method":"count",'
                f'"args":{arg},"cmp":">=","value":0}}'
            )
            text = f'{{"op":"or","args":[{text},{view}]}}'
        return text

    def _structural(self, owner: str) -> str:
        rng = self.rng
        roll = rng.randrange(4)
        h = self._hash().hex()
        if roll == 0:
            inner = f'{{"op":"final_included","tx":"{h}"}}'
            return '{"op":"not","arg":' * 5_000 + inner + "}" * 5_000
        if roll == 1:
            op = rng.choice(("final_include", "Finalized", "final_excluded"))
            return f'{{"op":"{op}","tx":"{h}"}}'
        if roll == 2:
            return f'{{"op":"final_included","tx":"{h}","surprise":1}}'
        return f'{{"op":"finalized","cmp":">=","value":1,"by":{rng.randrange(9)}}}'

    def posting(self) -> tuple[Transaction, str, Tracked | None, str]:
        """A signed posting, its kind, and the premise it tracks (None: untracked)."""
        rng = self.rng
        owner = rng.choice(HOSTILE)
        self.labels += 1
        label = f"f{self.labels}"
        expiry = self.device.number + rng.choice((1, 3, 8, 20, 60))
        roll = rng.random()
        tracked: Tracked | None = None
        if roll < 0.35:
            kind = "tracked"
            condition, tracked = self._atom()
            text = self._document(owner, label, expiry, json.dumps(condition))
        elif roll < 0.5:
            kind = "complex"
            text = self._document(owner, label, expiry, json.dumps(self._complex(owner)))
        elif roll < 0.9:
            kind = "hostile_field"
            text = self._document(owner, label, expiry, self._hostile_condition())
        else:
            kind = "structural"
            text = self._document(owner, label, expiry, self._structural(owner))
            if rng.random() < 0.3:
                text = text.replace(f'"owner":"{owner}"', f'"owner":"{rng.choice(HOSTILE)}"', 1)
        gas = 3_000_000
        if kind in ("tracked", "complex"):
            try:
                _, gas = CommitmentRegistry.posting(text, owner, self.device.number + 1)
            except Exception:
                gas = 3_000_000
        gas = min(gas, self.device.config.block_gas_limit)
        fee = max(self.device.base_fee * 2, 10_000)
        nonce = self.nonce(owner)
        tx = self.sign(owner, REGISTRY_ADDRESS, "post", (text,), (), gas, fee, 1, nonce)
        return tx, kind, tracked, f"{owner}/{label}"

    @staticmethod
    def _document(owner: str, label: str, expiry: int, condition: str) -> str:
        action = '{"kind":"transfer","asset":"USD","to":"h0","amount":1}'
        return (
            f'{{"owner":"{owner}","label":"{label}","expiry":{expiry},'
            f'"condition":{condition},"actions":[{action}]}}'
        )
