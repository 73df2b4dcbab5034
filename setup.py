"""Build hook: compile the device's hot path with mypyc, or install it as pure Python.

Everything else about the package is in ``pyproject.toml``. The modules listed in
``accord.device.accelerator.MODULES`` are ordinary typed Python; here mypyc compiles
them to C extensions (``pyproject.toml``'s build requirements bring mypy). Compiling is
optional: where mypyc, a C compiler or the Python headers are missing, or compiling
fails, the install goes on with the pure-Python modules, which compute the same results,
and says so once. ``ACCORD_NO_COMPILE=1`` skips compiling on purpose.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
_WARNED: list[bool] = []


def _say_pure(reason: str) -> None:
    """Tell the installer, once, that the device is installed as pure Python."""
    if not _WARNED:
        _WARNED.append(True)
        print(
            f"accord: the device's hot path is installed as pure Python ({reason}); "
            "it computes the same results, more slowly.",
            file=sys.stderr,
        )


def _modules() -> list[str]:
    """The source files of ``accelerator.MODULES``, read without importing accord."""
    text = (ROOT / "accord" / "device" / "accelerator.py").read_text()
    found = re.search(r"^MODULES = \(([^)]*)\)", text, re.MULTILINE)
    assert found is not None, "accelerator.MODULES not found"
    names = re.findall(r'"([\w.]+)"', found.group(1))
    return [str(Path(*name.split(".")).with_suffix(".py")) for name in names]


def _extensions() -> list[Any]:
    if os.environ.get("ACCORD_NO_COMPILE", "") not in ("", "0"):
        _say_pure("ACCORD_NO_COMPILE is set")
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _say_pure("mypyc is not available")
        return []
    # No config file (pyproject's strict mypy settings name a plugin that the isolated
    # build environment lacks); imports outside the compiled modules are read for their
    # types only, and third-party ones may be missing here.
    options = ["--config-file=", "--follow-imports=silent", "--ignore-missing-imports"]
    try:
        return mypycify(options + _modules(), opt_level="3", group_name="accord_device_fast")
    except BaseException as exc:  # mypyc exits on a type error: never fail the install
        _say_pure(f"mypyc failed: {type(exc).__name__}: {exc}")
        return []


class OptionalBuildExt(build_ext):
    """``build_ext`` that installs the pure-Python modules when compiling fails."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            _say_pure(f"compiling failed: {type(exc).__name__}: {exc}")

    def build_extension(self, ext: Any) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            _say_pure(f"compiling {ext.name} failed: {type(exc).__name__}: {exc}")


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
