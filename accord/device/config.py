"""The device's design, as data: every switch an experiment may turn.

:class:`DeviceConfig` is validated by pydantic, so a bad value gets an error naming the
key. :class:`Genesis` says which assets exist at block 0, who issues them and who holds
them. Both are written to the event log, so a replay rebuilds the same device.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Ordering = Literal["fcfs", "priority", "random", "batch"]
Visibility = Literal["public", "private", "sealed"]
FeeKind = Literal["eip1559", "first_price"]
ForkChoice = Literal["longest", "heaviest"]
SignatureScheme = Literal["ed25519", "mac"]
DEFAULT_CHAIN_ID = 1
"""The chain id of a device whose config names none."""
DEFAULT_CONTRACT_MODULES = ("accord.contracts",)
"""The contract allowlist of a genesis that names none: accord's own contracts."""
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_HEX32 = re.compile(r"[0-9a-f]{64}\Z")


def is_dotted(name: object) -> bool:
    """Whether ``name`` is a dotted Python identifier path (``a.b_c.d``), at most 200
    characters: the only module names the allowlist and a deploy may use."""
    return type(name) is str and len(name) <= 200 and _DOTTED.match(name) is not None


class DeviceConfig(BaseModel):
    """Every design switch of the commitment device.

    * ``ordering``: ``fcfs`` (arrival), ``priority`` (tip, then arrival), ``random``
      (seeded) or ``batch`` (frequent batch auction: canonical order, uniform settlement).
    * ``ordering_enforced``: the device itself orders the builder's chosen items by the
      rule; when false, the builder's own order stands (the rule is only a convention).
    * ``mempool``: ``public`` (all see pending txs), ``private`` (only the builder does)
      or ``sealed`` (contents hidden from everyone until inclusion).
    * ``fee_market``: ``eip1559`` or ``first_price``.
    * ``builder_may_insert``: whether the builder may add its own transactions.
    * ``latency_ms``: per-account delay between submitting and arriving in the mempool;
      ``default_latency_ms`` for the rest.
    * ``finality_depth``: a block is final once this many blocks are built on it; until
      then a fork may replace it (:meth:`Device.reorg <accord.device.forks.Forks.reorg>`,
      ``docs/finality.md``). 0: every block is final when sealed (no undo is kept).
    * ``fork_choice``: which of two chains is canonical: ``longest`` (more blocks; a
      tie keeps the chain in place) or ``heaviest`` (more weight, each block weighing
      its builder's ``builder_shares`` entry; a tie keeps the chain in place).
    * ``builder_shares``: each builder's share α of block production, in basis points
      (a builder not listed weighs 0): the weights of the ``heaviest`` rule.
    * ``record_inclusions``: whether the device records each included transaction's
      block number in a tracked table (``ctx.included``, ``device.included``; the state
      hash covers it and a reorg undoes it). ``None`` (the default): on when
      ``finality_depth > 0``, where a contract must tell a canonical transaction from a
      reorged one; off otherwise, so a device that cannot fork has the state hashes it
      had before the table existed.
    * ``receipts_roots``: whether each header commits to its receipts
      (``receipts_root``, the RFC 6962 Merkle root over pages of receipts,
      :mod:`accord.device.receipts_root`), which a receipt's inclusion proof ends at.
      Off by default: an embedded lab device serves no proofs, and the root costs about
      a third of a microsecond a receipt (``docs/device.md``). Off, a header's
      ``receipts_root`` is the empty tree's root whatever its ``receipt_count``. The node
      turns it on (``accord node`` serves ``accord_getProof``).
    * ``mempool_lifetime_ms``: a transaction or bundle still pending this long after it
      arrived is evicted when a block is sealed (geth's ``txpool.lifetime``, 3 hours by
      default), so one stuck on a nonce gap, an unaffordable fee or a condition that
      never holds cannot hold its sender's later nonces for ever; ``None`` keeps
      everything until it lands or its nonce is used.
    * ``signatures``: ``ed25519`` (public-key accounts: the device verifies with public
      keys only; the default) or ``mac`` (closed simulations where the device holds every
      key; faster), :mod:`accord.device.transaction`.
    * ``chain_id``: every signature covers it (EIP-155's role), so a transaction signed
      for one device is refused by a device with another chain id.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    block_time_ms: int = Field(12_000, gt=0)
    block_gas_limit: int = Field(30_000_000, gt=0)
    ordering: Ordering = "priority"
    ordering_enforced: bool = True
    mempool: Visibility = "public"
    fee_market: FeeKind = "eip1559"
    initial_base_fee: int = Field(1_000, ge=0)
    fee_asset: str = "ETH"
    builder: str = "builder"
    builder_may_insert: bool = False
    default_latency_ms: int = Field(0, ge=0)
    latency_ms: dict[str, int] = Field(default_factory=dict)
    finality_depth: int = Field(0, ge=0, le=1024)
    fork_choice: ForkChoice = "longest"
    builder_shares: dict[str, int] = Field(default_factory=dict)
    record_inclusions: bool | None = None
    receipts_roots: bool = False
    mempool_lifetime_ms: int | None = Field(3 * 3600 * 1000, gt=0)
    genesis_time_ms: int = Field(0, ge=0)
    # -- gas bounds (caps) --
    max_commitment_blocks: int = Field(100_000, gt=0)
    """How many blocks ahead a posted commitment's expiry may be (its life, posting block
    included): the registry charges its evaluation for each of them up front
    (:mod:`accord.device.commitments.cost`)."""

    # -- keys: accounts and signatures (accord.device.keys, transaction.py) --
    signatures: SignatureScheme = "ed25519"
    chain_id: int = Field(DEFAULT_CHAIN_ID, ge=0, lt=1 << 64, strict=True)

    # -- admission (accord.device.admission): how much of the mempool one sender and
    # everyone together may hold, as geth's txpool bounds it (accountslots/globalslots,
    # pricebump). geth's defaults are 16 executable + 64 queued per account and 5,120 +
    # 1,024 in all; ours are larger because simulations legitimately queue a whole
    # block from one account before the block is built.
    max_pending_per_sender: int = Field(4_096, gt=0)
    """Pending transactions one sender may hold (geth: ``txpool.accountslots``). One
    agent may queue a whole block before it is built: ``benchmarks/bench_device.py``
    submits 1,000 per block from one account by default (``--block-size``), and 4,096
    leaves room for larger blocks. A sender at the limit is refused (field ``sender``)
    until some of its transactions land."""
    mempool_capacity: int = Field(65_536, gt=0)
    """Pending transactions in all (geth: ``txpool.globalslots`` + ``globalqueue``). The
    soak benchmark keeps about one block (1,000) plus its nonce-gapped leftovers
    pending; a full pool evicts its cheapest transaction for a newcomer that pays
    strictly more, and refuses the newcomer otherwise (field ``max_fee``)."""
    replacement_bump_pct: int = Field(10, ge=0)
    """How much higher (in percent) both ``max_fee`` and ``priority_fee`` must be for a
    transaction to replace a pending one of the same sender and nonce (geth's
    ``txpool.pricebump``, 10 by default); otherwise "replacement underpriced"."""
    admission_checks_assets: bool = False
    """Whether admission also refuses a transaction whose value in an asset other than
    the fee asset exceeds the sender's free balance of it (field ``value``). Off by
    default, as in geth: its pool checks the native asset only (``ErrInsufficientFunds``:
    balance < value + gas fee cap × gas), and a token transfer the sender cannot cover
    is found at execution, where it reverts and still pays its gas (the fee-asset check
    guarantees it can), so it is not free spam. Games and benchmarks that send transfers
    beyond a balance on purpose (the toy game, the soak) rely on that revert."""
    max_pending_bundles_per_sender: int = Field(64, gt=0)
    """Pending bundles one bundle sender may hold (geth has no bundles; Flashbots' relay
    rate-limits searchers instead). The DeFi searchers send one per block."""
    max_bundle_txs: int = Field(64, gt=0)
    """Transactions one bundle may hold (a sandwich has three)."""

    @property
    def records_inclusions(self) -> bool:
        """Whether the device records inclusions (``record_inclusions``, by default on
        exactly when ``finality_depth > 0``)."""
        if self.record_inclusions is None:
            return self.finality_depth > 0
        return self.record_inclusions

    @model_validator(mode="after")
    def _latencies_non_negative(self) -> DeviceConfig:
        for account, ms in self.latency_ms.items():
            if ms < 0:
                raise ValueError(f"latency_ms[{account!r}] must be >= 0, got {ms}")
        for builder, share in self.builder_shares.items():
            if not 0 <= share <= 10_000:
                raise ValueError(f"builder_shares[{builder!r}] must be 0..10000 bps, got {share}")
        return self


class AssetSpec(BaseModel):
    """An asset at genesis: its issuer and its initial holders."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(min_length=1)
    alloc: dict[str, int] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _alloc_non_negative(self) -> AssetSpec:
        for holder, amount in self.alloc.items():
            if amount < 0:
                raise ValueError(f"alloc[{holder!r}] must be >= 0, got {amount}")
        return self


