"""``accord replay``: replay a run's event log, check every hash, print the final one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import BAD_LOG, console, fail, warn
from accord.device.errors import DeviceError


def replay(
    run: Annotated[Path, typer.Argument(help="An event log written with store=PATH.")],
    keys: Annotated[
        Path | None, typer.Option(help="The run's key file (needed to check a MAC log).")
    ] = None,
    trust_signatures: Annotated[
        bool,
        typer.Option(help="Replay a MAC log without its key file, checking no signature."),
    ] = False,
    genesis_hash: Annotated[
        str | None, typer.Option(help="The run's published genesis hash (hex), checked too.")
    ] = None,
    head_hash: Annotated[
        str | None,
        typer.Option(help="A published header hash of the log's last block (hex), checked too."),
    ] = None,
) -> None:
    """Replay a run's event log and print its final state hash.

    The log's meta (config, genesis, seed) is checked against its field digests and
    genesis hash first (and against --genesis-hash), then every block's state hash
    against the logged one; the last line printed is the final state hash, in hex.
    """
    from accord.device.replay import replay as replay_log
    from accord.lab.provenance import read_log_versions, version_warning

    recorded = read_log_versions(run) if run.is_file() else None
    warning = version_warning(recorded) if recorded else None
    if warning:
        console.print(warning, style="yellow", markup=False, highlight=False, soft_wrap=True)
    import warnings

    from accord.device.store import SidecarWarning

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SidecarWarning)
            device = replay_log(
                run,
                keys=keys,
                trust_signatures=trust_signatures,
                genesis_hash=genesis_hash,
                head_hash=head_hash,
            )
        for w in caught:
            if not issubclass(w.category, SidecarWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
                continue
            warn(str(w.message))
    except DeviceError as exc:
        raise fail(str(exc)) from None
    except BAD_LOG as exc:
        raise fail(f"{run} is not a valid accord event log: {type(exc).__name__}: {exc}") from None
    console.print(f"replayed {device.number} blocks")
    console.print(f"genesis hash {device.genesis_hash.hex()}", highlight=False)
    console.print(f"head hash {device.head.hash.hex()}", highlight=False)
    if device.trusts_signatures:
        console.print(
            "[yellow]warning:[/yellow] signatures were NOT checked (--trust-signatures): "
            "this replay shows the log is consistent, not that its accounts signed it",
            highlight=False,
        )
    else:
        console.print(f"signatures checked ({device.config.signatures})", highlight=False)
    print(device.state_hash().hex())
