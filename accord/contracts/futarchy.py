"""DecisionMarket: futarchy on the device, with two conditional LMSR markets.

"Vote on values, bet on beliefs" (Hanson, "Shall We Vote on Values, But Bet on
Beliefs?", *J. Political Philosophy* 21(2), 2013). A proposal has a metric: a yes/no
question about the world after the decision (did revenue reach its target?). Two markets
price the metric, one conditional on the proposal passing and one on it failing:

* :class:`~accord.contracts.conditional_tokens.ConditionalTokens` issues the tokens:
  collateral splits into PASS + FAIL, and PASS into PASS-YES + PASS-NO (FAIL likewise);
* in branch ``B`` an LMSR (:mod:`accord.mechanisms.lmsr`, liquidity ``b``) sells
  ``B-YES`` and ``B-NO`` for ``B`` tokens, so the price of ``B-YES`` is the market's
  probability that the metric is met if ``B`` is taken;
* **the decision rule** is MetaDAO's (MetaDAO, "Futarchy" docs and its ``autocrat``
  program, 2023–24): over a window of blocks, the time-weighted average price of YES in
  each branch; the proposal passes iff ``TWAP(PASS) > TWAP(FAIL) · (1 + threshold)``,
  in exact integers: ``twap_pass · 10⁴ > twap_fail · (10⁴ + threshold_bps)``;
* **the metric** is settled after the decision by a SchellingOracle question that the
  contract asks (:mod:`accord.contracts.schelling`; answers ``("yes", "no")``) or, if no
  oracle is configured, reported by a named ``resolver`` (a jury's account);
* tokens of the branch taken redeem for collateral, tokens of the other branch for
  nothing, so the losing market's trades are undone in value (see
  :mod:`~accord.contracts.conditional_tokens`).

**The maker and its subsidy.** The deployer (the *sponsor*) sends ``subsidy ≥ ⌈b ln 2⌉``
collateral with the deployment; it is split into the two branches' pools. A trade pays
(or is paid) :func:`~accord.mechanisms.lmsr.charge`, the cost rounded towards the maker,
so each pool always covers the shares it sold (``pool ≥ max(q_YES, q_NO)``, tested).
:meth:`DecisionMarket.close`, once the metric is settled, pays the sponsor what its
pool in the branch taken is worth: ``pool − q_metric``; so everyone else's tokens and the
sponsor's refund add up to the collateral held, exactly.

**TWAP.** Per branch the contract keeps ``(Σ price × blocks, last price, last block)``;
the price (parts per billion, :func:`~accord.mechanisms.lmsr.price_ppb`) that stands
at the end of a block counts for that block and each block after it until the next
trade, and only blocks in ``[twap_start, twap_end)`` count. A manipulator must hold the
price for the window, not touch it for one block. (MetaDAO also caps how far one
observation may move; this contract does not.)

Trading (:meth:`~DecisionMarket.buy`, :meth:`~DecisionMarket.sell`,
:meth:`~DecisionMarket.buy_to_price`) is open from deployment until ``twap_end``.
"""

from __future__ import annotations

from accord.contracts.conditional_tokens import (
    BRANCHES,
    FAIL,
    NO,
    OUTCOMES,
    PASS,
    YES,
    ConditionalTokens,
    address,
    positive_int,
)
from accord.device import Context, DeviceError, Map, OutOfGas, Revert, Var, public
from accord.mechanisms import lmsr
from accord.mechanisms.slashing import BPS

METRIC_ANSWERS = ("yes", "no")
MATH_GAS = 20_000
"""Gas charged for one exact LMSR evaluation (the schedule does not meter Python math)."""
MAX_LIQUIDITY = 2**96
"""The largest ``b``: the integer LMSR's charges are exact ceilings to within
``b · 2^{−110}`` base units (:mod:`accord.mechanisms.lmsr`), so below ``2^{−14}``."""

Twap = tuple[int, int, int]
"""``(Σ price_ppb × blocks in the window, last price_ppb, last block)``."""


