"""The Agent protocol: an observation in, a list of actions out.

Every agent in accord, scripted, learning or LLM, is one small thing: it is handed an
:class:`Observation` of what it may see and returns its :data:`Action` s. This is
the shape of Concordia's acting component (``concordia/typing/entity.py``: observe,
then ``act``) and of PettingZoo's ``ParallelEnv`` step (observations in, actions out,
per agent), cut down to what a commitment device needs.

* **What an agent sees** is decided by the run, not by the agent: the mempool comes from
  :meth:`accord.device.Device.pending_view`, so under a ``private`` mempool an agent sees
  only its own pending transactions and under ``sealed`` everyone else's are
  :class:`~accord.device.SealedTx` envelopes. Its balances, the public state a game
  exposes (``state``, e.g. the pools' reserves) and its own private information
  (``private``, e.g. a trade need) complete the picture.
* **What an agent does** is one of three things, each signed by the agent's own
  :class:`~accord.device.Account` (the only key it is handed): a
  :class:`~accord.device.Transaction` for the public mempool, a
  :class:`~accord.device.Bundle` sent privately to the builder (Flashbots'
  ``eth_sendBundle``), or a :class:`~accord.device.commitments.Commitment` that the
  device posts and later resolves (``docs/commitments.md``).
* **Randomness** comes from a seeded :class:`numpy.random.Generator` handed to the agent
  when it is made (one per agent, split from the run's seed), never from global state.

:func:`observe` builds an observation from a device; :func:`submit` sends an agent's
actions to it, signing commitments' posting transactions with the agent's account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, TypeAlias, runtime_checkable

from accord.device import (
    Bundle,
    Device,
    DeviceError,
    Pending,
    Rejected,
    SealedTx,
    Transaction,
)
from accord.device.commitments.language import Commitment

Action: TypeAlias = Transaction | Bundle | Commitment
"""What an agent may do: send a transaction, send a bundle to the builder, or commit."""

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Observation:
    """What one agent may know when it acts for block ``number``.

    ``mempool`` is the pending transactions as the run's visibility shows them to this
    agent; ``nonce`` is the agent's next free nonce (after its own pending
    transactions); ``state`` is what the game makes public (read-only), ``private`` what
    only this agent knows.
    """

    agent: str
    number: int
    time_ms: int
    base_fee: int
    ordering: str
    visibility: str
    fee_market: str
    nonce: int
    mempool: tuple[Pending | SealedTx, ...] = ()
    balances: Mapping[str, int] = field(default_factory=lambda: _EMPTY)
    state: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    private: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def max_fee(self, priority_fee: int) -> int:
        """A max fee that covers this block's base fee and ``priority_fee`` (as
        :meth:`Device.default_max_fee`)."""
        if self.fee_market == "first_price":
            return max(1, priority_fee)
        return 2 * self.base_fee + priority_fee

    def visible(self) -> list[Pending]:
        """The pending transactions whose contents this agent can read (own or public)."""
        return [p for p in self.mempool if type(p) is Pending]


@runtime_checkable
class Agent(Protocol):
    """Anything with a ``name`` (its account address) that acts on observations."""

    name: str

    def act(self, obs: Observation) -> Sequence[Action]: ...


def observe(
    device: Device,
    agent: str,
    *,
    assets: Iterable[str] = (),
    state: Mapping[str, Any] | None = None,
    private: Mapping[str, Any] | None = None,
    mempool: bool = True,
) -> Observation:
    """The observation ``agent`` gets from ``device`` now, for the next block.

    ``assets`` lists the balances to read; ``mempool=False`` skips the (visibility
    filtered) mempool for agents that never read it, which saves a pass over it.
    """
    config = device.config
    return Observation(
        agent=agent,
        number=device.number + 1,
        time_ms=device.now,
        base_fee=device.base_fee,
        ordering=config.ordering,
        visibility=config.mempool,
        fee_market=config.fee_market,
        nonce=device.next_nonce(agent),
        mempool=tuple(device.pending_view(agent)) if mempool else (),
        balances=MappingProxyType({a: device.balance(agent, a) for a in assets}),
        state=MappingProxyType(dict(state)) if state else _EMPTY,
        private=MappingProxyType(dict(private)) if private else _EMPTY,
    )


@dataclass(frozen=True, slots=True)
class Submitted:
    """What :func:`submit` did with one action: its hash, or why the device refused it."""

    action: Action
    hash: bytes | None
    error: str | None = None


def submit(device: Device, agent: str, actions: Iterable[Action]) -> list[Submitted]:
    """Send an agent's actions to the device, in order.

    Transactions and bundles must already be signed by the agent (bundles may carry
    other people's signed transactions, as a sandwich carries its victim's). A
    commitment is posted by a transaction that the device signs with the agent's own
    account (:meth:`Device.commit`), so an agent cannot post for someone else: the
    device refuses a commitment whose owner is not ``agent``. A refused action changes
    nothing and is reported with its error instead of raising, so that one bad action
    does not stop a run.
    """
    out: list[Submitted] = []
    for action in actions:
        try:
            if isinstance(action, Transaction):
                if action.sender != agent:
                    raise Rejected(
                        f"{agent} cannot send {action.sender}'s transaction", field="sender"
                    )
                out.append(Submitted(action, device.submit(action)))
            elif isinstance(action, Bundle):
                out.append(Submitted(action, device.submit_bundle(action, sender=agent)))
            else:
                out.append(Submitted(action, device.commit(device.account(agent), action)))
        except (DeviceError, ValueError) as exc:
            out.append(Submitted(action, None, f"{type(exc).__name__}: {exc}"))
    return out
