"""``accord node --config node.toml``: serve one device over JSON-RPC (docs/node.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import errors, fail


def node(
    config: Annotated[Path, typer.Option("--config", "-c", help="The node's TOML file.")],
    port: Annotated[int | None, typer.Option(min=0, max=65535, help="Override node.port.")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "warning",
) -> None:
    """Serve a device at http://HOST:PORT/ (JSON-RPC 2.0; loopback by default).

    Starts a new chain in node.data_dir, or replays the one there and continues.
    Stop it with Ctrl-C or POST /admin/shutdown.
    """
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise fail("starlette and uvicorn are needed: pip install 'accord[node]'") from None
    from accord.device.errors import DeviceError
    from accord.node import Node, NodeConfigError, load_config, serve

    try:
        settings = load_config(config)
    except NodeConfigError as exc:
        raise fail(str(exc)) from None
    if port is not None:
        settings = settings.model_copy(
            update={"node": settings.node.model_copy(update={"port": port})}
        )
    began = time.perf_counter()  # reported only: how long opening (replaying) took
    try:
        running = Node.open(settings)
    except DeviceError as exc:
        raise fail(str(exc)) from None
    device = running.device
    start = running.started_from
    origin = "genesis" if start is None else f"the checkpoint of block {start}"
    errors.print(
        f"accord node: chain {device.chain_id}, block {device.number} "
        f"(opened in {time.perf_counter() - began:.3f} s) (replayed from {origin}), "
        f"http://{settings.node.host}:{settings.node.port}/ "
        f"(explorer: http://{settings.node.host}:{settings.node.port}/explorer)",
        highlight=False,
        soft_wrap=True,
    )
    serve(running, log_level=log_level)
