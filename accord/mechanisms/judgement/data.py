"""Distilled human judgement: the deep-funding CSV formats, parsed and validated.

Two formats, unchanged from the deep-funding contests (``deepfunding.org``; the level-1
data of ``davidgasquez/deepfunding-trial-data-analysis``):

* **Jury comparisons** ``[timestamp,] juror, repo_a, repo_b, parent, choice, multiplier``.
  ``choice`` is 1 if the juror gave ``repo_a`` more credit towards ``parent``, 2 if
  ``repo_b``; ``multiplier ≥ 1`` says how many times more. Each row becomes one
  **log-ratio sample** ``(a, b, c)`` with ``c = log(multiplier)`` when ``choice == 2``
  and ``c = −log(multiplier)`` when ``choice == 1``: the juror's estimate of
  ``log x[b] − log x[a]``.
* **Submissions** ``repo, parent, weight``: a full list of credits, ``weight > 0``, one
  row per ``(parent, repo)``. Shares are normalised to sum to 1 per parent when needed
  (:func:`shares`); the log-ratio cost does not depend on that normalisation.

An item is the pair ``(parent, repo)``: the same repo under two parents is two items.
Every error is a :class:`JudgementInputError` that names the source, the line (the
header is line 1) and the field, and nothing is returned for a bad file.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

Item = tuple[str, str]
"""``(parent, repo)``."""

JURY_COLUMNS = ("juror", "repo_a", "repo_b", "parent", "choice", "multiplier")
SUBMISSION_COLUMNS = ("repo", "parent", "weight")


class JudgementInputError(ValueError):
    """A jury or submission file (or value) that cannot be used, and why."""


@dataclass(frozen=True)
class JurySample:
    """One jury row as a log-ratio sample: the juror says ``log x[b] − log x[a] ≈ c``."""

    line: int
    juror: str
    timestamp: str
    parent: str
    repo_a: str
    repo_b: str
    c: float

    @property
    def item_a(self) -> Item:
        return (self.parent, self.repo_a)

    @property
    def item_b(self) -> Item:
        return (self.parent, self.repo_b)


@dataclass(frozen=True)
class Jury:
    """Samples in file order, and where they came from (for error messages)."""

    samples: tuple[JurySample, ...]
    source: str = "jury"

    def items(self) -> tuple[Item, ...]:
        """Every item a sample names, sorted."""
        found = {s.item_a for s in self.samples} | {s.item_b for s in self.samples}
        return tuple(sorted(found))

    def arrays(
        self, items: tuple[Item, ...] | None = None
    ) -> tuple[
        tuple[Item, ...], npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float64]
    ]:
        """``(items, a, b, c)``: the samples as index arrays into ``items`` (by default
        :meth:`items`) and the log-ratios."""
        items = self.items() if items is None else items
        where = {item: i for i, item in enumerate(items)}
        try:
            a = np.array([where[s.item_a] for s in self.samples], dtype=np.intp)
            b = np.array([where[s.item_b] for s in self.samples], dtype=np.intp)
        except KeyError as exc:
            raise JudgementInputError(f"item {exc.args[0]} is not in the given items") from None
        c = np.array([s.c for s in self.samples], dtype=np.float64)
        return items, a, b, c

    def subset(self, keep: Iterable[int]) -> Jury:
        """The samples at positions ``keep`` (in that order)."""
        return Jury(tuple(self.samples[i] for i in keep), self.source)


@dataclass(frozen=True)
class Submission:
    """A full list of credits: ``weights[(parent, repo)] > 0``."""

    name: str
    weights: Mapping[Item, float]
    source: str = ""


def _rows(text: str, source: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise JudgementInputError(f"{source}: empty file, expected a header {','.join(required)}")
    missing = [c for c in required if c not in header]
    if missing:
        raise JudgementInputError(
            f"{source}: line 1: missing column(s) {', '.join(missing)} (header: {','.join(header)})"
        )
    reader.fieldnames = header
    out: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        line = reader.line_num
        if None in row or any(row.get(col) is None for col in required):
            raise JudgementInputError(f"{source}: line {line}: wrong number of fields")
        out.append((line, {k: (v or "").strip() for k, v in row.items() if k is not None}))
    return out


def _number(value: str, source: str, line: int, field: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise JudgementInputError(
            f"{source}: line {line}: {field} must be a number, got {value!r}"
        ) from None
    if not math.isfinite(x):
        raise JudgementInputError(f"{source}: line {line}: {field} must be finite, got {value!r}")
    return x


def _text(row: dict[str, str], field: str, source: str, line: int) -> str:
    value = row[field]
    if not value:
        raise JudgementInputError(f"{source}: line {line}: {field} is empty")
    return value


def parse_jury(text: str, source: str = "jury") -> Jury:
    """Parse jury comparisons (see the module docstring) into log-ratio samples."""
    samples = []
    for line, row in _rows(text, source, JURY_COLUMNS):
        juror = _text(row, "juror", source, line)
        parent = _text(row, "parent", source, line)
        repo_a = _text(row, "repo_a", source, line)
        repo_b = _text(row, "repo_b", source, line)
        if repo_a == repo_b:
            raise JudgementInputError(
                f"{source}: line {line}: repo_a and repo_b are the same repo {repo_a!r}"
            )
        choice = row["choice"]
        if choice not in ("1", "2"):
            raise JudgementInputError(
                f"{source}: line {line}: choice must be 1 (repo_a) or 2 (repo_b), got {choice!r}"
            )
        multiplier = _number(row["multiplier"], source, line, "multiplier")
        if multiplier < 1:
            raise JudgementInputError(
                f"{source}: line {line}: multiplier must be >= 1, got {row['multiplier']!r}"
            )
        c = math.log(multiplier) if choice == "2" else -math.log(multiplier)
        stamp = row.get("timestamp", "")
        samples.append(JurySample(line, juror, stamp, parent, repo_a, repo_b, c))
    if not samples:
        raise JudgementInputError(f"{source}: no comparisons")
    return Jury(tuple(samples), source)


def parse_submission(text: str, name: str, source: str = "") -> Submission:
    """Parse a ``repo, parent, weight`` list; each ``(parent, repo)`` at most once."""
    source = source or name
    weights: dict[Item, float] = {}
    lines: dict[Item, int] = {}
    for line, row in _rows(text, source, SUBMISSION_COLUMNS):
        item = (_text(row, "parent", source, line), _text(row, "repo", source, line))
        weight = _number(row["weight"], source, line, "weight")
        if weight <= 0:
            raise JudgementInputError(
                f"{source}: line {line}: weight must be > 0, got {row['weight']!r} "
                f"for repo {item[1]!r} under parent {item[0]!r}"
            )
        if item in weights:
            raise JudgementInputError(
                f"{source}: line {line}: repo {item[1]!r} under parent {item[0]!r} "
                f"already listed on line {lines[item]}"
            )
        weights[item] = weight
        lines[item] = line
    if not weights:
        raise JudgementInputError(f"{source}: no rows")
    return Submission(name, weights, source)


def _read_text(path: Path) -> str:
    """A file's UTF-8 text, or :class:`JudgementInputError` naming the file and why."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JudgementInputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise JudgementInputError(f"{path}: is a directory, not a CSV file") from None
    except UnicodeDecodeError as exc:
        raise JudgementInputError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise JudgementInputError(f"{path}: cannot read it: {exc.strerror or exc}") from None


