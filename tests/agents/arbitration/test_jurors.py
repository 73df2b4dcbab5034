"""Juror agents: the honesty mix, the closed-form jury accuracy against simulation, and
jurors voting on a Court on the device through commit-reveal."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from accord.agents.arbitration import (
    BribedJuror,
    HonestJuror,
    HonestyMix,
    LazyJuror,
    Summons,
    jury_accuracy,
    make_jurors,
    summons,
    vote_accuracy,
)
from accord.agents.base import observe, submit
from accord.mechanisms.court import tally
from tests.contracts.court_world import JURORS, World, court_invariant, make_world


def test_honesty_mix_counts_by_largest_remainder() -> None:
    assert HonestyMix(0.5, 0.3, 0.2).counts(10) == {"honest": 5, "lazy": 3, "bribed": 2}
    # 3.5, 2.1, 1.4: floors 3, 2, 1 and the one left to the largest remainder (honest)
    assert HonestyMix(0.5, 0.3, 0.2).counts(7) == {"honest": 4, "lazy": 2, "bribed": 1}
    assert HonestyMix().counts(3) == {"honest": 3, "lazy": 0, "bribed": 0}
    for bad in ((0.5, 0.5, 0.5), (-0.1, 0.6, 0.5), (1.2, -0.2, 0.0)):
        with pytest.raises(ValueError, match="honesty mix"):
            HonestyMix(*bad)


def test_jury_accuracy_closed_form() -> None:
    mix = HonestyMix(0.6, 0.2, 0.2)
    assert vote_accuracy(mix, 0.8) == pytest.approx(0.6 * 0.8 + 0.2 / 2)
    p = 0.58
    assert jury_accuracy(3, mix, 0.8) == pytest.approx(p**3 + 3 * p**2 * (1 - p))
    # a majority of bribed jurors loses the truth however accurate the honest are
    assert jury_accuracy(7, HonestyMix(0.4, 0.0, 0.6), 1.0) < 0.5


def _juror_votes(
    jurors: list[Any], n: int, truth: int, accuracy: float, rng: np.random.Generator
) -> int:
    """One simulated round: ``n`` jurors drawn uniformly with replacement (equal stakes),
    each votes through its own ``decide``; the plurality's ruling."""
    counts = [0, 0, 0]
    for i in rng.integers(0, len(jurors), size=n):
        juror = jurors[int(i)]
        reading = truth if rng.random() < accuracy else 3 - truth
        counts[juror.decide(Summons(0, 0, "commit", 2, reading, (3 - truth, 10)))] += 1
    return tally(counts).ruling


@pytest.mark.parametrize(
    ("mix", "n"), [(HonestyMix(0.6, 0.2, 0.2), 3), (HonestyMix(0.7, 0.0, 0.3), 7)]
)
def test_simulated_juries_match_condorcet(mix: HonestyMix, n: int) -> None:
    rng = np.random.default_rng(5)
    accounts = [SimpleNamespace(address=f"j{i}") for i in range(100)]  # no device needed
    jurors = make_jurors(accounts, "court", mix, rng, price=5)  # type: ignore[arg-type]
    assert sum(isinstance(j, HonestJuror) for j in jurors) == mix.counts(100)["honest"]
    trials, accuracy = 20_000, 0.8
    right = sum(_juror_votes(jurors, n, 1, accuracy, rng) == 1 for _ in range(trials))
    want = jury_accuracy(n, mix, accuracy)
    sd = (want * (1 - want) / trials) ** 0.5
    assert abs(right / trials - want) < 5 * sd, (right / trials, want)


def _play_round(world: World, agents: dict[str, Any], d: int, signal: int, bribe: Any) -> None:
    """Each juror acts on its summons, one block per period, until the votes are in."""
    device = world.device
    for _ in range(2):  # commit, then reveal
        for name, agent in agents.items():
            todo = summons(device.view, world.court, name, [d], lambda _: signal, bribe)
            obs = observe(device, name, private={"summons": todo}, mempool=False)
            for s in submit(device, name, agent.act(obs)):
                assert s.error is None, s.error
        device.build_block()
        world.until_passable(d)


def test_jurors_vote_on_the_device() -> None:
    world = make_world()
    device = world.device
    # jurors 0-4 honest (reading the truth, 1), 5-6 lazy, 7 bribed for 2
    agents: dict[str, Any] = {}
    for i, name in enumerate(JURORS):
        account = device.account(name)
        child = np.random.default_rng(100 + i)
        if i < 5:
            agents[name] = HonestJuror(account, world.court, child)
        elif i < 7:
            agents[name] = LazyJuror(account, world.court, child, reveal_rate=0.5)
        else:
            agents[name] = BribedJuror(account, world.court, child, price=10)
    d = world.open(2)
    assert world.until_passable(d) == "commit"
    _play_round(world, agents, d, 1, lambda _: (2, 50))
    assert world.view("dispute", d)[2] == "appeal"
    drawn = world.drawn(d, 0)
    votes = world.storage()["vote"]
    counts = [0, 0, 0]
    for j, k in drawn.items():
        vote = votes.get((d, 0, j), -1)
        assert world.view("duty", d, j)[3], f"{j} did not commit"
        if isinstance(agents[j], HonestJuror):
            assert vote == 1, j  # the truth it read
        elif isinstance(agents[j], BribedJuror):
            assert vote == 2, j  # the briber's choice
        if vote >= 0:
            counts[vote] += k
    assert world.view("current_ruling", d) == tally(counts).ruling
    court_invariant(world)
    assert world.until_passable(d) == "execution"
    court_invariant(world)
