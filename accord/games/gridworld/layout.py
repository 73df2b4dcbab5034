"""What Harvest and Cleanup share: ASCII maps, neighbour counts, moves and local views.

The sequential social dilemmas (Leibo, Zambaldi, Lanctot, Marecki & Graepel,
"Multi-agent Reinforcement Learning in Sequential Social Dilemmas", AAMAS 2017) are
gridworlds: agents step one cell at a time on a map of walls, apples and (in Cleanup) a
river, and each sees a window of the map centred on itself. This module holds the grid
mechanics both games use, all vectorised over the map with numpy:

- :func:`parse_layout`: an ASCII map (``@`` wall, ``A`` apple cell holding an apple at
  the start, ``a`` apple cell starting empty, ``H`` river cell starting with waste,
  ``R`` clean river cell, ``P`` spawn point, space floor) into boolean masks;
- :func:`neighbour_counts`: for every cell, how many marked cells lie within an L1
  (diamond) radius, the cell itself excluded (Harvest's regrowth rule);
- :func:`move`: one step of everyone's moves, resolved one agent at a time in a seeded
  random order, so that two agents never share a cell;
- :class:`Windows`: each agent's egocentric window of every layer, the outside of the
  map reading as wall.

Simplification against the original games (said once here, for both): agents have no
orientation, so the four moves are absolute (up, down, left, right) and the window is
centred on the agent, not ahead of it; and there is no tagging beam (the originals let an
agent remove another for a while). The dilemmas stay: Harvest's is the commons'
over-use, Cleanup's the public good's free riding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DELTAS",
    "MOVES",
    "Layout",
    "Windows",
    "diamond",
    "move",
    "neighbour_counts",
    "parse_layout",
]

MOVES: tuple[str, ...] = ("stay", "up", "down", "left", "right")
"""The moves, by action index; an action past these moves nobody (e.g. Cleanup's clean)."""

DELTAS = np.array([(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)], dtype=np.int64)
"""Row/column step of each move in :data:`MOVES`."""

_SYMBOLS = frozenset("@AaHRP ")


@dataclass(frozen=True, eq=False)
class Layout:
    """A parsed map: boolean masks of shape ``(rows, cols)`` and the spawn points."""

    walls: np.ndarray
    apple_cells: np.ndarray
    apples: np.ndarray
    river: np.ndarray
    waste: np.ndarray
    spawns: np.ndarray
    """``(k, 2)`` int array of spawn cells, in reading order."""

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.walls.shape
        return int(rows), int(cols)


def parse_layout(rows: Sequence[str]) -> Layout:
    """The masks of an ASCII map (module docstring); a malformed map is a ValueError."""
    if isinstance(rows, str) or not rows:
        raise ValueError("layout must be a non-empty sequence of strings (one per row)")
    if not all(isinstance(r, str) for r in rows):
        raise ValueError("layout rows must be strings")
    width = len(rows[0])
    if width == 0 or any(len(r) != width for r in rows):
        raise ValueError(f"layout rows must all have the same non-zero width, got {width}")
    bad = sorted({ch for r in rows for ch in r} - _SYMBOLS)
    if bad:
        raise ValueError(f"layout: unknown symbols {bad} (allowed: '@AaHRP ')")
    grid = np.array([list(r) for r in rows])
    spawns = np.argwhere(grid == "P").astype(np.int64)
    if len(spawns) == 0:
        raise ValueError("layout has no spawn point 'P'")
    return Layout(
        walls=grid == "@",
        apple_cells=(grid == "A") | (grid == "a"),
        apples=grid == "A",
        river=(grid == "H") | (grid == "R"),
        waste=grid == "H",
        spawns=spawns,
    )


def diamond(radius: int) -> np.ndarray:
    """The ``(k, 2)`` offsets ``(dr, dc)`` with ``0 < |dr| + |dc| <= radius``."""
    span = np.arange(-radius, radius + 1)
    dr, dc = np.meshgrid(span, span, indexing="ij")
    keep = (np.abs(dr) + np.abs(dc) <= radius) & ((dr != 0) | (dc != 0))
    return np.stack([dr[keep], dc[keep]], axis=1)


def neighbour_counts(mask: np.ndarray, offsets: np.ndarray, pad: int) -> np.ndarray:
    """For each cell, the number of ``mask`` cells at the given ``offsets`` from it.

    Off-map cells count as empty. ``pad`` must be at least the largest ``|offset|``:
    the sum runs over shifted views of one zero-padded copy (one slice add per offset).
    """
    rows, cols = mask.shape
    padded = np.zeros((rows + 2 * pad, cols + 2 * pad), dtype=np.int16)
    padded[pad : pad + rows, pad : pad + cols] = mask
    total = np.zeros((rows, cols), dtype=np.int16)
    for dr, dc in offsets.tolist():  # Python ints: numpy-int slice bounds are slow
        total += padded[pad + dr : pad + dr + rows, pad + dc : pad + dc + cols]
    return total


def move(
    positions: np.ndarray,
    actions: np.ndarray,
    walls: np.ndarray,
    order: np.ndarray,
) -> np.ndarray:
    """Everyone's positions after one step of moves.

    Agents move one at a time in ``order`` (a permutation the caller draws from its
    seeded generator, as the original games resolve conflicts at random): an agent steps
    to its target unless the target is off the map, a wall, or a cell another agent
    holds at that moment; otherwise it stays. Actions ``>= len(MOVES)`` stay. (A loop
    over a few agents in plain Python: cheaper here than numpy's per-call overhead.)
    """
    rows, cols = walls.shape
    here = [(r, c) for r, c in positions.tolist()]
    taken = set(here)
    new = list(here)
    steps = _STEPS
    for i in order.tolist():
        a = int(actions[i])
        if not 0 < a < len(steps):
            continue
        r, c = here[i]
        dr, dc = steps[a]
        target = (r + dr, c + dc)
        if not (0 <= target[0] < rows and 0 <= target[1] < cols) or walls[target]:
            continue
        if target in taken:
            continue
        taken.discard(here[i])
        taken.add(target)
        new[i] = target
    return np.array(new, dtype=np.int64).reshape(positions.shape)


_STEPS: tuple[tuple[int, int], ...] = tuple((int(r), int(c)) for r, c in DELTAS)


class Windows:
    """Each agent's egocentric window of a stack of layers, gathered for all at once.

    The layers live in one padded array ``(channels, rows + 2r, cols + 2r)`` whose
    border holds ``fill[channel]`` (1 for the wall channel: off the map reads as wall).
    Static layers (walls, river) are written once; :meth:`__call__` writes the dynamic
    ones into the interior and gathers every window by fancy indexing, returning
    ``(agents, channels, 2r+1, 2r+1)``.
    """

    def __init__(self, static: np.ndarray, dynamic: int, fill: np.ndarray, radius: int) -> None:
        channels = dynamic + len(static)
        _, rows, cols = static.shape if len(static) else (0, 0, 0)
        if len(fill) != channels:
            raise ValueError(f"fill needs {channels} entries, got {len(fill)}")
        self.dynamic, self.radius, self.shape = dynamic, radius, (rows, cols)
        self.padded = np.empty((channels, rows + 2 * radius, cols + 2 * radius), np.float32)
        self.padded[...] = np.asarray(fill, dtype=np.float32)[:, None, None]
        self.padded[dynamic:, radius : radius + rows, radius : radius + cols] = static
        self.span = np.arange(2 * radius + 1)

    def __call__(self, dynamic: np.ndarray, positions: np.ndarray) -> np.ndarray:
        rows, cols = self.shape
        k = self.radius
        self.padded[: self.dynamic, k : k + rows, k : k + cols] = dynamic
        width = self.padded.shape[2]
        flat = self.padded.reshape(len(self.padded), -1)
        # cell (r + i, c + j) of the padded map, for the window's (i, j), as flat indices
        corner = positions[:, 0] * width + positions[:, 1]
        index = corner[:, None, None] + (self.span[:, None] * width + self.span[None, :])
        side = len(self.span)
        win = flat[:, index]  # (channels, agents, side, side)
        return win.transpose(1, 0, 2, 3).reshape(len(positions), len(flat), side, side)
