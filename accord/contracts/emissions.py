"""Emissions: credit by score, streamed down to contributors.

Each epoch the contract mints a fixed ``budget`` of its own emission asset and pays it
to the forecasters by how well they forecast the epoch's questions; every recipient then
passes fixed percentages of what it receives on to its contributors, recursively.

**Questions and forecasts.** A deployment fixes ``questions`` (binary questions per
epoch). During epoch ``e`` a registered forecaster calls :meth:`Emissions.forecast`
``(e, (p₁, …, p_K))`` with probabilities in parts per million (its last call counts).
The ``resolver`` (a jury's account, or an oracle contract) calls
:meth:`~Emissions.resolve` ``(e, (y₁, …, y_K))``; that settles the epoch and opens the
next.

**The rule** (:mod:`accord.mechanisms.scoring`): forecaster ``i``'s score is its
quadratic-score improvement over the chance forecast ``½``, summed over the questions,
``sᵢ = Σₖ (½ − yₖ)² − (pᵢₖ − yₖ)²``, exact in ppm² (:func:`brier_improvement_ppm`; a
missing forecast counts as ``½``, i.e. 0). The budget is split in proportion to
``max(0, sᵢ)`` by the largest remainder method: a forecaster paid is one that beat
chance, and the strictly proper score makes honest forecasting the way to be paid
(Metaculus' baseline score with its negative part cut off; see the scoring module). If
nobody beat chance, nothing is minted that epoch.

**Streams** (:mod:`accord.mechanisms.streams`). Any account may declare with
:meth:`~Emissions.set_stream` the basis points of what it receives that go on to each
of its contributors (``Σ ≤ 10,000``; it keeps the rest). At settlement the forecasters'
emissions flow down the stream tree (Torus-style recursive emission streams; Drips-style
splits), each node's inflow split once by largest remainder, and each account is minted
exactly what it keeps: ``Σ minted == budget`` (or 0), tested. A stream that would close a
cycle (``a → … → a``) is refused, naming the cycle.

Why streams at all: a forecaster's accuracy comes from its contributors' work, and they
work for what is streamed to them. A forecaster that routes its stream to a crony
instead starves them, forecasts worse and earns less
(:mod:`accord.games.emissions`).
"""

from __future__ import annotations

from accord.device import Context, Contract, DeviceError, Map, Revert, Var, public
from accord.mechanisms import scoring
from accord.mechanisms import streams as ST

Stream = tuple[tuple[str, int], ...]
"""``((contributor, bps), …)`` sorted by contributor."""

GAS_PER_RECIPIENT = 5_000
"""Extra gas per forecaster scored and per stream node visited at settlement."""
GAS_PER_EDGE = 500
"""Extra gas per stream share walked (a cycle check in ``set_stream``, a share followed
at settlement, where the flow splits it exactly): charged with the node's, before its
shares are walked, so a stream of thousands of shares pays for each of them."""
GAS_PER_QUESTION = 100
"""Extra gas per question scored per forecaster (a Brier improvement: a few integer
operations), charged with the forecaster's, before its forecast is scored."""


