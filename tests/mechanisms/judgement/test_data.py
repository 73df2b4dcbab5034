"""Parsing the deep-funding jury and submission CSVs, and the errors that name the row."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from accord.mechanisms.judgement.data import (
    JudgementInputError,
    check_covers,
    format_submission,
    log_matrix,
    parse_jury,
    parse_submission,
    read_jury,
    shares,
)

REAL = Path("/work/shared/data/deepfunding/jury_pairs_l1.csv")
HEADER = "timestamp,juror,repo_a,repo_b,parent,choice,multiplier\n"


def test_rows_become_log_ratio_samples() -> None:
    jury = parse_jury(HEADER + "t1,j1,a,b,p,1,3\nt2,j2,a,b,p,2,3\nt3,j1,b,c,p,2,1\n", "j.csv")
    assert [s.c for s in jury.samples] == [-math.log(3), math.log(3), 0.0]
    assert [s.line for s in jury.samples] == [2, 3, 4]
    assert jury.samples[0].item_a == ("p", "a") and jury.samples[0].item_b == ("p", "b")
    items, a, b, _ = jury.arrays()
    assert items == (("p", "a"), ("p", "b"), ("p", "c"))
    assert a.tolist() == [0, 0, 1] and b.tolist() == [1, 1, 2]


def test_timestamp_column_is_optional() -> None:
    jury = parse_jury("juror,repo_a,repo_b,parent,choice,multiplier\nj,a,b,p,2,2.5\n")
    assert jury.samples[0].timestamp == "" and jury.samples[0].c == math.log(2.5)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("t,j,a,b,p,2,0.5", "j.csv: line 3: multiplier must be >= 1, got '0.5'"),
        ("t,j,a,b,p,3,2", "j.csv: line 3: choice must be 1 (repo_a) or 2 (repo_b), got '3'"),
        ("t,j,a,b,p,0,2", "choice must be 1 (repo_a) or 2 (repo_b), got '0'"),
        ("t,j,a,b,p,2,x", "j.csv: line 3: multiplier must be a number, got 'x'"),
        ("t,j,a,b,p,2,inf", "j.csv: line 3: multiplier must be finite"),
        ("t,j,a,a,p,2,2", "j.csv: line 3: repo_a and repo_b are the same repo 'a'"),
        ("t,,a,b,p,2,2", "j.csv: line 3: juror is empty"),
        ("t,j,a,b,p,2", "j.csv: line 3: wrong number of fields"),
    ],
)
def test_bad_jury_rows_are_named(row: str, message: str) -> None:
    with pytest.raises(JudgementInputError) as err:
        parse_jury(HEADER + "t,j,a,b,p,1,2\n" + row + "\n", "j.csv")
    assert message in str(err.value)


def test_missing_jury_column_is_named() -> None:
    with pytest.raises(JudgementInputError, match=r"j.csv: line 1: missing column\(s\) choice"):
        parse_jury("juror,repo_a,repo_b,parent,multiplier\nj,a,b,p,2\n", "j.csv")
    with pytest.raises(JudgementInputError, match="no comparisons"):
        parse_jury(HEADER, "j.csv")


def test_submission_parse_and_errors() -> None:
    sub = parse_submission("repo,parent,weight\na,p,1\nb,p,3\nz,q,2\n", "alice")
    assert sub.weights == {("p", "a"): 1.0, ("p", "b"): 3.0, ("q", "z"): 2.0}
    assert shares(sub.weights) == {("p", "a"): 0.25, ("p", "b"): 0.75, ("q", "z"): 1.0}
    for text, message in [
        ("repo,parent,weight\na,p,1\nb,p,0\n", "s.csv: line 3: weight must be > 0, got '0'"),
        ("repo,parent,weight\na,p,-1\n", "s.csv: line 2: weight must be > 0, got '-1'"),
        ("repo,parent\na,p\n", r"s.csv: line 1: missing column\(s\) weight"),
        ("repo,parent,weight\na,p,1\na,p,2\n", "line 3: repo 'a' under parent 'p' already listed"),
    ]:
        with pytest.raises(JudgementInputError, match=message):
            parse_submission(text, "s", "s.csv")


def test_unknown_repo_names_the_submission_and_the_jury_line() -> None:
    jury = parse_jury(HEADER + "t,j,a,b,p,1,2\nt,j,b,c,p,2,2\n", "j.csv")
    sub = parse_submission("repo,parent,weight\na,p,1\nb,p,1\n", "bob", "bob.csv")
    with pytest.raises(JudgementInputError) as err:
        check_covers(jury, sub)
    assert str(err.value) == (
        "submission 'bob' (bob.csv) has no weight for repo 'c' under parent 'p', "
        "which j.csv line 3 compares (unknown repo)"
    )


def test_log_matrix_and_round_trip() -> None:
    sub = parse_submission("repo,parent,weight\na,p,1\nb,p,3\n", "s")
    items = (("p", "a"), ("p", "b"))
    assert np.allclose(log_matrix([sub], items)[:, 0], np.log([0.25, 0.75]))
    again = parse_submission(format_submission(sub.weights), "s")
    assert again.weights == sub.weights


def test_real_jury_file() -> None:
    jury = read_jury(REAL)
    assert len(jury.samples) == 593
    assert len({s.juror for s in jury.samples}) == 37
    assert len(jury.items()) == 45
    first = jury.samples[0]  # L1Juror1: prysm over nimbus-eth2 by 3.62
    assert first.line == 2 and first.juror == "L1Juror1"
    assert first.c == -math.log(3.62)
    assert max(abs(s.c) for s in jury.samples) == math.log(999)


def test_unreadable_jury_files_are_named(tmp_path: Path) -> None:
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(HEADER.encode() + b"1,J\xe9r\xf4me,a,b,p,1,2\n")
    with pytest.raises(JudgementInputError, match=r"latin1\.csv: not UTF-8 text .* save it as"):
        read_jury(latin)
    with pytest.raises(JudgementInputError, match=r"nope\.csv: no such file"):
        read_jury(tmp_path / "nope.csv")
    with pytest.raises(JudgementInputError, match="is a directory"):
        read_jury(tmp_path)
