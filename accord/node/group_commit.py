"""Group commit: one SQLite transaction for the journal rows of concurrent requests.

A request that admits a transaction stages its journal row (:meth:`Node.send` with
:attr:`Node.group_commit`) and then awaits :meth:`GroupCommit.durable` before its answer
is sent. The first waiter of a turn of the event loop schedules one flush
(:meth:`asyncio.AbstractEventLoop.call_soon`), which runs after every request handled in
that turn and commits all their rows at once (:meth:`Node.commit`). Each answer is
still sent only after the commit of its own rows, so "acknowledged means journaled"
(``docs/node.md``) holds; what changes is that N concurrent requests pay for one commit
instead of N. This is the classic group commit of databases (Gray and Reuter,
*Transaction Processing*, 1993, §9.4.7; PostgreSQL's ``commit_delay``), here without any
added delay: only the requests that are already ready share a commit.

If the commit fails, every waiter of that flush gets the error, and :meth:`Node.commit`
has taken their items back out of the mempool: none of them is acknowledged.
"""

from __future__ import annotations

import asyncio

from accord.node.production import Node


class GroupCommit:
    """The pending flush of one event loop, shared by the requests that wait for it."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._flush: asyncio.Future[int] | None = None
        self.flushes = 0
        """Commits made (each covering one or more requests' rows)."""

    async def durable(self) -> int:
        """Wait until every row staged so far is committed; returns how many rows that
        flush committed. Raises the commit's error (nothing acknowledged)."""
        flush = self._flush
        if flush is None:
            loop = asyncio.get_running_loop()
            flush = self._flush = loop.create_future()
            loop.call_soon(self._run, flush)
        return await asyncio.shield(flush)

    def _run(self, flush: asyncio.Future[int]) -> None:
        self._flush = None
        try:
            committed = self.node.commit()
        except Exception as exc:  # the waiters answer it; none is acknowledged
            flush.set_exception(exc)
            flush.exception()  # marked retrieved: every waiter raises it already
            return
        self.flushes += 1
        flush.set_result(committed)