class Emissions(Contract):
    """Epochs of forecasts scored against the resolver's outcomes; emissions streamed."""

    asset: Var[str] = Var("")
    budget: Var[int] = Var(0)
    questions: Var[int] = Var(0)
    resolver: Var[str] = Var("")
    epoch: Var[int] = Var(0)
    count: Var[int] = Var(0)
    forecasters: Map[str] = Map("")
    """``index -> forecaster``, in registration order."""
    registered: Map[bool] = Map(False)
    forecasts: Map[tuple[int, ...] | None] = Map(None)
    """``(epoch, forecaster) -> forecasts in ppm``."""
    streams: Map[Stream] = Map(())
    scores: Map[int] = Map(0)
    """``(epoch, forecaster) -> score`` (ppm²)."""
    emitted: Map[int] = Map(0)
    """``(epoch, forecaster) -> `` its emission before streaming."""
    received: Map[int] = Map(0)
    """``(epoch, account) -> `` what it was minted (what it kept)."""

    def setup(self, ctx: Context, asset: str, budget: int, questions: int, resolver: str) -> None:
        """Create the emission ``asset`` (this contract is its issuer); mint ``budget``
        per epoch over ``questions`` binary questions resolved by ``resolver``."""
        if type(asset) is not str or not asset:
            raise Revert(f"asset must be a non-empty symbol, got {asset!r}")
        if type(budget) is not int or budget <= 0:
            raise Revert(f"budget must be a positive int in base units, got {budget!r}")
        if type(questions) is not int or not 1 <= questions <= 1_000:
            raise Revert(f"questions must be an int in [1, 1000], got {questions!r}")
        if type(resolver) is not str or not resolver:
            raise Revert(f"resolver must be an address str, got {resolver!r}")
        try:
            ctx.create_asset(asset)
        except DeviceError as exc:
            raise Revert(f"cannot create emission asset {asset!r}: {exc}") from None
        self.asset, self.budget, self.questions, self.resolver = asset, budget, questions, resolver

    # -- participants ------------------------------------------------------------------
    @public
    def register(self, ctx: Context) -> int:
        """Register the sender as a forecaster; returns its index."""
        who = ctx.sender
        if self.registered[who]:
            raise Revert(f"{who} is already a registered forecaster")
        index = self.count
        self.forecasters[index] = who
        self.registered[who] = True
        self.count = index + 1
        ctx.emit("Registered", forecaster=who, index=index)
        return index

    @public
    def set_stream(self, ctx: Context, stream: Stream) -> Stream:
        """Declare what share (bps) of what the sender receives goes to each contributor;
        ``()`` keeps everything. Refused if a share is bad, the total exceeds 10,000, or
        the stream closes a cycle."""
        who = ctx.sender
        if not isinstance(stream, tuple) or not all(
            isinstance(e, tuple) and len(e) == 2 for e in stream
        ):
            raise Revert(f"stream must be a tuple of (contributor, bps) pairs, got {stream!r}")
        as_map = dict(stream)
        if len(as_map) != len(stream):
            raise Revert(f"stream of {who} names a contributor twice")
        try:
            clean = ST.check_stream(who, as_map)
        except ST.StreamError as exc:
            raise Revert(str(exc)) from None
        path = self._path_to(ctx, who, list(clean))
        if path is not None:
            raise Revert(f"cycle in streams: {' -> '.join([who, *path])}")
        value: Stream = tuple(clean.items())
        self.streams[who] = value
        ctx.emit("StreamSet", who=who, stream=value)
        return value

    def _path_to(self, ctx: Context, target: str, starts: list[str]) -> list[str] | None:
        """A stream path from one of ``starts`` to ``target``, if any (depth first, with
        parent links: each node visited and each share walked once, each charged before)."""
        ctx.use_gas(GAS_PER_EDGE * len(starts))
        parent: dict[str, str | None] = {}
        stack: list[tuple[str, str | None]] = [(s, None) for s in reversed(starts)]
        while stack:
            node, via = stack.pop()
            if node in parent:
                continue
            parent[node] = via
            if node == target:
                path = [node]
                while (up := parent[path[-1]]) is not None:  # at most len(parent) steps
                    path.append(up)
                return path[::-1]
            stream = self.streams[node]
            ctx.use_gas(GAS_PER_RECIPIENT + GAS_PER_EDGE * len(stream))
            stack.extend((child, node) for child, _ in reversed(stream) if child not in parent)
        return None

    # -- epochs ------------------------------------------------------------------------
    @public
    def forecast(self, ctx: Context, epoch: int, probabilities: tuple[int, ...]) -> None:
        """A registered forecaster's probabilities (ppm) for the open epoch's questions."""
        who = ctx.sender
        if not self.registered[who]:
            raise Revert(f"{who} is not a registered forecaster")
        if type(epoch) is not int or epoch != self.epoch:
            raise Revert(f"epoch {epoch!r} is not open (the open epoch is {self.epoch})")
        k = self.questions
        if not isinstance(probabilities, tuple) or len(probabilities) != k:
            raise Revert(f"forecast must be a tuple of {k} probabilities in ppm")
        for i, p in enumerate(probabilities):
            if type(p) is not int or not 0 <= p <= scoring.PPM:
                raise Revert(f"forecast[{i}] must be an int in [0, {scoring.PPM}] ppm, got {p!r}")
        self.forecasts[(epoch, who)] = probabilities

    @public
    def resolve(self, ctx: Context, epoch: int, outcomes: tuple[bool, ...]) -> int:
        """The resolver: settle epoch ``epoch`` with its ``outcomes``; score, mint and
        stream; open the next epoch. Returns the amount minted (budget or 0)."""
        if ctx.sender != self.resolver:
            raise Revert(f"only the resolver {self.resolver} may resolve an epoch")
        if type(epoch) is not int or epoch != self.epoch:
            raise Revert(f"epoch {epoch!r} is not open (the open epoch is {self.epoch})")
        k = self.questions
        if not isinstance(outcomes, tuple) or len(outcomes) != k:
            raise Revert(f"outcomes must be a tuple of {k} bools")
        for i, y in enumerate(outcomes):
            if type(y) is not bool:
                raise Revert(f"outcomes[{i}] must be a bool, got {y!r}")
        names: list[str] = []
        weights: list[int] = []
        for index in range(self.count):
            who = self.forecasters[index]
            ctx.use_gas(GAS_PER_RECIPIENT + GAS_PER_QUESTION * k)
            probs = self.forecasts[(epoch, who)]
            s = 0
            if probs is not None:
                s = sum(
                    scoring.brier_improvement_ppm(p, y)
                    for p, y in zip(probs, outcomes, strict=True)
                )
            self.scores[(epoch, who)] = s
            names.append(who)
            weights.append(max(0, s))
        self.epoch = epoch + 1
        if not any(weights):
            ctx.emit("Settled", epoch=epoch, minted=0)
            return 0
        parts = ST.largest_remainder(self.budget, weights)
        inflow = {who: part for who, part in zip(names, parts, strict=True) if part}
        for who, part in inflow.items():
            self.emitted[(epoch, who)] = part
        graph = self._graph(ctx, list(inflow))
        try:
            kept = ST.flow(graph, inflow)
        except ST.StreamError as exc:  # unreachable: set_stream refuses cycles
            raise Revert(str(exc)) from None
        for who in sorted(kept):
            amount = kept[who]
            if amount:
                ctx.mint(self.asset, who, amount)
                self.received[(epoch, who)] = amount
        ctx.emit("Settled", epoch=epoch, minted=self.budget)
        return self.budget

    def _graph(self, ctx: Context, roots: list[str]) -> dict[str, dict[str, int]]:
        """The streams reachable from ``roots``."""
        graph: dict[str, dict[str, int]] = {}
        todo = list(roots)
        while todo:
            node = todo.pop()
            if node in graph:
                continue
            stream = self.streams[node]
            ctx.use_gas(GAS_PER_RECIPIENT + GAS_PER_EDGE * len(stream))  # the flow splits each
            graph[node] = dict(stream)
            todo.extend(graph[node])
        return graph

    # -- views -------------------------------------------------------------------------
    @public
    def stream(self, ctx: Context, who: str) -> Stream:
        """``who``'s declared stream."""
        return self.streams[who]

    @public
    def result(self, ctx: Context, epoch: int, who: str) -> tuple[int, int, int]:
        """``(score, emitted before streaming, minted to who)`` for a settled epoch."""
        return (self.scores[(epoch, who)], self.emitted[(epoch, who)], self.received[(epoch, who)])
