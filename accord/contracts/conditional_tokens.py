"""Conditional tokens for a two-branch decision, Gnosis-CTF style (simplified).

The contract issues six assets (it is their only issuer, so only it mints or burns)::

    collateral ──split──▶ PASS + FAIL              (one of each per unit of collateral)
    PASS ──split_branch──▶ PASS-YES + PASS-NO      (and FAIL into FAIL-YES + FAIL-NO)

and the reverse moves, :meth:`ConditionalTokens.merge` and
:meth:`~ConditionalTokens.merge_branch`. This is the Gnosis Conditional Token Framework's
``splitPosition`` / ``mergePositions`` / ``redeemPositions`` (Gnosis, "Conditional Tokens"
developer docs, 2019–2020) for one decision condition (which branch is taken) and one
metric condition under each branch (did the metric reach its target), with full sets only
and payout vectors ``(1, 0)`` or ``(0, 1)``.

**Redeeming** (:meth:`~ConditionalTokens.redeem`), once the decision is known:
a token of the *taken* branch pays one unit of collateral (its YES and NO tokens once the
metric is known: YES pays 1 if the metric is met, NO pays 1 if not); a token of the
*other* branch pays nothing and is burned. Since every unit of collateral was split into
one PASS *and* one FAIL, whatever was done with the branch not taken (its tokens
bought, sold or held) changes nobody's collateral: the losing branch's trades are undone
in value. This is how a decision market "calls off" the trades of the option not chosen
(Hanson, "Decision Markets", *IEEE Intelligent Systems* 14(3), 1999; MetaDAO's
conditional vaults work the same way).

**Backing** (tested after every call): for each branch ``B``, the collateral the contract
holds equals ``supply(B) + supply(B-YES) − q_YES``, where ``q`` is what the market maker
of the subclass has sold (``supply(B-YES) − q_YES = supply(B-NO) − q_NO`` is the number
of ``B`` units split into pairs).
"""

from __future__ import annotations

from collections.abc import Mapping

from accord.device import Context, Contract, DeviceError, Revert, Var, public

PASS, FAIL = "PASS", "FAIL"
BRANCHES = (PASS, FAIL)
YES, NO = "YES", "NO"
OUTCOMES = (YES, NO)


def positive_int(value: object, name: str) -> int:
    """``value`` if it is a positive int (not a bool), else a Revert naming ``name``."""
    if type(value) is not int or value <= 0:
        raise Revert(f"{name} must be a positive int in base units, got {value!r}")
    return value


def address(value: object, name: str, *, allow_empty: bool = False) -> str:
    """``value`` if it is a str (non-empty unless ``allow_empty``), else a Revert."""
    if type(value) is not str or (not value and not allow_empty):
        raise Revert(f"{name} must be an address str, got {value!r}")
    return value


