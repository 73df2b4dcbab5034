"""The canonical intents and the program-equilibrium tournament, on a live device.

Run: ``.venv/bin/python examples/canonical_intents.py``

1. Program equilibrium: the standard modal agents play a round robin.
2. "If a swap D→A exists at rate ≤ 1000 A/D, swap 500 A→D": Alice back-runs Bob.
3. "I change route if you pay me a share of the surplus my change gives you".
4. A flash loan as a pair of commitments, settled atomically with its repayment.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from accord.agents.intents import (
    flash_loan_offer,
    flash_loan_use,
    reroute_for_side_payments,
    side_payment,
    swap_call,
    swap_if_offer,
)
from accord.contracts.amm import ProductAMM
from accord.device import AssetSpec, Device, DeviceConfig, Genesis
from accord.device.commitments.build import commitment
from accord.games.program_equilibrium import STANDARD_BOTS, tournament
from accord.mechanisms.cfmm import amount_out

USERS = ("alice", "bob", "xavier", "yana", "lender", "borrower", "lp")
A_RES, D_RES = 1_000_000_000, 1_000_000  # 1,000 A per D (3 decimals each)


def new_device() -> Device:
    funded = {u: 10**12 for u in USERS if u != "borrower"}
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="treasury", alloc=dict.fromkeys(USERS, 10**18)),
            "A": AssetSpec(issuer="mint", alloc=funded),
            "D": AssetSpec(issuer="mint", alloc=funded),
        }
    )
    return Device(DeviceConfig(), genesis, seed=7)


def new_pool(device: Device, reserve_a: int, reserve_d: int) -> str:
    lp = device.account("lp")
    address = device.deploy(lp, ProductAMM, "A", "D")
    device.call(lp, address, "add_liquidity", 0, "lp", value={"A": reserve_a, "D": reserve_d})
    return address


def main() -> None:
    console = Console()
    result = tournament(STANDARD_BOTS)
    table = Table(title="Program equilibrium: row's move, column's move")
    table.add_column("")
    for name in result.names:
        table.add_column(name.split("/")[0])
    for a in result.names:
        table.add_row(a.split("/")[0], *("".join(result.moves[(a, b)]) for b in result.names))
    console.print(table)
    print("ranking:", ", ".join(f"{n.split('/')[0]} {s}" for n, s in result.ranking()))

    device = new_device()
    pool = new_pool(device, A_RES, D_RES)
    bob = commitment(
        "bob", "sell-d", expiry=9, actions=[swap_call(pool, "D", 10_000, 9_000_000, "bob")]
    )
    alice = swap_if_offer(
        "alice", "buy-d", pool=pool, give=("A", 500_000), want="D", max_rate=(1000, 1), expiry=9
    )
    d0 = device.balance("alice", "D")
    for c in (alice, bob):
        device.commit(device.account(c.owner), c)
    device.build_block()
    got = device.balance("alice", "D") - d0
    print(
        f"intent 1: alice got {got} D after bob's swap (alone: {amount_out(500_000, A_RES, D_RES)})"
    )

    device = new_device()
    deep, shallow = new_pool(device, A_RES, D_RES), new_pool(device, A_RES // 2, D_RES // 2)
    size = 50_000_000
    x_alone = amount_out(size, A_RES, D_RES)
    y_after = amount_out(size, A_RES + size, D_RES - x_alone)
    loss = x_alone - amount_out(size, A_RES // 2, D_RES // 2)  # xavier's cost of rerouting
    surplus = amount_out(size, A_RES, D_RES) - y_after  # yana's gain from it
    payment = loss + (surplus - loss) // 2  # cover the loss, split the rest
    x = reroute_for_side_payments(
        "xavier",
        "route",
        payers=["yana/share"],
        new_route=[swap_call(shallow, "A", size, 1, "xavier")],
        old_route=[swap_call(deep, "A", size, 1, "xavier")],
        expiry=device.number + 3,
    )
    y = side_payment(
        "yana",
        "share",
        rerouter="xavier/route",
        asset="D",
        amount=payment,
        then=[swap_call(deep, "A", size, 1, "yana")],
        expiry=device.number + 3,
    )
    xd, yd = device.balance("xavier", "D"), device.balance("yana", "D")
    for c in (x, y):
        device.commit(device.account(c.owner), c)
    device.build_block()
    print(
        f"intent 2: xavier {device.balance('xavier', 'D') - xd} D (uncoordinated {x_alone}), "
        f"yana {device.balance('yana', 'D') - yd} D (uncoordinated {y_after})"
    )

    device = new_device()
    cheap, dear = new_pool(device, A_RES, D_RES), new_pool(device, 1_100 * D_RES, D_RES)
    loan, fee = 10_000_000, 9_000
    d = amount_out(loan, A_RES, D_RES)
    back = amount_out(d, D_RES, 1_100 * D_RES)
    offer = flash_loan_offer(
        "lender", "loan", borrower="borrower/arb", asset="A", amount=loan, fee=fee, expiry=9
    )
    use = flash_loan_use(
        "borrower",
        "arb",
        lender="lender/loan",
        asset="A",
        amount=loan,
        fee=fee,
        use=[swap_call(cheap, "A", loan, d, "borrower"), swap_call(dear, "D", d, back, "borrower")],
        expiry=9,
    )
    for c in (offer, use):
        device.commit(device.account(c.owner), c)
    device.build_block()
    (group,) = device.resolutions[-1].groups
    print(
        f"intent 3: flash loan group {'settled' if group.ok else 'failed'}; "
        f"borrower kept {device.balance('borrower', 'A')} A from no capital"
    )


if __name__ == "__main__":
    main()
