"""Every path and dotted name the README and docs/ give still leads somewhere.

Files move (issue 12 turned the ``mechanisms/*_*.py`` families into packages); a doc that
sends a newcomer to ``accord/mechanisms/routing_newton.py`` or to
``accord.mechanisms.routing_network.Network`` would be the first thing they hit. So: every
repository path (``accord/…``, ``tests/…``, ``benchmarks/…``, ``examples/…``, ``docs/…``)
must exist, every bare package path in backticks (``routing/newton.py``) must exist under
``accord/``, and every dotted ``accord.<package>…`` name must import, attribute by attribute.
"""

from __future__ import annotations

import importlib
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

from accord.compat import MOVED

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted(
    [ROOT / "README.md", *ROOT.glob("docs/**/*.md"), *ROOT.glob("benchmarks/*.md")],
)
PACKAGES = sorted(
    p.stem if p.is_file() else p.name
    for p in (ROOT / "accord").iterdir()
    if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
)
REPO_PATH = re.compile(r"(?<![\w/.<])((?:accord|tests|benchmarks|examples|docs)/[\w./*<>-]+)")
PACKAGE_PATH = re.compile(r"`((?:mechanisms|agents|games|device|contracts|lab|cli|envs)/[\w./]+)`")
DOTTED = re.compile(rf"(?<![\w.])(accord\.(?:{'|'.join(PACKAGES)})(?:\.\w+)*)")


def _doc_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("doc", DOCS, ids=_doc_id)
def test_every_path_a_doc_gives_exists(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    paths = {m.rstrip(".,;:") for m in REPO_PATH.findall(text)}
    # A pattern (`test_*_hostile.py`) or a placeholder (`llm-defi.<model>.jsonl`) is no path.
    missing = sorted(p for p in paths if not (ROOT / p).exists() and not set(p) & set("*<"))
    missing += sorted(
        p for p in set(PACKAGE_PATH.findall(text)) if not (ROOT / "accord" / p).exists()
    )
    assert not missing, f"{_doc_id(doc)} names paths that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=_doc_id)
def test_no_doc_names_a_file_by_its_0_1_name(doc: Path) -> None:
    old = {f"{name.rpartition('.')[2]}.py" for name in MOVED}
    named = set(re.findall(r"`([\w.]+\.py)`", doc.read_text(encoding="utf-8")))
    assert not named & old, f"{_doc_id(doc)} names moved files: {sorted(named & old)}"


def _resolve(name: str) -> Any:
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(name)


@pytest.mark.parametrize("doc", DOCS, ids=_doc_id)
def test_every_dotted_name_a_doc_gives_imports(doc: Path) -> None:
    names = set(DOTTED.findall(doc.read_text(encoding="utf-8")))
    broken = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # an old 0.1 path is broken too
        for name in sorted(names):
            try:
                _resolve(name.rstrip("."))
            except (ImportError, AttributeError, DeprecationWarning) as exc:
                broken.append(f"{name} ({type(exc).__name__})")
    assert not broken, f"{_doc_id(doc)} names what does not import: {broken}"


def test_the_checks_see_the_docs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "compat" in PACKAGES and "mechanisms" in PACKAGES
    assert len(REPO_PATH.findall(readme)) >= 10
    assert len(DOTTED.findall(readme)) >= 5
    with pytest.raises(AttributeError):
        _resolve("accord.mechanisms.routing.no_such_name")