class ConditionalTokens(Contract):
    """Split, merge and redeem the six conditional tokens of one decision."""

    collateral: Var[str] = Var("")
    prefix: Var[str] = Var("")
    decision: Var[str] = Var("")
    """``""`` until decided, then ``PASS`` or ``FAIL``."""
    metric: Var[str] = Var("")
    """``""`` until settled, then ``YES`` or ``NO`` (the metric under the taken branch)."""

    # -- names -------------------------------------------------------------------------
    def token(self, branch: str, outcome: str = "") -> str:
        """The asset symbol of ``branch`` (and of its ``outcome``): ``{prefix}-PASS-YES``."""
        return f"{self.prefix}-{branch}-{outcome}" if outcome else f"{self.prefix}-{branch}"

    def _create_tokens(self, ctx: Context, collateral: str, prefix: str) -> None:
        self.collateral = address(collateral, "collateral")
        self.prefix = address(prefix, "prefix")
        try:
            ctx.transfer(collateral, ctx.this, 0)  # a zero move: checks the asset exists
        except DeviceError:
            raise Revert(f"collateral asset {collateral!r} does not exist") from None
        for branch in BRANCHES:
            for name in (self.token(branch), *(self.token(branch, o) for o in OUTCOMES)):
                try:
                    ctx.create_asset(name)
                except DeviceError as exc:
                    raise Revert(f"cannot create token {name!r}: {exc}") from None

    @staticmethod
    def _branch(branch: object) -> str:
        if branch not in BRANCHES:
            raise Revert(f"branch must be one of {BRANCHES}, got {branch!r}")
        return str(branch)

    @staticmethod
    def _outcome(outcome: object) -> str:
        if outcome not in OUTCOMES:
            raise Revert(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
        return str(outcome)

    @staticmethod
    def _exactly(ctx: Context, want: Mapping[str, int], method: str) -> None:
        """Revert unless the call's value is exactly ``want``."""
        if dict(ctx.value) != dict(want):
            raise Revert(f"{method} must send exactly {dict(want)} as value, got {dict(ctx.value)}")

    # -- split and merge ---------------------------------------------------------------
    @public
    def split(self, ctx: Context, amount: int) -> int:
        """Send ``amount`` collateral; receive ``amount`` PASS and ``amount`` FAIL."""
        positive_int(amount, "amount")
        self._exactly(ctx, {self.collateral: amount}, "split")
        for branch in BRANCHES:
            ctx.mint(self.token(branch), ctx.sender, amount)
        ctx.emit("Split", who=ctx.sender, amount=amount)
        return amount

    @public
    def merge(self, ctx: Context, amount: int) -> int:
        """Send ``amount`` PASS and ``amount`` FAIL; receive ``amount`` collateral."""
        positive_int(amount, "amount")
        self._exactly(ctx, {self.token(PASS): amount, self.token(FAIL): amount}, "merge")
        for branch in BRANCHES:
            ctx.burn(self.token(branch), amount)
        ctx.transfer(self.collateral, ctx.sender, amount)
        ctx.emit("Merge", who=ctx.sender, amount=amount)
        return amount

    @public
    def split_branch(self, ctx: Context, branch: str, amount: int) -> int:
        """Send ``amount`` of ``branch``; receive ``amount`` of its YES and of its NO."""
        branch = self._branch(branch)
        positive_int(amount, "amount")
        self._exactly(ctx, {self.token(branch): amount}, "split_branch")
        ctx.burn(self.token(branch), amount)
        for o in OUTCOMES:
            ctx.mint(self.token(branch, o), ctx.sender, amount)
        ctx.emit("SplitBranch", who=ctx.sender, branch=branch, amount=amount)
        return amount

    @public
    def merge_branch(self, ctx: Context, branch: str, amount: int) -> int:
        """Send ``amount`` of ``branch``'s YES and of its NO; receive ``amount`` of it."""
        branch = self._branch(branch)
        positive_int(amount, "amount")
        want = {self.token(branch, o): amount for o in OUTCOMES}
        self._exactly(ctx, want, "merge_branch")
        for o in OUTCOMES:
            ctx.burn(self.token(branch, o), amount)
        ctx.mint(self.token(branch), ctx.sender, amount)
        ctx.emit("MergeBranch", who=ctx.sender, branch=branch, amount=amount)
        return amount

    # -- redeem ------------------------------------------------------------------------
    def payout(self, asset: str) -> int | None:
        """Collateral per unit of ``asset`` now: 1, 0, or ``None`` (not yet known).

        Reverts for an asset that is not one of this contract's tokens."""
        decided, metric = self.decision, self.metric
        for branch in BRANCHES:
            if asset == self.token(branch):
                if not decided:
                    return None
                return 1 if branch == decided else 0
            for o in OUTCOMES:
                if asset == self.token(branch, o):
                    if not decided:
                        return None
                    if branch != decided:
                        return 0
                    if not metric:
                        return None
                    return 1 if o == metric else 0
        raise Revert(f"{asset!r} is not a token of this market (prefix {self.prefix!r})")

    @public
    def redeem(self, ctx: Context) -> int:
        """Send any of this market's tokens; each is burned and paid its :meth:`payout`
        in collateral (so the branch not taken pays 0). Returns the collateral paid."""
        if not ctx.value:
            raise Revert("redeem must send this market's tokens as value")
        paid = 0
        for asset, amount in sorted(ctx.value.items()):
            rate = self.payout(asset)
            if rate is None:
                what = "decision" if not self.decision else "metric"
                raise Revert(f"{asset} cannot be redeemed before the {what} is settled")
            ctx.burn(asset, amount)
            paid += rate * amount
        if paid:
            ctx.transfer(self.collateral, ctx.sender, paid)
        ctx.emit("Redeem", who=ctx.sender, paid=paid)
        return paid
