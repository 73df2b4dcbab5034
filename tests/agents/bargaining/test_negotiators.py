"""Scripted negotiators: Faratin's formula, concession order, tit-for-tat, Pareto-awareness."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest

from accord.agents.bargaining import (
    NMI,
    Boulware,
    Conceder,
    Linear,
    Offer,
    ParetoAware,
    ResponseType,
    SAOState,
    TimeDependent,
    TitForTat,
    run_negotiation,
)
from accord.agents.bargaining.negotiators import believed_values, faratin_target, opponent_types
from accord.mechanisms.bargaining.deal_or_no_deal import Instance, analyse, read_instances

INST = Instance((1, 2, 3), ((8, 1, 0), (4, 0, 2)))
MAKERS = {
    "Boulware": Boulware,
    "Linear": Linear,
    "Conceder": Conceder,
    "TitForTat": TitForTat,
    "ParetoAware": ParetoAware,
}


def _nmi(inst: Instance, player: int, n_steps: int = 9) -> NMI:
    return NMI(player, inst.pool, inst.values[player], n_steps, inst.divisions())


def test_faratin_formula_closed_forms() -> None:
    # target = u_min + (1 - t^(1/e)) (u_max - u_min), k = 0
    assert faratin_target(0.5, 0.2, 0, 10) == pytest.approx(10 * (1 - 0.5**5))  # 9.6875
    assert faratin_target(0.25, 2.0, 0, 10) == pytest.approx(5.0)  # 1 - sqrt(0.25)
    assert faratin_target(0.3, 1.0, 2, 10) == pytest.approx(10 - 0.3 * 8)
    assert faratin_target(0.0, 0.2, 0, 10, k=0.1) == pytest.approx(9.0)  # alpha(0) = k
    assert faratin_target(1.0, 5.0, 3, 10) == pytest.approx(3.0)  # reserved at the deadline
    with pytest.raises(ValueError, match="t must be"):
        faratin_target(1.5, 1.0, 0, 10)


def test_boulware_holds_firmer_than_linear_than_conceder() -> None:
    negs = [Boulware(), Linear(), Conceder()]
    for n in negs:
        n.on_negotiation_start(_nmi(INST, 0))
    for k in range(1, 9):
        t = k / 9
        b, lin, c = (n.target(t) for n in negs)
        assert b > lin > c
    # each demands its best utility (10) at t = 0, and of the outcomes worth 10 offers the
    # one best for the opponent under its belief: the Cs, worthless to player 0, go away
    state = SAOState(0, 9, None, None, ())
    assert all(n.propose(state) == (1, 2, 0) for n in negs)


def test_time_dependent_offers_the_cheapest_outcome_at_its_target() -> None:
    neg = Linear()
    nmi = _nmi(INST, 0)
    neg.on_negotiation_start(nmi)
    values = sorted({nmi.utility(o) for o in nmi.outcomes})
    for step in range(9):
        t = step / 9
        offer = neg.propose(SAOState(step, 9, None, None, ()))
        u = nmi.utility(offer)
        assert u >= neg.target(t) and not any(neg.target(t) <= v < u for v in values)


def test_acceptance_is_ac_next() -> None:
    neg = Linear()
    nmi = _nmi(INST, 1)  # player 1: values (4, 0, 2); max 10
    neg.on_negotiation_start(nmi)
    # at step 0 its next demand (t = 1/9) is 10 - 10/9 = 8.89 -> its offer worth >= 8.89
    offer_9 = (0, 2, 1)  # player 1 gets A and two Cs: 4 + 4 = 8 < 8.89
    state = SAOState(0, 9, offer_9, 0, (Offer(0, 0, offer_9),))
    assert nmi.utility(offer_9) == 8
    assert neg.respond(state, offer_9) is ResponseType.REJECT_OFFER
    late = SAOState(4, 9, offer_9, 0, (Offer(4, 0, offer_9),))  # next demand 10 - 50/9 = 4.4
    assert neg.respond(late, offer_9) is ResponseType.ACCEPT_OFFER


def test_tit_for_tat_mirrors_relative_concessions() -> None:
    tft = TitForTat()
    nmi = _nmi(INST, 0)  # player 0: values (8, 1, 0), u_max 10
    tft.on_negotiation_start(nmi)
    hist: list[Offer] = []
    assert nmi.utility(tft.propose(SAOState(0, 9, None, None, ()))) == 10
    hist.append(Offer(0, 0, (1, 2, 3)))
    # opponent offers worth 2 then 4 to player 0: it doubled -> demand 10 * 2/4 = 5
    hist.append(Offer(1, 1, (0, 2, 0)))  # u0 = 2
    tft.propose(SAOState(2, 9, (0, 2, 0), 1, tuple(hist)))
    assert tft.demand == 10.0  # one opponent offer: nothing to mirror yet
    hist.append(Offer(2, 0, (1, 2, 3)))
    hist.append(Offer(3, 1, (0, 2, 3)))  # still 2: no concession
    tft.propose(SAOState(4, 9, (0, 2, 3), 1, tuple(hist)))
    assert tft.demand == 10.0
    hist.append(Offer(4, 0, (1, 2, 3)))
    hist.append(Offer(5, 1, (0, 0, 0)))  # worth 0: ratio undefined -> unchanged
    tft.propose(SAOState(6, 9, (0, 0, 0), 1, tuple(hist)))
    assert tft.demand == 10.0
    hist.append(Offer(6, 0, (1, 2, 3)))
    hist.append(Offer(7, 1, (0, 1, 0)))
    hist.append(Offer(7, 0, (1, 2, 3)))
    hist.append(Offer(7, 1, (1, 0, 0)))  # 1 -> 8 for player 0: demand 10 * 1/8
    tft.propose(SAOState(8, 9, (1, 0, 0), 1, tuple(hist)))
    assert tft.demand == pytest.approx(10 / 8)


def test_tit_for_tat_deadlocks_against_itself() -> None:
    # Faratin's pure relative TFT never moves first: two of them never agree.
    for inst in read_instances()[:50]:
        r = run_negotiation(inst, [TitForTat(), TitForTat()])
        assert r.agreement is None and r.ended_by == "timeout"


def test_beliefs_follow_the_rules() -> None:
    types = opponent_types((1, 2, 3), (8, 1, 0), 0)
    assert (4, 0, 2) in types
    for v in types:
        assert v[0] * 1 + v[1] * 2 + v[2] * 3 == 10
        assert v[2] > 0  # player 0 values C at 0, so the opponent must value it
        assert v[0] > 0 or v[1] > 0  # some type valued by both
    b = believed_values(_nmi(INST, 0))
    assert b == tuple(Fraction(sum(t[i] for t in types), len(types)) for i in range(3))


def test_pareto_aware_with_exact_beliefs_only_makes_efficient_offers() -> None:
    for inst in read_instances()[:60]:
        a = analyse(inst)
        negs = [ParetoAware(belief=inst.values[1]), ParetoAware(belief=inst.values[0])]
        r = run_negotiation(inst, negs)
        assert all(a.is_pareto_optimal(inst.utilities(o.outcome)) for o in r.offers)
        assert r.agreement is not None and a.is_pareto_optimal(r.utilities)


def test_every_pair_is_deterministic_and_individually_rational() -> None:
    instances = read_instances()[:25]
    for x, y in itertools.product(MAKERS, repeat=2):
        for inst in instances:
            r1 = run_negotiation(inst, [MAKERS[x](), MAKERS[y]()])
            r2 = run_negotiation(inst, [MAKERS[x](), MAKERS[y]()])
            assert r1 == r2
            assert min(r1.utilities) >= 0 and r1.steps <= 9


def test_bad_parameters() -> None:
    for e in (0, -1, float("nan"), float("inf"), True, "1"):
        with pytest.raises(ValueError, match="e must be"):
            TimeDependent(e)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Boulware needs e < 1"):
        Boulware(1.5)
    with pytest.raises(ValueError, match="Conceder needs e > 1"):
        Conceder(0.5)
    with pytest.raises(ValueError, match="k must be"):
        Linear(k=2)
    with pytest.raises(ValueError, match="belief"):
        ParetoAware(belief=(1, 2))
    with pytest.raises(ValueError, match="belief"):
        ParetoAware(belief=(1, -2, 3))
    with pytest.raises(RuntimeError, match="on_negotiation_start"):
        Linear().propose(SAOState(0, 9, None, None, ()))


@pytest.mark.parametrize(
    ("first", "second", "agree", "joint", "pareto"),
    [
        ("ParetoAware", "ParetoAware", 1000, 0.940, 0.696),
        ("Boulware", "TitForTat", 629, 0.942, 0.808),
        ("Linear", "Conceder", 1000, 0.941, 0.726),
    ],
)
def test_round_robin_cells_reported_in_the_docs(
    first: str, second: str, agree: int, joint: float, pareto: float
) -> None:
    """docs/negotiation.md's round-robin table, three of its cells, on all 1,000 instances."""
    from accord.agents.bargaining import NEGOTIATORS

    deals = joints = efficient = 0.0
    for inst in read_instances():
        r = run_negotiation(inst, [NEGOTIATORS[first](), NEGOTIATORS[second]()])
        if r.agreement is not None:
            a = analyse(inst)
            deals += 1
            joints += sum(r.utilities) / a.max_joint
            efficient += a.is_pareto_optimal(r.utilities)
    assert deals == agree
    assert round(joints / deals, 3) == joint and round(efficient / deals, 3) == pareto


