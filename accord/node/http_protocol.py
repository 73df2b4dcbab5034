"""uvicorn's httptools protocol with the head of a request bounded, as h11 bounds it.

httptools (llhttp) parses HTTP/1.1 about twice as fast as h11 for the node's small
requests (``docs/node.md``, "Performance"), but uvicorn's httptools protocol buffers a
request line and headers of any length: a client sending a 50 MB header made the
process grow by 100 MB before it was answered. Under h11, uvicorn refuses a head past
``h11_max_incomplete_event_size`` (16 KiB by default) and closes the connection.
:func:`bounded_httptools`'s class keeps that promise on httptools: it counts the bytes
received while a request's head is incomplete, and measures a head that arrives whole
in one read when it is parsed; past the same limit it answers 400 and closes the
connection (as uvicorn answers any request llhttp cannot parse). The body is not
counted here: its limit is ``max_request_bytes`` (:mod:`accord.node.rpc_endpoint`).

:func:`protocol` returns the class, or ``"h11"`` when httptools is not installed.
"""

from __future__ import annotations

from typing import Any

TOO_LARGE = "Request line and headers too large."
H11_DEFAULT = 16 * 1024
"""h11's own bound when uvicorn's ``h11_max_incomplete_event_size`` is unset."""


def protocol() -> Any:
    """The HTTP protocol to give ``uvicorn.Config(http=...)``."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        return "h11"
    return bounded_httptools()


def bounded_httptools() -> type:
    """The bounded protocol class, built on first use (uvicorn's httptools module
    imports httptools)."""
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class Bounded(HttpToolsProtocol):
        """:class:`HttpToolsProtocol` refusing a request head past the h11 limit."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            limit = self.config.h11_max_incomplete_event_size
            self._head_limit: int = H11_DEFAULT if limit is None else limit
            self._in_head = True
            self._head_bytes = 0
            self._ended = False  # a request ended during the current data_received
            self._refused = False

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            in_head = self._in_head
            self._ended = False
            super().data_received(data)
            if in_head and self._in_head and not self._ended:
                self._head_bytes += len(data)
                if self._head_bytes > self._head_limit:
                    self._refused = True
                    self.logger.warning(TOO_LARGE)
                    self.send_400_response(TOO_LARGE)

        def on_headers_complete(self) -> None:
            # a head that came whole in one read: measured here (request line and
            # header lines with their separators); raising makes llhttp's feed fail,
            # which uvicorn answers 400 and closes
            size = len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers)
            if size > self._head_limit:
                self._refused = True
                raise ValueError(TOO_LARGE)
            self._in_head = False
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._in_head = True
            self._head_bytes = 0
            self._ended = True
            super().on_message_complete()

    _CLASS = Bounded
    return Bounded


_CLASS: type | None = None
