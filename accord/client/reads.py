"""The embedded device's further reads over a node, for :class:`~accord.client.RemoteDevice`:
``finalized``, ``is_final``, ``supply``, ``locked``, ``latency``, ``accounts``, ``logs``
and ``resolutions``, with the
embedded :class:`~accord.device.Device`'s arguments and kinds of values (a
:class:`~accord.device.logs.Log` with its :class:`~accord.device.Event`, a
:class:`~accord.device.commitments.resolver.Resolution`), so that agent code reading them
runs on either (``tests/client/test_remote_reads.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord.client.transport import Transport, answer, from_json
from accord.device import DeviceConfig, Event
from accord.device.commitments.resolver import GroupOutcome, Resolution
from accord.device.logs import Log

LOG_BLOCKS = 100
"""Blocks asked for per ``accord_getLogs`` call (a node allows ``max_log_blocks``, 1,000
by default); a longer range is asked for in pieces."""
PAGE = 100
"""Accounts per ``accord_listAccounts`` page (its most)."""


def _int(x: object) -> int:
    if type(x) is not int:
        raise TypeError(f"expected an integer, got {type(x).__name__}")
    return x


def _str(x: object, *, optional: bool = False) -> Any:
    if (x is None and optional) or type(x) is str:
        return x
    raise TypeError(f"expected a string, got {type(x).__name__}")


def _group(data: dict[str, Any]) -> GroupOutcome:
    if type(data["ok"]) is not bool:
        raise TypeError("ok: expected a boolean")
    return GroupOutcome(
        tuple(_str(m) for m in data["members"]),
        data["ok"],
        _str(data["error"], optional=True),
        _str(data["culprit"], optional=True),
    )


def _resolution(data: dict[str, Any]) -> Resolution:
    if type(data["exhausted"]) is not bool:
        raise TypeError("exhausted: expected a boolean")
    return Resolution(
        number=_int(data["number"]),
        pending=_int(data["pending"]),
        fired=tuple(_str(f) for f in data["fired"]),
        groups=tuple(_group(g) for g in data["groups"]),
        expired=tuple(_group(g) for g in data["expired"]),
        worlds=_int(data["worlds"]),
        exhausted=data["exhausted"],
        work=_int(data["work"]),
    )


def _log(data: dict[str, Any]) -> Log:
    fields = from_json(data["data"])
    if type(fields) is not dict:
        raise TypeError("data: expected an object")
    event = Event(_str(data["address"]), _str(data["name"]), tuple(sorted(fields.items())))
    return Log(
        _int(data["block_number"]), bytes.fromhex(data["tx_hash"]), _int(data["index"]), event
    )


class RemoteReads:
    """Reads of :class:`~accord.client.RemoteDevice` beyond its first ones (module doc)."""

    rpc: Transport
    config: DeviceConfig

    if TYPE_CHECKING:

        @property
        def number(self) -> int: ...

    @property
    def finalized(self) -> int:
        """The newest final block, as the node says (``eth_getBlockByNumber("finalized")``:
        ``Device.finalized``)."""
        found = self.rpc.call("eth_getBlockByNumber", {"block": "finalized"})
        with answer("eth_getBlockByNumber"):
            return int(found["number"], 16)

    def is_final(self, number: int) -> bool:
        """Whether block ``number`` is final (``finality_depth`` blocks built on it), as
        :meth:`accord.device.device.Device.is_final` says."""
        if type(number) is not int:
            raise TypeError(f"a block number is an int, got {type(number).__name__}")
        return 0 <= number <= max(0, self.number - self.config.finality_depth)

    def supply(self, asset: str) -> int:
        """An asset's total supply (0 for an unknown one)."""
        found = self.rpc.call("accord_getSupply", {"asset": asset})
        with answer("accord_getSupply"):
            return _int(found)

    def locked(self, owner: str, asset: str, holder: str) -> int:
        """What ``owner`` has locked of ``asset`` under ``holder``."""
        params = {"owner": owner, "asset": asset, "holder": holder}
        found = self.rpc.call("accord_getLocked", params)
        with answer("accord_getLocked"):
            return _int(found)

    def latency(self, account: str) -> int:
        """``account``'s submission latency in ms (the device config the node reported)."""
        return self.config.latency_ms.get(account, self.config.default_latency_ms)

    @property
    def accounts(self) -> list[str]:
        """Every account's name, sorted (``accord_listAccounts``, page by page)."""
        names: list[str] = []
        while True:
            found = self.rpc.call("accord_listAccounts", {"offset": len(names), "limit": PAGE})
            with answer("accord_listAccounts"):
                total = _int(found["total"])
                page = [_str(row["address"]) for row in found["accounts"]]
            names.extend(page)
            if len(names) >= total or not page:
                return names

    def logs(
        self,
        from_block: int = 0,
        to_block: int | None = None,
        *,
        address: str | None = None,
        name: str | None = None,
    ) -> list[Log]:
        """Events of blocks ``from_block`` to ``to_block`` (default: the head), of
        contract ``address`` and named ``name`` when given, as ``Device.logs``."""
        last = self.number if to_block is None else to_block
        out: list[Log] = []
        start = from_block
        while start <= last:
            end = min(start + LOG_BLOCKS - 1, last)
            params: dict[str, Any] = {"from_block": start, "to_block": end}
            if address is not None:
                params["address"] = address
            if name is not None:
                params["name"] = name
            found = self.rpc.call("accord_getLogs", params)
            with answer("accord_getLogs"):
                out.extend(_log(entry) for entry in found)
            start = end + 1
        return out

    @property
    def resolutions(self) -> list[Resolution]:
        """What commitment resolution did in each block the node keeps it for (the last
        1,024 blocks with pending commitments), oldest first, as ``Device.resolutions``."""
        found = self.rpc.call("accord_getResolutions", {"from_block": 0})
        with answer("accord_getResolutions"):
            return [_resolution(r) for r in found]
