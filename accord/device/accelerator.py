"""The device's optional compiled hot path: which modules are compiled, and the switch
that turns them off.

A few hot modules of the device (:data:`MODULES`) are ordinary typed Python that the
build compiles to C extensions with mypyc (``setup.py``), as black and mypy itself are
shipped. The compiled module sits beside its source (``fast_submit.py`` and
``fast_submit.cpython-311-….so``), and Python imports the extension first. Where the
build could not compile (no C compiler, no Python headers, no mypyc), the source runs
as it is; the install says so once.

Both paths compute the same thing: the same receipts, balances and state hash, bit for
bit (``tests/device/test_accelerator.py`` runs a scenario under each and compares; CI
runs the device tests under both). To run the pure-Python path where the compiled one
is installed (to debug it, step through it, or compare), set the environment variable
:data:`PURE_ENV` (``ACCORD_PURE_PYTHON=1``) before ``accord.device`` is imported:
:func:`install` then loads each module from its ``.py`` source.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import warnings
from pathlib import Path

PURE_ENV = "ACCORD_PURE_PYTHON"
"""Set (to anything but ``""`` or ``"0"``) to run the pure-Python path."""

MODULES = ("accord.device.fast_storage", "accord.device.fast_submit", "accord.device.fast_loop")
"""The modules the build compiles (``setup.py`` reads this tuple), in the order
:func:`install` loads them: each before the modules that import it."""

_HERE = Path(__file__).resolve().parent


def pure_requested() -> bool:
    """Whether the environment asks for the pure-Python path (:data:`PURE_ENV`)."""
    return os.environ.get(PURE_ENV, "") not in ("", "0")


def _load_source(name: str) -> None:
    """Import ``name`` from its ``.py`` source even where its extension exists."""
    path = _HERE / (name.rsplit(".", 1)[1] + ".py")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise


def _stale(name: str) -> bool:
    """Whether ``name``'s compiled module is older than its source (edited since the
    last build: the extension would run the old code)."""
    spec = importlib.util.find_spec(name)
    origin = spec.origin if spec is not None else None
    if origin is None or origin.endswith(".py"):
        return False
    source = _HERE / (name.rsplit(".", 1)[1] + ".py")
    return source.stat().st_mtime > Path(origin).stat().st_mtime


def install() -> None:
    """Load :data:`MODULES` before anything else imports them, all compiled or all from
    source (they share native types and tables, so a mix would not work): from source
    under :data:`PURE_ENV`, where a compiled module is older than its source (edited
    since the last build: a warning says so), or where one cannot be loaded (a build for
    another Python, a broken install); else compiled."""
    names = [name for name in MODULES if name not in sys.modules]
    if not names:
        return
    pure = pure_requested()
    if not pure:
        stale = [name for name in names if _stale(name)]
        if stale:
            warnings.warn(
                f"{', '.join(stale)}: the compiled module is older than its source; "
                "running the hot path from source (rebuild with `pip install -e .` to "
                "compile it again)",
                stacklevel=2,
            )
            pure = True
    if not pure:
        try:
            for name in names:
                importlib.import_module(name)
        except ImportError:
            for name in names:
                sys.modules.pop(name, None)
            pure = True
    if pure:
        for name in names:
            _load_source(name)


def compiled_modules() -> dict[str, bool]:
    """Each of :data:`MODULES`: whether it runs compiled (its loaded file is not its
    ``.py`` source)."""
    found: dict[str, bool] = {}
    for name in MODULES:
        module = sys.modules.get(name) or importlib.import_module(name)
        origin = getattr(module, "__file__", None) or ""
        found[name] = not origin.endswith(".py")
    return found


def compiled() -> bool:
    """Whether the whole hot path runs compiled (every module of :data:`MODULES`)."""
    return all(compiled_modules().values())


def describe() -> str:
    """One line saying which path runs (``make`` prints it after installing)."""
    found = compiled_modules()
    if all(found.values()):
        return "accord: the device's hot path is compiled (mypyc)"
    why = f"{PURE_ENV} is set" if pure_requested() else "not compiled at install"
    names = ", ".join(name for name, done in found.items() if not done)
    return f"accord: the device's hot path runs as pure Python ({why}: {names})"


install()
