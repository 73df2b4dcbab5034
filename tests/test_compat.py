"""0.1's moved module paths still import, as the very module they became, with a warning."""

from __future__ import annotations

import importlib
import pickle
import sys
from pathlib import Path

import pytest

import accord
from accord.compat import MOVED

ROOT = Path(accord.__file__).parent


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_is_the_new_module_and_says_where_it_went(
    old: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = importlib.import_module(MOVED[old])
    monkeypatch.delitem(sys.modules, old, raising=False)
    with pytest.deprecated_call(match=MOVED[old].replace(".", r"\.")):
        aliased = importlib.import_module(old)
    assert aliased is new
    assert new.__name__ == MOVED[old]
    assert new.__spec__ is not None and new.__spec__.name == MOVED[old]


@pytest.mark.parametrize("old", sorted(MOVED))
def test_no_file_still_answers_to_an_old_path(old: str) -> None:
    # The finder is last on sys.meta_path: a file at the old path would win silently.
    rel = Path(*old.split(".")[1:])
    assert not (ROOT / rel).with_suffix(".py").exists()
    assert not (ROOT / rel / "__init__.py").exists()


def test_a_pickle_written_by_0_1_loads_the_moved_class(monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.mechanisms.routing import Trade

    monkeypatch.delitem(sys.modules, "accord.mechanisms.routing_result", raising=False)
    # What 0.1's pickle.dumps(Trade) wrote: the GLOBAL opcode naming the old module.
    old_pickle = b"caccord.mechanisms.routing_result\nTrade\np0\n."
    with pytest.deprecated_call():
        assert pickle.loads(old_pickle) is Trade


def test_unknown_paths_are_still_unknown() -> None:
    for name in ("accord.mechanisms.routing_nope", "accord.cli_nope", "accord.games.defi_x"):
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(name)