class DecisionMarket(ConditionalTokens):
    """One proposal's pass/fail markets, decision and settlement."""

    sponsor: Var[str] = Var("")
    b: Var[int] = Var(0)
    twap_start: Var[int] = Var(0)
    twap_end: Var[int] = Var(0)
    threshold_bps: Var[int] = Var(0)
    oracle: Var[str] = Var("")
    resolver: Var[str] = Var("")
    question: Var[str] = Var("")
    question_id: Var[int] = Var(-1)
    closed: Var[bool] = Var(False)
    q: Map[tuple[int, int]] = Map((0, 0))
    """``branch -> (YES, NO)`` shares the maker has sold (net)."""
    pool: Map[int] = Map(0)
    """``branch -> `` the maker's ``branch`` tokens (its own ledger balance)."""
    twaps: Map[Twap] = Map((0, 0, 0))

    def setup(
        self,
        ctx: Context,
        collateral: str,
        prefix: str,
        b: int,
        delay_blocks: int,
        window_blocks: int,
        threshold_bps: int,
        question: str,
        oracle: str,
        resolver: str,
    ) -> None:
        """Deploy with the subsidy as value. The TWAP window is the ``window_blocks``
        blocks starting ``delay_blocks`` after deployment; exactly one of ``oracle`` (a
        SchellingOracle's address) and ``resolver`` (an account) settles the metric."""
        self._create_tokens(ctx, collateral, prefix)
        self.b = positive_int(b, "b")
        if b > MAX_LIQUIDITY:
            raise Revert(f"b must be at most 2**96 (the exact LMSR's precision), got {b}")
        if type(delay_blocks) is not int or delay_blocks < 0:
            raise Revert(f"delay_blocks must be a non-negative int, got {delay_blocks!r}")
        positive_int(window_blocks, "window_blocks")
        if type(threshold_bps) is not int or not 0 <= threshold_bps <= BPS:
            raise Revert(f"threshold_bps must be an int in [0, {BPS}], got {threshold_bps!r}")
        if type(question) is not str or not question:
            raise Revert(f"question must be a non-empty str, got {question!r}")
        address(oracle, "oracle", allow_empty=True)
        address(resolver, "resolver", allow_empty=True)
        if bool(oracle) == bool(resolver):
            raise Revert("exactly one of oracle and resolver must be given")
        need = lmsr.subsidy(b, 2)
        funded = ctx.value.get(collateral, 0)
        if funded < need or len(ctx.value) != 1:
            raise Revert(
                f"deploy must send a subsidy of at least ceil(b ln 2) = {need} {collateral} "
                f"(and nothing else), got {dict(ctx.value)}"
            )
        self.sponsor = ctx.sender
        self.twap_start = ctx.block_number + delay_blocks
        self.twap_end = ctx.block_number + delay_blocks + window_blocks
        self.threshold_bps = threshold_bps
        self.question = question
        self.oracle = oracle
        self.resolver = resolver
        half = lmsr.PRICE_SCALE // 2
        for branch in BRANCHES:
            ctx.mint(self.token(branch), ctx.this, funded)
            self.pool[branch] = funded
            self.twaps[branch] = (0, half, ctx.block_number)
        ctx.emit("Opened", sponsor=ctx.sender, subsidy=funded, b=b, end=self.twap_end)

    # -- prices and the TWAP -----------------------------------------------------------
    def _observe(self, branch: str, now: int) -> Twap:
        """Credit the standing price for the window's blocks in ``[last, now)``."""
        total, price, last = self.twaps[branch]
        lo, hi = max(last, self.twap_start), min(now, self.twap_end)
        if hi > lo:
            total += price * (hi - lo)
        twap = (total, price, max(last, now))
        self.twaps[branch] = twap
        return twap

    def _set_price(self, ctx: Context, branch: str, q: tuple[int, int]) -> None:
        total, _, last = self._observe(branch, ctx.block_number)
        ctx.use_gas(MATH_GAS)
        self.twaps[branch] = (total, lmsr.price_ppb(q, self.b, 0), last)
        self.q[branch] = q

    def _trading(self, ctx: Context) -> None:
        if ctx.block_number >= self.twap_end:
            raise Revert(f"trading closed at block {self.twap_end}")

    @public
    def price(self, ctx: Context, branch: str) -> int:
        """YES's price in ``branch``, parts per billion (the market's P(metric | branch))."""
        ctx.use_gas(MATH_GAS)
        return lmsr.price_ppb(self.q[self._branch(branch)], self.b, 0)

    @public
    def shares(self, ctx: Context, branch: str) -> tuple[int, int]:
        """``(YES, NO)`` shares the maker of ``branch`` has sold."""
        return self.q[self._branch(branch)]

    @public
    def twap(self, ctx: Context, branch: str) -> int:
        """The branch's TWAP so far, ppb: ``Σ price × blocks / blocks counted``."""
        branch = self._branch(branch)
        total, price, last = self.twaps[branch]
        now = min(ctx.block_number, self.twap_end)
        counted = max(0, now - self.twap_start)
        if now > max(last, self.twap_start):
            total += price * (now - max(last, self.twap_start))
        return total // counted if counted else price

    @public
    def quote(self, ctx: Context, branch: str, outcome: str, shares: int) -> int:
        """What buying ``shares`` (selling, if negative) of ``outcome`` costs now."""
        q, delta = self.q[self._branch(branch)], self._delta(outcome, shares)
        ctx.use_gas(MATH_GAS)
        return lmsr.charge(q, delta, self.b)

    @staticmethod
    def _delta(outcome: str, shares: int) -> tuple[int, int]:
        if type(shares) is not int:
            raise Revert(f"shares must be an int, got {shares!r}")
        return (shares, 0) if ConditionalTokens._outcome(outcome) == YES else (0, shares)

    # -- trading -----------------------------------------------------------------------
    def _buy(self, ctx: Context, branch: str, outcome: str, shares: int, cost: int) -> None:
        q = self.q[branch]
        delta = self._delta(outcome, shares)
        paid = ctx.value.get(self.token(branch), 0)
        ctx.mint(self.token(branch, outcome), ctx.sender, shares)
        self.pool[branch] = self.pool[branch] + cost
        if paid > cost:
            ctx.transfer(self.token(branch), ctx.sender, paid - cost)
        self._set_price(ctx, branch, (q[0] + delta[0], q[1] + delta[1]))
        ctx.emit("Trade", who=ctx.sender, branch=branch, outcome=outcome, shares=shares, cost=cost)

    def _paid_in(self, ctx: Context, branch: str, method: str) -> int:
        token = self.token(branch)
        paid = ctx.value.get(token, 0)
        if set(ctx.value) != {token} or paid <= 0:
            raise Revert(f"{method} must send {token} (the most it may spend) as value")
        return paid

    @public
    def buy(self, ctx: Context, branch: str, outcome: str, shares: int, max_cost: int) -> int:
        """Buy ``shares`` of ``branch``'s ``outcome``, paying at most ``max_cost`` of the
        ``branch`` token sent as value (the rest is refunded). Returns the cost."""
        branch = self._branch(branch)
        self._trading(ctx)
        positive_int(shares, "shares")
        paid = self._paid_in(ctx, branch, "buy")
        if type(max_cost) is not int or max_cost < 0:
            raise Revert(f"max_cost must be a non-negative int, got {max_cost!r}")
        ctx.use_gas(MATH_GAS)
        cost = lmsr.charge(self.q[branch], self._delta(outcome, shares), self.b)
        if cost > min(max_cost, paid):
            raise Revert(f"{shares} {outcome} in {branch} cost {cost}, above the limit {max_cost}")
        self._buy(ctx, branch, outcome, shares, cost)
        return cost

    @public
    def buy_to_price(
        self, ctx: Context, branch: str, outcome: str, price_ppb: int, max_cost: int
    ) -> tuple[int, int]:
        """A limit order: buy ``outcome`` until its price reaches ``price_ppb`` or the
        ``branch`` tokens sent as value (capped at ``max_cost``) run out. Returns
        ``(shares, cost)``; ``(0, 0)`` if the price is already there (all refunded).

        Sized in exact integers (:func:`~accord.mechanisms.lmsr.size_buy`: a bisection on
        the shares with the ceiling charge, no float), so every installation fills the
        same order; the bisection's evaluations are charged as gas before it runs."""
        branch = self._branch(branch)
        outcome = self._outcome(outcome)
        self._trading(ctx)
        if type(price_ppb) is not int or not 0 < price_ppb < lmsr.PRICE_SCALE:
            raise Revert(f"price_ppb must be an int in (0, {lmsr.PRICE_SCALE}), got {price_ppb!r}")
        budget = min(self._paid_in(ctx, branch, "buy_to_price"), positive_int(max_cost, "max_cost"))
        q, i = self.q[branch], OUTCOMES.index(outcome)
        ctx.use_gas(MATH_GAS * lmsr.buy_steps(q, self.b, i, budget))  # the bisection's bound
        shares, cost = lmsr.size_buy(q, self.b, i, budget, price_ppb)
        if not shares:
            ctx.transfer(self.token(branch), ctx.sender, ctx.value[self.token(branch)])
            return (0, 0)
        self._buy(ctx, branch, outcome, shares, cost)
        return (shares, cost)

    @public
    def sell(self, ctx: Context, branch: str, outcome: str, min_proceeds: int) -> int:
        """Sell the ``branch``-``outcome`` tokens sent as value to the maker for at least
        ``min_proceeds`` of the ``branch`` token. Returns the proceeds."""
        branch = self._branch(branch)
        outcome = self._outcome(outcome)
        self._trading(ctx)
        token = self.token(branch, outcome)
        shares = ctx.value.get(token, 0)
        if set(ctx.value) != {token} or shares <= 0:
            raise Revert(f"sell must send the {token} tokens to sell as value")
        if type(min_proceeds) is not int or min_proceeds < 0:
            raise Revert(f"min_proceeds must be a non-negative int, got {min_proceeds!r}")
        q = self.q[branch]
        delta = self._delta(outcome, -shares)
        ctx.use_gas(MATH_GAS)
        proceeds = -lmsr.charge(q, delta, self.b)
        if proceeds < min_proceeds:
            raise Revert(f"selling {shares} {token} pays {proceeds}, below {min_proceeds}")
        ctx.burn(token, shares)
        self.pool[branch] = self.pool[branch] - proceeds
        if proceeds:
            ctx.transfer(self.token(branch), ctx.sender, proceeds)
        self._set_price(ctx, branch, (q[0] + delta[0], q[1] + delta[1]))
        ctx.emit("Trade", who=ctx.sender, branch=branch, outcome=outcome, shares=-shares)
        return proceeds

    # -- decision and metric -----------------------------------------------------------
    @public
    def decide(self, ctx: Context) -> str:
        """Anyone, from block ``twap_end``: apply the TWAP rule once; ask the oracle the
        metric question (if there is one). Returns ``PASS`` or ``FAIL``."""
        if self.decision:
            raise Revert(f"already decided: {self.decision}")
        end = self.twap_end
        if ctx.block_number < end:
            raise Revert(f"the TWAP window ends at block {end}; now {ctx.block_number}")
        window = end - self.twap_start
        tw = {b: self._observe(b, end)[0] // window for b in BRANCHES}
        passes = tw[PASS] * BPS > tw[FAIL] * (BPS + self.threshold_bps)
        self.decision = PASS if passes else FAIL
        if self.oracle:
            text = f"{self.question} (decision: {self.decision})"
            try:
                self.question_id = ctx.call(self.oracle, "ask", text, METRIC_ANSWERS)
            except OutOfGas:
                raise
            except (Revert, DeviceError) as exc:
                raise Revert(f"oracle {self.oracle} refused the metric question: {exc}") from None
        ctx.emit("Decided", decision=self.decision, twap_pass=tw[PASS], twap_fail=tw[FAIL])
        return self.decision

    def _set_metric(self, ctx: Context, answer: str) -> str:
        if not self.decision:
            raise Revert("the metric is settled after the decision")
        if self.metric:
            raise Revert(f"metric already settled: {self.metric}")
        if answer not in METRIC_ANSWERS:
            raise Revert(f"metric answer must be one of {METRIC_ANSWERS}, got {answer!r}")
        self.metric = YES if answer == "yes" else NO
        ctx.emit("MetricSettled", metric=self.metric)
        return self.metric

    @public
    def settle_metric(self, ctx: Context) -> str:
        """Anyone: read the oracle's answer to the metric question. Returns YES or NO."""
        if not self.oracle:
            raise Revert(f"this market's metric is reported by its resolver {self.resolver}")
        if not self.decision:
            raise Revert("the metric is settled after the decision")
        qid = self.question_id
        answer = ctx.call(self.oracle, "outcome", qid)
        if answer is None:
            status = ctx.call(self.oracle, "status", qid)
            raise Revert(f"oracle question {qid} has no answer yet (status {status})")
        return self._set_metric(ctx, answer)

    @public
    def report_metric(self, ctx: Context, answer: str) -> str:
        """The resolver (a jury's account), once decided: ``"yes"`` or ``"no"``."""
        if not self.resolver or ctx.sender != self.resolver:
            raise Revert(f"only the resolver {self.resolver or '(none)'} may report the metric")
        return self._set_metric(ctx, answer)

    @public
    def close(self, ctx: Context) -> int:
        """Anyone, once the metric is settled: pay the sponsor its pool in the branch
        taken, less the shares it sold of the metric's outcome; burn both pools.
        Returns the collateral paid to the sponsor."""
        if not self.metric:
            raise Revert("close needs the metric settled")
        if self.closed:
            raise Revert("already closed")
        self.closed = True
        taken = self.decision
        q = self.q[taken]
        owed = self.pool[taken] - (q[0] if self.metric == YES else q[1])
        for branch in BRANCHES:
            if self.pool[branch]:
                ctx.burn(self.token(branch), self.pool[branch])
                self.pool[branch] = 0
        if owed < 0:  # unreachable: the ceiling charges keep pool >= max(q)
            raise Revert(f"maker pool short by {-owed}")
        if owed:
            ctx.transfer(self.collateral, self.sponsor, owed)
        ctx.emit("Closed", sponsor=self.sponsor, refund=owed)
        return owed

    @public
    def status(self, ctx: Context) -> tuple[str, str, int, int, bool]:
        """``(decision, metric, twap_start, twap_end, closed)``."""
        return (self.decision, self.metric, self.twap_start, self.twap_end, self.closed)
