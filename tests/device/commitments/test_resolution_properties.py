"""Hypothesis: random webs of conditional transfers settle all-or-nothing, group by group."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.device.commitments.build import FALSE, TRUE, commitment, fires, transfer
from accord.device.commitments.language import Commitment, Formula
from tests.device.conftest import USERS, make_device


@st.composite
def webs(draw: st.DrawFn) -> list[Commitment]:
    n = draw(st.integers(1, 8))
    out = []
    for i in range(n):
        owner = draw(st.sampled_from(USERS))
        refs = draw(st.lists(st.integers(0, n - 1), max_size=2))
        negate = draw(st.booleans())
        cond: Formula = TRUE if draw(st.booleans()) else FALSE
        for r in refs:
            atom = fires(f"{'x'}{r}/c")
            cond = cond & (~atom if negate and r == refs[0] else atom)
        actions = [
            transfer("USD", draw(st.sampled_from(USERS)), draw(st.integers(1, 1_200)))
            for _ in range(draw(st.integers(1, 2)))
        ]
        out.append(commitment(owner, f"c{i}", expiry=3, condition=cond, actions=actions))
    # Ids are owner/label; make references point at real ids by a fixed renaming.
    ids = {f"x{i}/c": c.id for i, c in enumerate(out)}
    return [
        c.model_copy(update={"condition": type(c.condition).model_validate_json(_rename(c, ids))})
        for c in out
    ]


def _rename(c: Commitment, ids: dict[str, str]) -> str:
    text = c.condition.model_dump_json()
    for old, new in ids.items():
        text = text.replace(f'"{old}"', f'"{new}"')
    return text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(webs())
def test_groups_settle_all_or_nothing_and_money_is_conserved(web: list[Commitment]) -> None:
    device = make_device()  # conservation and no negative balances checked every block
    for c in web:
        device.commit(device.account(c.owner), c)
    expected = {u: device.balance(u, "USD") for u in USERS}
    device.build_block()
    (res,) = device.resolutions
    by_id = {c.id: c for c in web}
    for group in res.groups:
        assert set(group.members) <= set(res.fired)
        if group.ok:
            for m in group.members:
                for a in by_id[m].actions:
                    expected[by_id[m].owner] -= a.amount  # type: ignore[union-attr]
                    expected[a.to] += a.amount  # type: ignore[union-attr]
        else:
            assert group.error
    assert {u: device.balance(u, "USD") for u in USERS} == expected
    settled = set(res.settled)
    struck = {g.culprit for g in res.groups if g.culprit}
    assert {c.id for c in device.pending_commitments()} == {c.id for c in web} - settled - struck
