"""The explorer in a real browser: Debian's chromium, headless, driven by Playwright.

A real node (uvicorn on a free loopback port, in a thread) holds a chain built through
its API (``tests/node/explorer/chain.py``): transfers, ERC-8004 registries with an agent,
feedback and a validation, commitments pending, fired and expired, and hostile strings
in account names, agent URIs, feedback tags and commitment labels. The test clicks a
block in the list, then a transaction in it, and checks that what the page shows is what
the RPC answers; seals a block and sees it appear without a reload; opens every route
and checks that none raised a JavaScript error or logged one, and that the hostile
strings are shown as text and made no element. Skipped only when chromium is absent
(``make browser`` installs Debian's package in CI). Playwright's own browsers are never
used (``playwright install`` is not needed): it drives ``/usr/bin/chromium``.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from accord.client import RemoteDevice
from accord.node import Node, create_app
from tests.node.conftest import TOKEN
from tests.node.explorer.chain import (
    BIG,
    HOSTILE,
    HOSTILE_NAME,
    Chain,
    explorer_config,
    populate,
    signers,
)
from tests.node.node_process import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = os.environ.get("ACCORD_EXPLORER_SCREENSHOT")
"""A path to save a screenshot of the block page to (docs/figures/explorer.png)."""

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs chromium (apt-get install chromium; make browser)"
)


class Served:
    """A node served by uvicorn in a thread, with an RPC helper."""

    def __init__(self, tmp: Path) -> None:
        import uvicorn

        keys = signers()
        self.port = free_port()
        config = explorer_config(tmp / "data", keys, port=self.port, block_interval_ms=0)
        self.node = Node.open(config)
        self.server = uvicorn.Server(
            uvicorn.Config(
                create_app(self.node), host="127.0.0.1", port=self.port, log_level="warning"
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the node did not start"
            time.sleep(0.05)
        self.http = httpx.Client(base_url=self.url, timeout=10)
        self.remote = RemoteDevice(
            self.http, keys={n: s.private_key for n, s in keys.items()}, admin_token=TOKEN
        )

    def rpc(self, method: str, params: dict[str, Any]) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        answer = self.http.post("/", json=body).json()
        assert "error" not in answer, answer
        return answer["result"]

    def seal(self) -> int:
        response = self.http.post("/admin/block", headers={"Authorization": f"Bearer {TOKEN}"})
        number: int = response.json()["number"]
        return number

    def stop(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(10)
        self.node.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Chain]]:
    node = Served(tmp_path_factory.mktemp("explorer"))
    try:
        yield node, populate(node.remote)
    finally:
        node.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


class Watched:
    """A page whose JavaScript errors and console errors are collected."""

    def __init__(self, browser: Any) -> None:
        self.errors: list[str] = []
        self.page = browser.new_page()
        self.page.set_default_timeout(10_000)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on(
            "console",
            lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None,
        )

    def open(self, url: str, ready: str) -> None:
        """Go to ``url`` and wait until ``ready`` shows, or the page's error box does
        (then fail with its text)."""
        self.page.goto(url)
        try:
            self.page.wait_for_selector(f"{ready}, #error:not([hidden])")
        except Exception:
            view = self.page.locator("body").inner_text()
            raise AssertionError(f"{url}: {ready} never showed; the page: {view[:2000]}") from None
        error = self.page.locator("#error")
        assert error.is_hidden(), (url, error.inner_text())

    def field(self, key: str) -> str:
        text: str = self.page.locator(f'#view dd[data-field="{key}"]').first.inner_text()
        return text.strip()


def test_clicking_a_block_then_a_transaction_shows_what_the_rpc_says(
    served: tuple[Served, Chain], browser: Any
) -> None:
    node, chain = served
    watched = Watched(browser)
    page = watched.page
    page.goto(f"{node.url}/explorer")
    page.locator('#blocks a.block-link[data-number="1"]').click()
    transfer = f'#block-txs a.tx-link[data-hash="{chain.transfer}"]'
    page.wait_for_selector(transfer)
    block = node.rpc("accord_getBlock", {"number": 1})
    assert watched.field("hash") == block["hash"]
    assert watched.field("gas") == f"{block['gas_used']} / {block['gas_limit']}"
    shown = page.locator("#block-txs a.tx-link").evaluate_all("els => els.map(e => e.dataset.hash)")
    assert shown == block["transactions"] and chain.transfer in shown
    if SCREENSHOT:
        page.screenshot(path=SCREENSHOT, full_page=True)
    page.locator(transfer).click()
    page.wait_for_selector('#view dd[data-field="status"]')
    tx = node.rpc("accord_getTransaction", {"hash": chain.transfer})["transaction"]
    receipt = node.rpc("accord_getTransactionReceipt", {"hash": chain.transfer})
    assert page.url.endswith(f"#/tx/{chain.transfer}")
    assert (tx["sender"], tx["nonce"], tx["to"]) == ("alice", 0, "bob")
    assert watched.field("sender") == tx["sender"]
    assert watched.field("nonce") == str(tx["nonce"])
    assert watched.field("to") == tx["to"]
    assert watched.field("value") == '[["ETH", 5]]'
    assert watched.field("status") == receipt["status"] == "success"
    assert watched.field("gas_used") == str(receipt["gas_used"])
    assert watched.field("fee_paid") == str(receipt["fee_paid"])
    assert watched.field("block") == "1"
    # a transaction with events: the agent's registration, its events as the RPC has them
    registered = node.rpc("accord_getLogs", {"address": chain.identity, "name": "Registered"})[0]
    page.goto(f"{node.url}/explorer#/tx/{registered['tx_hash']}")
    page.wait_for_selector("#view table.events tr.event")
    receipt = node.rpc("accord_getTransactionReceipt", {"hash": registered["tx_hash"]})
    names = page.locator("#view td.event-name").all_inner_texts()
    assert names == [e["name"] for e in receipt["events"]]
    assert names == ["Transfer", "MetadataSet", "MetadataSet", "Registered"]
    assert watched.field("gas_used") == str(receipt["gas_used"])
    assert watched.errors == []


def test_a_sealed_block_appears_without_a_reload(
    served: tuple[Served, Chain], browser: Any
) -> None:
    node, _ = served
    watched = Watched(browser)
    page = watched.page
    page.goto(f"{node.url}/explorer#/mempool")
    page.wait_for_selector("#live.online")
    page.wait_for_selector("#mempool")
    page.evaluate("window.__notReloaded = true")
    # the mempool page: a transaction admitted now appears in it (public rule)
    sender = node.remote.account("bob")
    tx_hash = node.remote.submit(node.remote.sign(sender, "carol", value={"ETH": 1})).hex()
    page.wait_for_selector(f'#mempool tr[data-hash="{tx_hash}"]')
    # its page says it is pending, then shows its receipt once a block includes it
    page.goto(f"{node.url}/explorer#/tx/{tx_hash}")
    page.wait_for_selector("#no-receipt")
    assert watched.field("block") == "pending"
    head = node.rpc("accord_nodeInfo", {})["head"]["number"]
    assert node.seal() == head + 1
    page.wait_for_selector('#view dd[data-field="status"]')
    assert watched.field("status") == "success"
    assert watched.field("block") == str(head + 1)
    # the blocks list grows as blocks are sealed
    page.goto(f"{node.url}/explorer#/")
    page.wait_for_selector(f'#blocks tr[data-number="{head + 1}"]')
    sealed = node.seal()
    assert sealed == head + 2
    page.wait_for_selector(f'#blocks tr[data-number="{sealed}"]')
    first = page.locator("#blocks tbody tr").first.get_attribute("data-number")
    assert first == str(sealed)
    assert page.locator("#head").inner_text() == f"head: {sealed}"
    row = page.locator(f'#blocks tr[data-number="{sealed}"] td').nth(2).inner_text()
    assert row == "0" == str(len(node.rpc("accord_getBlock", {"number": sealed})["transactions"]))
    assert page.evaluate("window.__notReloaded") is True  # all of it without a reload
    assert watched.errors == []


def test_a_contract_shows_its_storage_and_events(
    served: tuple[Served, Chain], browser: Any
) -> None:
    node, chain = served
    watched = Watched(browser)
    watched.open(f"{node.url}/explorer#/contract/{chain.identity}", "#view table.events")
    page = watched.page
    logs = node.rpc("accord_getLogs", {"address": chain.identity})
    shown = page.locator("#view td.event-name").all_inner_texts()
    assert shown == [e["name"] for e in reversed(logs)][:50]
    assert "Registered" in shown and "MetadataSet" in shown
    storage = node.rpc("accord_getStorage", {"address": chain.identity, "map": "owners"})
    cells = page.locator('#view table.map[data-map="owners"] td').all_inner_texts()
    assert storage["entries"] == [[0, "bob"]] and cells == ["0", '"bob"']
    assert page.locator("#vars td").all_inner_texts() == ["next_id", "1"]
    assert watched.errors == []


def test_every_route_renders_without_a_javascript_error(
    served: tuple[Served, Chain], browser: Any
) -> None:
    node, chain = served
    watched = Watched(browser)
    routes = {
        "": "#blocks tr",
        "block/0": '#view dd[data-field="hash"]',
        f"tx/{chain.hostile_transfer}": '#view dd[data-field="status"]',
        "accounts": "#accounts tr",
        "account/alice": "#balances tr",
        f"account/{quote(HOSTILE_NAME, safe='')}": "#balances tr",
        "contracts": "#contracts tr",
        f"contract/{chain.identity}": "#vars tr",
        "contract/commitments": "#vars tr",
        "commitments": "#fired-commitments tbody tr",
        "agents": "#agents tbody tr",
        f"agent/{chain.identity}/{chain.agent}": "table.feedback tbody tr",
        "mempool": "#mempool",
        "block/999999": "#view p",
        "account/nobody": "#view p",
        "no/such/page": "#view p",
    }
    head = node.rpc("accord_nodeInfo", {})["head"]["number"]
    for route, ready in routes.items():
        watched.open(f"{node.url}/explorer#/{route}", ready)
        watched.page.reload()  # opened afresh at this route (a deep link), not navigated to
        watched.open(f"{node.url}/explorer#/{route}", ready)
        watched.page.wait_for_function(
            "n => document.getElementById('head').textContent === 'head: ' + n", arg=head
        )
    assert watched.errors == []


def test_hostile_strings_render_as_text_and_run_nothing(
    served: tuple[Served, Chain], browser: Any
) -> None:
    node, chain = served
    watched = Watched(browser)
    page = watched.page
    seen: list[str] = []
    for route, ready in (
        ("accounts", "#accounts tr"),
        (f"tx/{chain.hostile_transfer}", '#view dd[data-field="status"]'),
        ("agents", "#agents tbody tr"),
        (f"agent/{chain.identity}/{chain.agent}", "table.feedback tbody tr"),
        ("commitments", "#fired-commitments tbody tr"),
        (f"contract/{chain.identity}", "table.map tr"),
        (f"account/{quote(HOSTILE_NAME, safe='')}", "#balances tr"),
    ):
        watched.open(f"{node.url}/explorer#/{route}", ready)
        seen.append(page.locator("#view").inner_text())
        # nothing from the chain became an element: no img, script or iframe in the view
        assert page.locator("#view img, #view script, #view iframe").count() == 0, route
    text = "\n".join(seen)
    for hostile in HOSTILE:
        assert hostile in text, hostile
    assert page.evaluate("window.__pwned") is None
    # the exact balance past 2^53 (a float would have rounded it)
    page.goto(f"{node.url}/explorer#/account/alice")
    page.wait_for_selector('#balances td.balance[data-asset="ETH"]')
    shown = page.locator('#balances td.balance[data-asset="ETH"]').inner_text()
    assert shown == str(node.rpc("accord_getBalance", {"account": "alice"}))
    assert int(shown) > 2**53 and int(shown) < BIG
    assert watched.errors == []
