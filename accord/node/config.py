"""The node's configuration: one TOML file, validated by pydantic (``docs/node.md``).

::

    seed = 0

    [node]
    host = "127.0.0.1"          # loopback by default: expose it on purpose
    port = 8545
    data_dir = "node-data"      # chain.db (the event log), mempool.db (the journal),
                                # blocks.db (the block archive), checkpoints.db
    history = 1024              # blocks kept in memory; older ones read from blocks.db
    checkpoint_every = 1000     # blocks between state checkpoints; 0: none
    block_interval_ms = 1000    # 0: blocks only on demand (POST /admin/block)
    admin_token = "..."         # bearer token of the admin endpoints; none: disabled

    [device]                    # any DeviceConfig field (docs/device.md)
    chain_id = 7

    [genesis]                   # any Genesis field; public_keys bind agents' own keys
    public_keys = { alice = "<64 hex digits>" }
    [genesis.assets.ETH]
    issuer = "treasury"
    alloc = { alice = 1_000_000_000_000 }

A malformed file is refused with one line naming the file and the key
(:class:`NodeConfigError`), and the node does not start.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from accord.device import DeviceConfig, Genesis
from accord.node.agent_card import AgentCard, AgentCardError, parse_card


class NodeConfigError(ValueError):
    """A node config that cannot be read or does not validate (one line)."""


class Limits(BaseModel):
    """What one client may ask of the node (``docs/node.md``, "Under attack")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_request_bytes: int = Field(1_048_576, gt=0)
    """A larger body is refused with HTTP 413, from its Content-Length header before
    anything is read (or as soon as a chunked body passes it)."""
    max_batch: int = Field(100, gt=0)
    """Requests one JSON-RPC batch may hold."""
    ip_rate: float = Field(200.0, gt=0)
    """Requests per second one client IP may make, sustained (token bucket)."""
    ip_burst: int = Field(400, gt=0)
    """Requests one client IP may make at once (the bucket's size)."""
    key_rate: float = Field(50.0, gt=0)
    """Signed payloads per second one sender key may submit, sustained."""
    key_burst: int = Field(100, gt=0)
    max_log_blocks: int = Field(1_000, gt=0)
    """Blocks one ``accord_getLogs`` call may scan."""
    max_clients: int = Field(100_000, gt=0)
    """Rate-limit buckets kept (the oldest are forgotten past it)."""
    ws_clients: int = Field(1_000, gt=0)
    """WebSocket connections open at once; one more is closed at once (code 1013)."""
    ws_subscriptions: int = Field(16, gt=0)
    """Subscriptions one WebSocket connection may hold (-32005 past it)."""
    ws_queue: int = Field(256, gt=0)
    """Messages queued for one WebSocket client; a client that lets its queue fill
    (it reads too slowly, or not at all) is disconnected (code 1008), so that no client
    can hold back block production or the other clients."""


