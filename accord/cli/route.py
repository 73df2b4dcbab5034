"""``accord route``: optimal routing over the CFMM pools of a pool file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from accord.cli.common import console, fail

if TYPE_CHECKING:
    from accord.lab.pools import PoolFile


def route(
    pools: Annotated[Path, typer.Argument(help="A JSON pool file (format: docs/routing.md).")],
    arbitrage: Annotated[
        bool, typer.Option("--arbitrage", help="Maximise the value of net output.")
    ] = False,
    prices: Annotated[
        str | None,
        typer.Option(
            help="Prices per unit, e.g. A=1.5,B=10 (per human unit if a token has decimals)."
        ),
    ] = None,
    swap: Annotated[
        str | None,
        typer.Option(
            help="Tender up to TOKEN:AMOUNT (human units if it has decimals, else base units)."
        ),
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="The token to receive (--swap).")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="End with the route as one JSON line.")
    ] = False,
) -> None:
    """Route optimally over CFMM pools: arbitrage at given prices, or a swap.

    The last line with --json is {"value", "net", "trades", "dual_value", "gap"}: the
    integer execution's value, net flow per token and each pool's trade, in base units,
    and "decimals" when the pool file gives tokens decimals.
    """
    from accord.lab.pools import PoolFileError, load_pool_file, parse_prices, parse_swap
    from accord.mechanisms.routing import route_arbitrage, route_swap

    if arbitrage == (swap is not None):
        raise fail("give exactly one of --arbitrage (with --prices) or --swap (with --to)")
    if arbitrage and prices is None:
        raise fail("--arbitrage needs --prices, e.g. --prices A=1.5,B=10")
    if swap is not None and to is None:
        raise fail("--swap needs --to, the token to receive")
    if arbitrage and to is not None:
        raise fail("--to goes with --swap, not --arbitrage")
    if swap is not None and prices is not None:
        raise fail("--prices goes with --arbitrage, not --swap")
    try:
        pool_file = load_pool_file(pools)
        network, decimals = pool_file.network, pool_file.decimals
        if swap is not None:
            assert to is not None
            sell, amount = parse_swap(swap, network, decimals)
            if to not in network.tokens:
                known = ", ".join(network.tokens)
                raise PoolFileError(f"--to: unknown token {to!r} (the pools trade {known})")
            found = route_swap(network, sell, amount, to)
            title = f"swap up to {swap.rpartition(':')[2].strip()} {sell} for {to}"
        else:
            assert prices is not None
            found = route_arbitrage(network, parse_prices(prices, network, decimals))
            title = f"arbitrage at {prices}"
    except ValueError as exc:  # PoolFileError, and the router's own refusals
        raise fail(str(exc)) from None
    result = found.as_dict()
    if any(decimals.values()):
        result["decimals"] = decimals
    console.print(_route_table(result, title, len(network), pool_file))
    if as_json:
        print(json.dumps(result, separators=(",", ":")))


def _route_table(result: dict[str, Any], title: str, pools: int, units: PoolFile) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD)
    table.add_column("pool", justify="right")
    table.add_column("tendered")
    table.add_column("received")
    for trade in result["trades"]:
        table.add_row(
            str(trade["pool"]),
            ", ".join(f"{units.human(k, v)} {k}" for k, v in trade["tendered"].items()),
            ", ".join(f"{units.human(k, v)} {k}" for k, v in trade["received"].items()),
        )
    net = ", ".join(
        f"{'+' if v >= 0 else ''}{units.human(k, v)} {k}" for k, v in result["net"].items()
    )
    net = net or "nothing"
    table.caption = (
        f"{len(result['trades'])} of {pools} pools trade; net {net}; "
        f"value {result['value']:.6g} (duality gap {result['gap']:.2g})"
    )
    return table
