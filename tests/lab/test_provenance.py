"""Provenance: the library versions a run records, and the one-line replay warning."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np

from accord.lab.provenance import (
    LIBRARIES,
    library_versions,
    read_log_versions,
    version_warning,
    write_log_versions,
)


def test_library_versions_name_everything_that_can_change_a_result() -> None:
    versions = library_versions()
    assert set(versions) == {"python", "machine", "kernels", *LIBRARIES}
    assert versions["numpy"] == np.__version__
    assert versions["python"] is not None and sys.version.split()[0] in versions["python"]
    assert versions["kernels"] in ("numba", "numpy")


def test_version_warning_is_one_line_naming_what_differs() -> None:
    here = library_versions()
    assert version_warning(dict(here), here) is None
    other = {**here, "numpy": "1.26.0", "numba": None}
    line = version_warning(other, here)
    assert line is not None and "\n" not in line
    assert f"numpy 1.26.0 -> {here['numpy']}" in line
    assert f"numba absent -> {here['numba'] or 'absent'}" in line or here["numba"] is None


def test_log_versions_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    sqlite3.connect(str(path)).close()
    assert read_log_versions(path) is None  # no table yet
    write_log_versions(path, {"numpy": "2.0", "numba": None})
    assert read_log_versions(path) == {"numpy": "2.0", "numba": None}
    (tmp_path / "junk.db").write_text("not a database")
    assert read_log_versions(tmp_path / "junk.db") is None
    assert read_log_versions(tmp_path / "missing.db") is None


def test_kernels_switch_is_recorded_and_checked() -> None:
    code = (
        "from accord.lab.provenance import library_versions; print(library_versions()['kernels'])"
    )
    forced = subprocess.run(
        [sys.executable, "-c", code],
        env={"ACCORD_KERNELS": "numpy", "PATH": "", "PYTHONPATH": str(Path.cwd())},
        capture_output=True,
        text=True,
        check=True,
    )
    assert forced.stdout.strip() == "numpy"
    bad = subprocess.run(
        [sys.executable, "-c", code],
        env={"ACCORD_KERNELS": "fortran", "PATH": "", "PYTHONPATH": str(Path.cwd())},
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "ACCORD_KERNELS must be" in bad.stderr