def read_jury(path: Path) -> Jury:
    """:func:`parse_jury` on a file."""
    return parse_jury(_read_text(path), str(path))


def read_submission(path: Path, name: str) -> Submission:
    """:func:`parse_submission` on a file."""
    return parse_submission(_read_text(path), name, str(path))


def check_covers(jury: Jury, submission: Submission) -> None:
    """Every item the jury compares must have a weight in ``submission``; the error
    names the first jury line whose repo is unknown to it."""
    for s in jury.samples:
        for item in (s.item_a, s.item_b):
            if item not in submission.weights:
                raise JudgementInputError(
                    f"submission {submission.name!r} ({submission.source or submission.name}) "
                    f"has no weight for repo {item[1]!r} under parent {item[0]!r}, "
                    f"which {jury.source} line {s.line} compares (unknown repo)"
                )


def shares(weights: Mapping[Item, float]) -> dict[Item, float]:
    """Weights normalised to sum to 1 within each parent."""
    totals: dict[str, float] = {}
    for (parent, _), w in weights.items():
        totals[parent] = totals.get(parent, 0.0) + w
    return {item: w / totals[item[0]] for item, w in weights.items()}


def log_matrix(
    submissions: Iterable[Submission], items: tuple[Item, ...]
) -> npt.NDArray[np.float64]:
    """``L[i, j] = log share_j[items[i]]`` (shares per parent), ``len(items) × k``.
    Call :func:`check_covers` first; a missing item raises naming the submission."""
    cols = []
    for sub in submissions:
        sh = shares(sub.weights)
        try:
            cols.append(np.log(np.array([sh[item] for item in items], dtype=np.float64)))
        except KeyError as exc:
            raise JudgementInputError(
                f"submission {sub.name!r} has no weight for {exc.args[0]} (unknown repo)"
            ) from None
    return np.stack(cols, axis=1) if cols else np.zeros((len(items), 0))


def format_submission(weights: Mapping[Item, float]) -> str:
    """A ``repo,parent,weight`` CSV, rows sorted by parent then repo."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(SUBMISSION_COLUMNS)
    for (parent, repo), w in sorted(weights.items()):
        writer.writerow((repo, parent, repr(float(w))))
    return buf.getvalue()