class AccountPolicy(BaseModel):
    """The ``[node.accounts]`` table: who may open an account after genesis over the
    network (``accord_openAccount``, :mod:`accord.node.accounts`, ``docs/node.md``).

    * ``closed`` (the default): nobody; only the genesis binds names to keys.
    * ``open``: anyone holding the key, at most ``ip_rate`` openings a second per client
      IP (burst ``ip_burst``) and ``max_accounts`` accounts opened after genesis in all.
    * ``sponsored``: as ``open``, and an existing account (the sponsor) signs the
      opening too. It must hold ``sponsor_stake`` of the fee asset for every account it
      has sponsored, this one included, and may sponsor ``sponsor_rate`` openings a
      second (burst ``sponsor_burst``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    open: Literal["closed", "open", "sponsored"] = "closed"
    max_accounts: int = Field(10_000, ge=0)
    """Accounts that may be opened after genesis, in all (the chain log keeps them)."""
    ip_rate: float = Field(1.0, gt=0)
    """Openings a second one client IP may ask for, sustained (every attempt counts)."""
    ip_burst: int = Field(10, gt=0)
    sponsor_rate: float = Field(1.0, gt=0)
    """Openings a second one sponsor may sign for, sustained (``sponsored``)."""
    sponsor_burst: int = Field(10, gt=0)
    sponsor_stake: int = Field(0, ge=0)
    """Free fee-asset balance a sponsor must hold per account it has sponsored, the new
    one included (``sponsored``): with ``n`` sponsored, opening one more needs
    ``(n + 1) × sponsor_stake``."""


class NodeSection(BaseModel):
    """The ``[node]`` table: where it listens, where it keeps its files, its blocks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(8545, ge=0, le=65535)
    data_dir: Path = Path("node-data")
    block_interval_ms: int = Field(0, ge=0)
    """Wall-clock time between produced blocks; 0: only on demand (``/admin/block``).
    Block timestamps stay the device's own (``genesis_time_ms + n × block_time_ms``)."""
    empty_blocks: bool = False
    """Whether the timer seals a block when nothing is pending (no transaction, bundle
    or commitment)."""
    history: int = Field(1024, ge=0)
    """Blocks (with their receipts) kept in memory; older ones are read from the block
    archive (``blocks.db``, :mod:`accord.node.archive`). 0: keep every block."""
    checkpoint_every: int = Field(1000, ge=0)
    """Blocks between state checkpoints (``checkpoints.db``, :mod:`accord.node.
    checkpoints`), from which a restart replays only the blocks after; 0: none (a
    restart replays the whole chain). Off when ``finality_depth > 0``."""
    admin_token: str | None = Field(None, min_length=16)
    """Bearer token of ``/admin/*``; without one, the admin endpoints answer 403."""
    limits: Limits = Field(default_factory=Limits)
    accounts: AccountPolicy = Field(default_factory=AccountPolicy)
    agent_card: AgentCard | None = None
    """The A2A agent card served at ``/.well-known/agent-card.json`` (``[node.agent_card]``,
    A2A's camelCase field names; :mod:`accord.node.agent_card`); none: that path is 404."""
    agent_card_file: Path | None = None
    """Or the card as a JSON file (relative to node.toml), read and checked at startup."""

    @model_validator(mode="after")
    def _one_card(self) -> NodeSection:
        if self.agent_card is not None and self.agent_card_file is not None:
            raise ValueError("give [node.agent_card] or node.agent_card_file, not both")
        return self


_ROOTS_OFF = (
    "device.receipts_roots: a node serves receipt proofs (accord_getProof), so it keeps "
    "receipts roots; leave it out or set it to true"
)
FORK_FIELDS = ("finality_depth", "fork_choice", "builder_shares", "record_inclusions")
"""The ``[device]`` fields of finality and forks (``docs/finality.md``), checked strictly."""


