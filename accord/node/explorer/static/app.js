// The accord explorer: a page of the node's chain, from its public JSON-RPC (POST /) and
// its WebSocket subscriptions (/ws). Vanilla JavaScript, no framework, no build step.
//
// Security: every string shown comes from agents (names, contract data, commitment
// documents, agent URIs). It is inserted only as text (createTextNode / textContent),
// never as HTML, and no URI from the chain becomes a link: links are this page's own
// hash routes, built with encodeURIComponent. The node serves this file under a
// Content-Security-Policy that allows no inline script.
//
// The modules: json.js (exact JSON), node.js (JSON-RPC), dom.js (text-only DOM),
// pages.js (the pages); this one routes hash URLs and applies live updates.
import { parseJSON } from './json.js';
import { rpc, requestId } from './node.js';
import { el, render, showError, setHead } from './dom.js';
import {
  BLOCKS_SHOWN, blockRow, pageBlocks, pageBlock, pageTx, pageAccounts, pageAccount,
  pageContracts, pageContract, pageCommitments, pageAgents, pageAgent, mempoolRow, pageMempool,
} from './pages.js';

// -- routing -------------------------------------------------------------------------
const ROUTES = [
  [/^$/, () => pageBlocks()],
  [/^block\/(\d{1,15})$/, (m) => pageBlock(Number(m[1]))],
  [/^tx\/(?:0x)?([0-9a-fA-F]{64})$/, (m) => pageTx(m[1].toLowerCase())],
  [/^accounts(?:\/(\d{1,15}))?$/, (m) => pageAccounts(Number(m[1] || 0))],
  [/^account\/([^/]+)$/, (m) => pageAccount(m[1])],
  [/^contracts(?:\/(\d{1,15}))?$/, (m) => pageContracts(Number(m[1] || 0))],
  [/^contract\/([^/]+)$/, (m) => pageContract(m[1])],
  [/^commitments$/, () => pageCommitments()],
  [/^agents(?:\/([^/]+))?(?:\/(\d{1,15}))?$/, (m) => pageAgents(m[1] || null, Number(m[2] || 0))],
  [/^agent\/([^/]+)\/(\d{1,15})$/, (m) => pageAgent(m[1], Number(m[2]))],
  [/^mempool$/, () => pageMempool()],
];
let route = '';
let rendering = 0;

function current() {
  return { raw: location.hash.replace(/^#\/?/, '') };
}

async function go() {
  const ticket = ++rendering;
  const { raw } = current();
  route = raw;
  showError('');
  for (const [pattern, page] of ROUTES) {
    const m = pattern.exec(raw);
    if (!m) continue;
    const decoded = m.map((g) => { if (g === undefined) return g; try { return decodeURIComponent(g); } catch (e) { return g; } });
    try {
      await page(decoded);
      if (ticket === rendering) document.body.dataset.route = raw || 'blocks';
    } catch (error) {
      if (ticket === rendering) showError(`Could not load this page: ${error.message}`);
    }
    return;
  }
  render(el('h1', {}, 'Not found'), el('p', {}, 'No such page: ', el('span', { class: 'mono' }, raw)));
  document.body.dataset.route = 'not-found';
}

// The head, asked once at load and at each (re)connection; newHeads keeps it current.
async function refreshHead() {
  try {
    setHead((await rpc('accord_nodeInfo')).head.number);
  } catch (error) {
    showError(`Could not reach the node: ${error.message}`);
  }
}


// -- live updates (WebSocket /ws) --------------------------------------------------------
const topics = new Map(); // subscription id -> topic
let delay = 1000;

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  const badge = document.getElementById('live');
  const asked = new Map(); // request id -> topic
  socket.addEventListener('message', (event) => {
    let message;
    try { message = parseJSON(event.data); } catch (e) { return; }
    if (message.method === 'accord_welcome') {
      badge.textContent = 'live'; badge.className = 'online'; delay = 1000;
      refreshHead();
      for (const topic of ['newHeads', 'receipts', 'pendingTransactions']) {
        const id = requestId();
        asked.set(id, topic);
        socket.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'accord_subscribe', params: { topic } }));
      }
    } else if (message.method === 'accord_subscription') {
      const topic = topics.get(message.params.subscription);
      if (topic) notify(topic, message.params.result);
    } else if (asked.has(message.id) && typeof message.result === 'string') {
      topics.set(message.result, asked.get(message.id));
    }
  });
  socket.addEventListener('close', () => {
    badge.textContent = 'offline'; badge.className = 'offline';
    topics.clear();
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 30000);
  });
}

function notify(topic, item) {
  if (topic === 'newHeads') {
    setHead(item.number);
    const body = document.querySelector('#blocks tbody');
    if (route === '' && body && !body.querySelector(`tr[data-number="${CSS.escape(String(item.number))}"]`)) {
      const row = blockRow(item);
      row.classList.add('fresh');
      body.prepend(row);
      while (body.children.length > BLOCKS_SHOWN) body.lastElementChild.remove();
    }
  } else if (topic === 'receipts') {
    if (route.toLowerCase() === `tx/${item.tx_hash}` && document.getElementById('no-receipt')) go();
  } else if (topic === 'pendingTransactions') {
    const body = document.querySelector('#mempool tbody');
    if (route === 'mempool' && body && !body.querySelector(`tr[data-hash="${CSS.escape(String(item.hash))}"]`)) {
      const row = mempoolRow(item);
      row.classList.add('fresh');
      body.append(row);
    }
  }
}

window.addEventListener('hashchange', go);
window.addEventListener('DOMContentLoaded', () => {
  go();
  refreshHead();
  connect();
});