class Genesis(BaseModel):
    """Assets and accounts at block 0. Every issuer, holder, listed account and bound key
    becomes an account.

    * ``public_keys``: account name → its key, 64 hex digits: the ed25519 public key, or
      under ``signatures="mac"`` the key's fingerprint
      (:func:`accord.device.transaction.key_fingerprint`). Accounts without one get a key
      from the device's keyring, and the device writes the completed mapping to the log,
      so the genesis hash binds every account to its key.
    * ``contract_modules``: the contract allowlist, module names or package prefixes
      (dotted identifiers). The device deploys only classes defined in these modules,
      and checks a deploy's class path against them before importing anything.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    assets: dict[str, AssetSpec] = Field(default_factory=dict)
    accounts: list[str] = Field(default_factory=list)
    # -- keys: key bindings and the contract allowlist --
    public_keys: dict[str, str] = Field(default_factory=dict)
    contract_modules: tuple[str, ...] = DEFAULT_CONTRACT_MODULES

    # -- liveness: the step meter --
    metered_modules: tuple[str, ...] = ()
    """Modules (names, or package prefixes) whose contracts run under the deterministic
    step meter (:mod:`accord.device.meter`): every line they run costs ``gas.STEP`` and
    their frames nest at most ``gas.MAX_FRAMES`` deep. Contracts from other modules run
    with no tracer, at full speed."""

    @model_validator(mode="after")
    def _keys_and_allowlist(self) -> Genesis:
        for name, key in self.public_keys.items():
            if not name or _HEX32.match(key) is None:
                raise ValueError(
                    f"public_keys[{name!r}] must be 64 lowercase hex digits (32 bytes)"
                )
        for module in self.contract_modules:
            if not is_dotted(module):
                raise ValueError(f"contract_modules entry {module!r} is not a dotted module name")
        for module in self.metered_modules:
            if not is_dotted(module):
                raise ValueError(f"metered_modules entry {module!r} is not a dotted module name")
        return self

    def account_names(self) -> list[str]:
        """Every account the genesis names, sorted."""
        names = set(self.accounts)
        names.update(self.public_keys)
        for spec in self.assets.values():
            names.add(spec.issuer)
            names.update(spec.alloc)
        return sorted(names)