class NodeConfig(BaseModel):
    """The whole file: the node, the device's design, its genesis and seed.

    The fork fields of ``[device]`` (:data:`FORK_FIELDS`) are checked without coercion
    (``finality_depth = true`` or ``"2"`` is refused, not read as 1 or 2), and must make
    sense together: ``fork_choice`` and ``builder_shares`` need ``finality_depth > 0``
    (with 0 nothing can fork), the shares (basis points of block production) sum to at
    most 10,000, and ``heaviest`` needs a builder with a positive share (every fork
    would weigh 0, so none could win)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(0, ge=0)
    node: NodeSection = Field(default_factory=NodeSection)
    device: DeviceConfig = Field(default_factory=lambda: DeviceConfig(receipts_roots=True))
    genesis: Genesis = Field(default_factory=Genesis)

    @model_validator(mode="before")
    @classmethod
    def _receipts_roots_on(cls, data: Any) -> Any:
        """A node serves receipt proofs (``accord_getProof``), so its device keeps
        receipts roots (``DeviceConfig.receipts_roots``, off for embedded devices): on
        unless the file says otherwise, and a file that turns it off is refused."""
        if not isinstance(data, dict) or "device" not in data:
            return data
        device = data["device"]
        if isinstance(device, DeviceConfig):
            if "receipts_roots" in device.model_fields_set and not device.receipts_roots:
                raise ValueError(_ROOTS_OFF)
            return {**data, "device": device.model_copy(update={"receipts_roots": True})}
        if isinstance(device, dict):
            if device.get("receipts_roots", True) is not True:
                raise ValueError(_ROOTS_OFF)
            return {**data, "device": {**device, "receipts_roots": True}}
        return data

    @field_validator("device", mode="before")
    @classmethod
    def _fork_fields_strict(cls, data: Any) -> Any:
        if isinstance(data, dict):
            subset = {k: data[k] for k in FORK_FIELDS if k in data}
            try:
                DeviceConfig.model_validate(subset, strict=True)
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"])
                raise ValueError(f"{where}: {_message(err)}" if where else _message(err)) from None
        return data

    @field_validator("device")
    @classmethod
    def _forks_make_sense(cls, device: DeviceConfig) -> DeviceConfig:
        shares = device.builder_shares
        if device.finality_depth == 0 and (device.fork_choice != "longest" or shares):
            raise ValueError(
                "fork_choice and builder_shares need finality_depth > 0 (with 0 every "
                "block is final and nothing can fork)"
            )
        total = sum(shares.values())
        if total > 10_000:
            raise ValueError(f"builder_shares sum to {total} bps, more than 10000 (100%)")
        if device.fork_choice == "heaviest" and total == 0:
            raise ValueError(
                "fork_choice 'heaviest' needs builder_shares with a positive share "
                "(every fork would weigh 0 and none could win)"
            )
        return device

    @property
    def chain_path(self) -> Path:
        return self.node.data_dir / "chain.db"

    @property
    def mempool_path(self) -> Path:
        return self.node.data_dir / "mempool.db"

    @property
    def archive_path(self) -> Path:
        return self.node.data_dir / "blocks.db"

    @property
    def checkpoints_path(self) -> Path:
        return self.node.data_dir / "checkpoints.db"

    @property
    def accounts_path(self) -> Path:
        return self.node.data_dir / "accounts.db"


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(top level)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {_message(err)}{more}"


def _message(err: Any) -> str:
    """A validator's own message without pydantic's ``Value error,`` prefix."""
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ") if err["type"] == "value_error" else msg


def parse_config(data: dict[str, Any], *, source: str = "config") -> NodeConfig:
    """Validate a parsed TOML document (and read ``node.agent_card_file``, if given);
    raises :class:`NodeConfigError` (one line)."""
    try:
        config = NodeConfig.model_validate(data)
    except ValidationError as exc:
        raise NodeConfigError(f"{source}: {_first_error(exc)}") from None
    path = config.node.agent_card_file
    if path is None:
        return config
    try:
        card = parse_card(path.read_bytes())
    except OSError as exc:
        raise NodeConfigError(
            f"{source}: node.agent_card_file: cannot read {path}: {exc}"
        ) from None
    except AgentCardError as exc:
        raise NodeConfigError(f"{source}: node.agent_card_file: {path}: {exc}") from None
    section = config.node.model_copy(update={"agent_card": card, "agent_card_file": None})
    return config.model_copy(update={"node": section})


def load_config(path: str | Path) -> NodeConfig:
    """Read and validate a node TOML file; relative ``data_dir`` is taken from the
    file's directory. Raises :class:`NodeConfigError` with one line."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise NodeConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NodeConfigError(f"{path}: cannot read it: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise NodeConfigError(f"{path}: not valid TOML: {exc}") from None
    card_file = (
        data.get("node", {}).get("agent_card_file") if isinstance(data.get("node"), dict) else None
    )
    if isinstance(card_file, str) and not Path(card_file).is_absolute():
        data["node"]["agent_card_file"] = str(path.parent / card_file)
    config = parse_config(data, source=str(path))
    if not config.node.data_dir.is_absolute():
        section = config.node.model_copy(update={"data_dir": path.parent / config.node.data_dir})
        config = config.model_copy(update={"node": section})
    return config
