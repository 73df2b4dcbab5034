# pragma version ~=0.4.0
# The throughput workload of benchmarks/bench_device.py, in Vyper: the same logic as
# benchmarks.bench_contracts:Escrow, run on titanoboa (py-evm) for a side-by-side figure.

balances: public(HashMap[address, uint256])


@external
def deposit(who: address, amount: uint256):
    self.balances[who] += amount


@external
def move(a: address, b: address, amount: uint256):
    assert self.balances[a] >= amount, "insufficient"
    self.balances[a] -= amount
    self.balances[b] += amount
