"""The open node: one device served over JSON-RPC 2.0 to agents holding their own keys.

``accord node --config node.toml`` (``docs/node.md``). Modules:

- ``config``: the node's TOML (pydantic), one-line errors;
- ``wire``: the JSON wire format of signed transactions and bundles, and the canonical
  encoding written out for clients in other languages;
- ``signing``: :class:`Signer`, building and signing wire transactions with only a key;
- ``rpc``: JSON-RPC 2.0 (batches, the specification's error codes);
- ``methods`` and ``reads``: the ``accord_*`` / ``eth_*`` methods and their schemas;
  ``proofs``: ``accord_getProof``, a receipt's Merkle path to its block header;
  ``finality``: block tags (``finalized``, ``safe``), ``eth_getBlockByNumber`` and the
  operator's reorg (``POST /admin/reorg``, ``accord_reorg``);
- ``production``: :class:`Node`, the device opened or resumed from its log, blocks,
  dry runs; ``journal``: the chain log resumed and the mempool journal;
  ``group_commit``: one journal commit for the concurrent requests of a loop turn;
  ``checkpoints``: state checkpoints written every ``checkpoint_every`` blocks and
  tried first on restart; ``archive``: every sealed block on disk (``blocks.db``),
  read past the device's ``history`` window;
- ``subscriptions``: the WebSocket hub (new and final blocks, reorgs, receipts, logs,
  the visible mempool);
- ``limits``: token-bucket rate limits; ``server``: the Starlette app and uvicorn.
- ``explorer``: the explorer page at ``GET /explorer`` and the read methods it needs.
"""

from accord.node.config import NodeConfig, NodeConfigError, load_config, parse_config
from accord.node.limits import RateLimiter
from accord.node.methods import METHODS, SCHEMA
from accord.node.production import Node, NodeDiverged, NodeStartError
from accord.node.server import create_app, serve
from accord.node.signing import Signer, bundle
from accord.node.wire import WireError, encode

__all__ = [
    "METHODS",
    "SCHEMA",
    "Node",
    "NodeConfig",
    "NodeConfigError",
    "NodeDiverged",
    "NodeStartError",
    "RateLimiter",
    "Signer",
    "WireError",
    "bundle",
    "create_app",
    "encode",
    "load_config",
    "parse_config",
    "serve",
]
