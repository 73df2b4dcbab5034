"""The node's explorer: a web page of the chain, and the reads it needs (``docs/node.md``,
"Explorer"; issue 15).

- ``index``: :class:`ExplorerIndex`, a node watcher keeping what the device does not
  index (contracts in order, each sender's transactions, commitment outcomes, the
  ERC-8004 registries);
- ``reads``: the read-only ``accord_*`` methods the page uses beyond the node's own,
  each ``O(limit)`` (:data:`EXPLORER_METHODS`);
- ``web``: the static page (``static/``: vanilla JavaScript, no CDN, no build step)
  at ``GET /explorer`` with a strict Content-Security-Policy.
"""

from accord.node.explorer.index import ExplorerIndex, index_of
from accord.node.explorer.reads import EXPLORER_METHODS, MAX_LIMIT
from accord.node.explorer.web import ASSETS, content_security_policy, explorer_routes

__all__ = [
    "ASSETS",
    "EXPLORER_METHODS",
    "MAX_LIMIT",
    "ExplorerIndex",
    "content_security_policy",
    "explorer_routes",
    "index_of",
]