def test_learning_pareto_aware_posterior_is_bayes_rule() -> None:
    learner = ParetoAware(learn=True)
    nmi = _nmi(INST, 0)
    learner.on_negotiation_start(nmi)
    types = opponent_types(INST.pool, INST.values[0], 0)
    assert learner.posterior == pytest.approx([1 / len(types)] * len(types))
    offer = (0, 2, 0)  # the opponent keeps the A and the three Cs

    def share_value(v: tuple[int, int, int], o: tuple[int, int, int]) -> int:
        return sum(x * (n - q) for x, n, q in zip(v, INST.pool, o, strict=True))

    z = [sum(Fraction(2) ** share_value(v, o) for o in nmi.outcomes) for v in types]
    like = [Fraction(2) ** share_value(v, offer) / zi for v, zi in zip(types, z, strict=True)]
    exact = [x / sum(like) for x in like]
    learner.propose(SAOState(2, 9, offer, 1, (Offer(0, 0, (1, 2, 0)), Offer(1, 1, offer))))
    assert learner.posterior == pytest.approx([float(x) for x in exact], rel=1e-12)
    # the true type (4, 0, 2) gets its best (10) from that offer: more likely than before
    assert learner.posterior[types.index((4, 0, 2))] > 1 / len(types)


def test_learning_puts_mass_on_the_true_type_and_raises_efficiency() -> None:
    instances = read_instances()[:300]
    gained = 0.0
    for inst in instances:
        learner = ParetoAware(learn=True)
        run_negotiation(inst, [learner, Boulware()])
        types = opponent_types(inst.pool, inst.values[0], 0)
        gained += learner.posterior[types.index(inst.values[1])] - 1 / len(types)
    assert gained > 0  # on average the posterior rises on the truth
    rates = {}
    for learn in (False, True):
        ok = 0
        for inst in instances:
            r = run_negotiation(inst, [ParetoAware(learn=learn), ParetoAware(learn=learn)])
            ok += analyse(inst).is_pareto_optimal(r.utilities)
        rates[learn] = ok / len(instances)
    assert rates[True] > rates[False]


def test_learner_parameters() -> None:
    with pytest.raises(ValueError, match="learn must be a bool"):
        ParetoAware(learn=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="give no belief"):
        ParetoAware(belief=(1, 1, 1), learn=True)
    assert repr(ParetoAware(learn=True)) == "ParetoAwareLearner(e=0.5)"


@pytest.mark.parametrize(
    ("e", "k", "u_min", "u_max", "match"),
    [
        (0.0, 0.0, 0, 10, "e must be"),  # was a ZeroDivisionError
        (float("nan"), 0.0, 0, 10, "e must be"),  # was a NaN target
        (-1.0, 0.0, 0, 10, "e must be"),  # was a target below u_min
        (1.0, 2.0, 0, 10, "k must be"),  # was a negative target
        (1.0, 0.0, float("nan"), 10, "u_min <= u_max"),
        (1.0, 0.0, 0, float("inf"), "u_min <= u_max"),
        (1.0, 0.0, 10, 0, "u_min <= u_max"),  # was a target above u_max
    ],
)
def test_faratin_target_refuses_bad_parameters(
    e: float, k: float, u_min: float, u_max: float, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        faratin_target(0.5, e, u_min, u_max, k)
