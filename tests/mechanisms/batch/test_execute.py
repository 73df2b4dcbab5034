"""Netting, self-financing execution and price improvement of a batch's pool trades."""

from __future__ import annotations

from fractions import Fraction

from accord.mechanisms.batch.execute import execute, improve, net_swaps
from accord.mechanisms.batch.types import Order
from accord.mechanisms.cfmm import Pool, ProductPool, amount_out
from accord.mechanisms.routing.network import Network

E7 = 10**7


def test_a_pool_traded_both_ways_is_netted_into_one_better_swap() -> None:
    # Two swaps on one pool, A → C then C → A, as the LP may combine them. Run one after
    # the other, their sum is not a trade the pool accepts: the second swap is priced on
    # reserves that already hold the first's whole input, fee included.
    pool = ProductPool((E7, E7), 30, ("A", "C"))
    out1, after = pool.swap(0, 1, 1_124_816)
    out2, _ = after.swap(1, 0, 137_575)
    assert (out1, out2) == (1_008_359, 167_152)
    assert not pool.accepts((1_124_816, 137_575), (out2, out1))
    # Netted: the pool takes 957,664 A net and must pay 870,784 C net; one swap of the net
    # input pays more than that (Angeris et al. 2022, §2), and the pool accepts it.
    network = Network.build([pool])
    flows = {0: [1_124_816.0 - out2, -(out1 - 137_575.0)]}
    assert net_swaps(network, flows) == [(0, 0, 1, 957_664.0)]
    paid = amount_out(957_664, E7, E7)
    assert paid == 871_573 > out1 - 137_575
    assert pool.accepts_swap(0, 1, 957_664, paid)


def test_a_pool_only_paying_out_or_only_taking_in_gets_no_swap() -> None:
    network = Network.build([ProductPool((E7, E7), 30, ("A", "B"))])
    assert net_swaps(network, {0: [0.0, -5.0]}) == []
    assert net_swaps(network, {0: [5.0, 0.0]}) == []


def _chain() -> tuple[Network, list[Pool]]:
    # the B/C pool first, so that sorting swaps by pool would run the second hop first
    pools: list[Pool] = [
        ProductPool((3 * E7, E7), 30, ("B", "C")),
        ProductPool((E7, 2 * E7), 30, ("A", "B")),
    ]
    return Network.build(pools), pools


def test_a_two_hop_chain_runs_hop_by_hop_from_nothing_but_the_input() -> None:
    network, pools = _chain()
    a, b, c = (network.index(t) for t in "ABC")
    held = [0] * len(network.tokens)
    held[a] = 100_000
    hop = amount_out(100_000, E7, 2 * E7)
    # planned: B → C before A → B, and less B than the first hop delivers
    swaps = [(0, 0, 1, hop - 500), (1, 0, 1, 100_000)]
    after, done, bal = execute(network, swaps, held, drain={a, b})
    assert [(e.q, e.amount) for e in done] == [(1, 100_000), (0, hop)]  # all of B goes on
    out = amount_out(hop, 3 * E7, E7)
    assert [e.out for e in done] == [hop, out]
    assert bal[a] == bal[b] == 0 and bal[c] == out
    assert after[1] == pools[1].after(0, 1, 100_000, hop)


def test_a_swap_never_spends_more_than_is_held() -> None:
    network, _ = _chain()
    a = network.index("A")
    held = [0] * len(network.tokens)
    held[a] = 1_000
    # B is bought by an order here (not drained), and the plan wants more A than is held
    _, done, bal = execute(network, [(1, 0, 1, 5_000), (0, 0, 1, 10**6)], held, drain=set())
    assert done[0].amount == 1_000  # capped at what is held
    assert done[1].amount == done[0].out  # the second hop only has what the first delivered
    assert min(bal) >= 0


def test_a_cycle_of_pool_trades_finances_itself_in_slices() -> None:
    # Two parallel A/B pools 10% apart: A → B on the cheap one, B → A on the dear one is
    # an arbitrage cycle. The plan wants 50,000 A round it; only 10,000 A is held.
    pools: list[Pool] = [
        ProductPool((E7, E7), 30, ("A", "B")),
        ProductPool((11 * E7 // 10, E7), 30, ("A", "B")),
    ]
    network = Network.build(pools)
    a = network.index("A")
    held = [0, 0]
    held[a] = 10_000
    _, done, bal = execute(network, [(0, 0, 1, 50_000), (1, 1, 0, 49_000)], held, set())
    # replay: every slice spends only what is held at that moment
    replay = list(held)
    for e in done:
        tin, tout = network.pool_tokens[e.q][e.i], network.pool_tokens[e.q][e.j]
        assert replay[tin] >= e.amount
        replay[tin] -= e.amount
        replay[tout] += e.out
    assert replay == bal and min(bal) >= 0
    assert sum(e.amount for e in done if e.q == 0) > 10_000  # more than the seed went round
    assert bal[a] > 10_000  # and the cycle made A


def test_price_improvement_gives_the_leftover_to_the_buyers_at_one_rate() -> None:
    # Two buyers of B at 1:1 bought 100 and 300; 41 B is left over. Total due 400, so the
    # buy price of B falls to 400/441 and they get ⌊100·441/400⌋ = 110, ⌊300·441/400⌋ = 330.
    orders = [
        Order("x", "u1", "A", "B", 100, 90, True),
        Order("y", "u2", "A", "B", 300, 270, True),
        Order("z", "u3", "B", "A", 50, 40, True),  # a seller of B: its rate does not change
    ]
    prices = {"A": Fraction(1), "B": Fraction(1)}
    buy, bought, left = improve(("A", "B"), prices, orders, [100, 300, 0], [100, 300, 0], [0, 41])
    assert buy == {"A": 1, "B": Fraction(400, 441)}
    assert bought == [110, 330, 0]
    assert left == [0, 1]


def test_no_improvement_when_rounding_would_eat_it() -> None:
    # 1 B left over for two buyers at 1:1 with sold 100 and 300: ⌊100·401/400⌋ = 100 and
    # ⌊300·401/400⌋ = 300, nobody gains, so the clearing price stands.
    orders = [Order("x", "u1", "A", "B", 100, 90), Order("y", "u2", "A", "B", 300, 270)]
    prices = {"A": Fraction(1), "B": Fraction(1)}
    buy, bought, left = improve(("A", "B"), prices, orders, [100, 300], [100, 300], [0, 1])
    assert buy == prices and bought == [100, 300] and left == [0, 1]
