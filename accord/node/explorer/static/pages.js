// The explorer's pages: each reads the node and renders text only (an ES module).
import { show, compact } from './json.js';
import { rpc, batch } from './node.js';
import {
  el, enc, link, short, blockLink, txLink, addressLink, fields, table, statusSpan, render, setHead,
} from './dom.js';

// -- pages ---------------------------------------------------------------------------
const BLOCKS_SHOWN = 20;

function blockRow(b) {
  return el('tr', { data: { number: b.number } },
    el('td', {}, blockLink(b.number)),
    el('td', { class: 'mono', title: b.hash }, short(b.hash)),
    el('td', {}, b.transactions.length),
    el('td', {}, b.gas_used),
    el('td', {}, b.base_fee),
    el('td', {}, b.timestamp));
}

async function pageBlocks() {
  const [info, pending] = await batch([['accord_nodeInfo'], ['accord_pendingTransactions']]);
  setHead(info.head.number);
  const numbers = [];
  for (let n = info.head.number; n >= 0 && numbers.length < BLOCKS_SHOWN; n--) numbers.push(n);
  const blocks = await batch(numbers.map((n) => ['accord_getBlock', { number: n }]));
  render(
    el('h1', {}, 'Blocks'),
    fields([
      ['chain id', info.chain_id, 'chain_id'],
      ['head', blockLink(info.head.number), 'head'],
      ['state hash', el('span', { class: 'mono' }, info.state_hash), 'state_hash'],
      ['base fee', info.base_fee, 'base_fee'],
      ['mempool rule', info.config.mempool, 'mempool'],
      ['pending (public view)', link('mempool', String(pending.length)), 'pending'],
    ]),
    el('h2', {}, 'Latest blocks'),
    table(['number', 'hash', 'txs', 'gas used', 'base fee', 'timestamp (ms)'],
      blocks.filter((b) => b).map(blockRow), { id: 'blocks' }));
}

async function pageBlock(number) {
  const block = await rpc('accord_getBlock', { number, full: true });
  if (!block) return render(el('h1', {}, `Block ${number}`), el('p', {}, 'No such block (yet).'));
  const receipts = await batch(block.transactions.map((tx) => ['accord_getTransactionReceipt', { hash: tx.hash }]));
  render(
    el('h1', {}, `Block ${block.number}`),
    fields([
      ['hash', el('span', { class: 'mono' }, block.hash), 'hash'],
      ['parent', block.number > 0 ? blockLink(block.number - 1) : '(genesis)', 'parent'],
      ['timestamp (ms)', block.timestamp, 'timestamp'],
      ['builder', addressLink(block.builder), 'builder'],
      ['gas used / limit', `${show(block.gas_used)} / ${show(block.gas_limit)}`, 'gas'],
      ['base fee', block.base_fee, 'base_fee'],
      ['state hash', el('span', { class: 'mono' }, block.state_hash), 'state_hash'],
      ['transactions root', el('span', { class: 'mono' }, block.tx_root), 'tx_root'],
    ]),
    el('h2', {}, `Transactions (${block.transactions.length})`),
    table(['hash', 'sender', 'nonce', 'to', 'method', 'status', 'gas used'],
      block.transactions.map((tx, k) => el('tr', {},
        el('td', {}, txLink(tx.hash)),
        el('td', {}, addressLink(tx.sender)),
        el('td', {}, tx.nonce),
        el('td', {}, addressLink(tx.to)),
        el('td', {}, tx.method),
        el('td', {}, receipts[k] ? statusSpan(receipts[k].status) : '?'),
        el('td', {}, receipts[k] ? receipts[k].gas_used : '?'))), { id: 'block-txs' }),
    block.skipped.length ? [
      el('h2', {}, `Skipped (${block.skipped.length})`),
      table(['hash', 'kind', 'field', 'reason'], block.skipped.map((s) => el('tr', {},
        el('td', { class: 'mono' }, short(s.hash)), el('td', {}, s.kind), el('td', {}, s.field), el('td', {}, s.reason)))),
    ] : null);
}

function eventsTable(events, withWhere) {
  const headers = withWhere ? ['block', 'tx', 'address', 'event', 'data'] : ['address', 'event', 'data'];
  return table(headers, events.map((e) => el('tr', { class: 'event' },
    withWhere ? [el('td', {}, blockLink(e.block_number)), el('td', {}, txLink(e.tx_hash))] : null,
    el('td', {}, addressLink(e.address)),
    el('td', { class: 'event-name' }, e.name),
    el('td', { class: 'mono event-data' }, compact(e.data)))), { class: 'events' });
}

async function pageTx(hash) {
  const [found, receipt] = await batch([['accord_getTransaction', { hash }], ['accord_getTransactionReceipt', { hash }]]);
  if (!found) return render(el('h1', {}, 'Transaction'), el('p', {}, 'Not found (unknown, or pending under a private or sealed mempool).'));
  const tx = found.transaction;
  const parts = [
    el('h1', {}, 'Transaction'),
    fields([
      ['hash', el('span', { class: 'mono' }, tx.hash), 'hash'],
      ['block', found.block_number === null ? 'pending' : blockLink(found.block_number), 'block'],
      ['sender', addressLink(tx.sender), 'sender'],
      ['nonce', tx.nonce, 'nonce'],
      ['to', addressLink(tx.to), 'to'],
      ['method', tx.method, 'method'],
      ['args', el('span', { class: 'mono' }, compact(tx.args)), 'args'],
      ['value', el('span', { class: 'mono' }, compact(tx.value)), 'value'],
      ['gas limit', tx.gas_limit, 'gas_limit'],
      ['max fee', tx.max_fee, 'max_fee'],
      ['priority fee', tx.priority_fee, 'priority_fee'],
    ]),
    el('h2', {}, 'Receipt'),
  ];
  if (!receipt) {
    parts.push(el('p', { id: 'no-receipt' }, 'Not included yet: the receipt appears here when a block seals it.'));
  } else {
    parts.push(fields([
      ['status', statusSpan(receipt.status), 'status'],
      ['gas used', receipt.gas_used, 'gas_used'],
      ['fee paid', receipt.fee_paid, 'fee_paid'],
      ['tip paid', receipt.tip_paid, 'tip_paid'],
      ['result', el('span', { class: 'mono' }, compact(receipt.result)), 'result'],
      ['error', receipt.error === null ? '' : receipt.error, 'error'],
      ['contract created', receipt.contract_address ? addressLink(receipt.contract_address) : '', 'contract_address'],
    ]));
    parts.push(el('h2', {}, `Events (${receipt.events.length})`), eventsTable(receipt.events, false));
  }
  render(parts);
}

function pager(route, offset, limit, total) {
  const links = [];
  if (offset > 0) links.push(link(`${route}/${Math.max(offset - limit, 0)}`, '← previous'));
  if (offset + limit < total) links.push(link(`${route}/${offset + limit}`, 'next →'));
  links.push(el('span', { class: 'muted' }, `${total} in all`));
  return el('div', { class: 'pager' }, links);
}

async function pageAccounts(offset) {
  const page = await rpc('accord_listAccounts', { offset, limit: 50 });
  render(el('h1', {}, 'Accounts'),
    table(['account', 'nonce', `balance (${page.fee_asset})`], page.accounts.map((a) => el('tr', {},
      el('td', {}, addressLink(a.address)), el('td', {}, a.nonce), el('td', {}, a.balance))), { id: 'accounts' }),
    pager('accounts', offset, 50, page.total));
}

async function pageAccount(name) {
  const [account, balances, txs] = await batch([
    ['accord_getAccount', { account: name }],
    ['accord_getBalances', { account: name, limit: 100 }],
    ['accord_getAccountTransactions', { account: name, limit: 50 }],
  ]);
  if (!account) return render(el('h1', {}, 'Account'), el('p', {}, 'No such account: ', el('span', { class: 'mono' }, name)));
  render(el('h1', {}, 'Account ', el('span', { class: 'mono', id: 'account-name' }, name)),
    fields([
      ['public key', el('span', { class: 'mono' }, account.public_key), 'public_key'],
      ['nonce', account.nonce, 'nonce'],
      ['next nonce (with pending)', account.next_nonce, 'next_nonce'],
    ]),
    el('h2', {}, 'Balances'),
    table(['asset', 'free balance'], balances.balances.map(([asset, amount]) => el('tr', {},
      el('td', {}, asset), el('td', { class: 'mono balance', data: { asset } }, amount))), { id: 'balances' }),
    el('h2', {}, `Transactions sent (${txs.total}, newest first)`),
    el('ul', {}, txs.transactions.map((h) => el('li', {}, txLink(h)))));
}

async function pageContracts(offset) {
  const page = await rpc('accord_listContracts', { offset, limit: 50 });
  render(el('h1', {}, 'Contracts'),
    table(['address', 'class'], page.contracts.map((c) => el('tr', {},
      el('td', {}, addressLink(c.address)), el('td', { class: 'mono' }, c.class))), { id: 'contracts' }),
    pager('contracts', offset, 50, page.total));
}

async function pageContract(address) {
  const [storage, info] = await batch([['accord_getStorage', { address }], ['accord_nodeInfo']]);
  if (!storage) return render(el('h1', {}, 'Contract'), el('p', {}, 'No contract at ', el('span', { class: 'mono' }, address)));
  const names = Object.keys(storage.maps).slice(0, 50); // a batch holds at most 100 calls
  const from = Math.max(info.head.number - 999, 0);
  const answers = await batch(names.map((map) => ['accord_getStorage', { address, map, limit: 20 }]));
  let events;
  try { // the node may allow fewer than 1,000 blocks per accord_getLogs (max_log_blocks)
    const logs = await rpc('accord_getLogs', { from_block: from, address });
    events = [el('h2', {}, `Events (latest ${Math.min(logs.length, 50)}, blocks ${from}–${info.head.number})`),
      eventsTable(logs.slice(-50).reverse(), true)];
  } catch (error) {
    events = [el('h2', {}, 'Events'), el('p', { class: 'muted' }, `Not available: ${error.message}`)];
  }
  render(el('h1', {}, 'Contract ', el('span', { class: 'mono' }, address)),
    fields([['class', el('span', { class: 'mono' }, storage.class), 'class']]),
    el('h2', {}, 'Storage: slots'),
    table(['slot', 'value'], Object.keys(storage.vars).map((k) => el('tr', {},
      el('td', {}, k), el('td', { class: 'mono' }, compact(storage.vars[k])))), { id: 'vars' }),
    names.map((map, k) => [
      el('h2', {}, `Storage: ${map} (${answers[k].total} entries${answers[k].total > 20 ? ', first 20' : ''})`),
      table(['key', 'value'], answers[k].entries.map(([key, v]) => el('tr', {},
        el('td', { class: 'mono' }, compact(key)), el('td', { class: 'mono' }, compact(v)))), { class: 'map', data: { map } }),
    ]),
    events);
}

async function pageCommitments() {
  const [pending, fired, expired] = await batch([
    ['accord_listCommitments', { status: 'pending', limit: 100 }],
    ['accord_listCommitments', { status: 'fired', limit: 100 }],
    ['accord_listCommitments', { status: 'expired', limit: 100 }],
  ]);
  const posted = (c) => (c.posted_tx ? txLink(c.posted_tx) : '');
  const outcomes = (page, id) => table(['id', 'block', 'outcome', 'error', 'posted in'], page.commitments.map((c) => el('tr', {},
    el('td', { class: 'mono' }, c.id), el('td', {}, blockLink(c.block_number)), el('td', {}, statusSpan(c.status)),
    el('td', {}, c.error || ''), el('td', {}, posted(c)))), { id });
  render(el('h1', {}, 'Commitments'),
    el('h2', {}, `Pending (${pending.total})`),
    table(['id', 'document', 'posted in'], pending.commitments.map((c) => el('tr', {},
      el('td', { class: 'mono' }, c.id), el('td', {}, el('pre', {}, c.document)), el('td', {}, posted(c)))), { id: 'pending-commitments' }),
    el('h2', {}, `Fired (${fired.total}, newest first)`), outcomes(fired, 'fired-commitments'),
    el('h2', {}, `Expired (${expired.total}, newest first)`), outcomes(expired, 'expired-commitments'));
}

async function pageAgents(registry, offset) {
  const page = await rpc('accord_listAgents', registry ? { registry, offset, limit: 50 } : { offset, limit: 50 });
  render(el('h1', {}, 'Agents (ERC-8004)'),
    el('h2', {}, `Registries (${page.registries_total})`),
    table(['identity', 'reputation', 'validation'], page.registries.map((r) => el('tr', {},
      el('td', {}, link(`agents/${enc(r.identity)}`, r.identity, { class: 'mono' })),
      el('td', {}, r.reputation.map((a) => [addressLink(a), ' '])),
      el('td', {}, r.validation.map((a) => [addressLink(a), ' ']))))),
    page.registry === null ? el('p', {}, 'No identity registry is deployed.') : [
      el('h2', {}, `Agents of `, el('span', { class: 'mono' }, page.registry)),
      table(['id', 'owner', 'URI', 'wallet'], page.agents.map((a) => el('tr', {},
        el('td', {}, link(`agent/${enc(page.registry)}/${a.agentId}`, String(a.agentId), { class: 'agent-link' })),
        el('td', {}, addressLink(a.owner)),
        el('td', { class: 'mono uri' }, a.uri),
        el('td', {}, addressLink(a.wallet)))), { id: 'agents' }),
      pager(`agents/${enc(page.registry)}`, offset, 50, page.total),
    ]);
}

async function pageAgent(registry, agentId) {
  const agent = await rpc('accord_getAgent', { registry, agentId, limit: 100 });
  if (!agent) return render(el('h1', {}, `Agent ${agentId}`), el('p', {}, 'No such agent.'));
  const summary = (s) => (s ? `count ${show(s[0])}, value ${show(s[1])} (decimals ${show(s[2])})` : '(none)');
  render(el('h1', {}, `Agent ${agent.agentId}`),
    fields([
      ['identity registry', addressLink(agent.registry), 'registry'],
      ['owner', addressLink(agent.owner), 'owner'],
      ['wallet', addressLink(agent.wallet), 'wallet'],
      ['URI', el('span', { class: 'mono' }, agent.uri), 'uri'],
    ]),
    agent.reputation.map((r) => [
      el('h2', {}, 'Reputation at ', addressLink(r.address)),
      fields([['clients', r.clients_total, 'clients'], ['summary', summary(r.summary), 'summary']]),
      table(['client', 'index', 'value', 'decimals', 'tag1', 'tag2', 'revoked'], r.feedback.map((f) => el('tr', {},
        el('td', {}, addressLink(f.client)), el('td', {}, f.index), el('td', {}, f.value), el('td', {}, f.valueDecimals),
        el('td', {}, f.tag1), el('td', {}, f.tag2), el('td', {}, f.revoked ? 'yes' : 'no'))), { class: 'feedback' }),
    ]),
    agent.validation.map((v) => [
      el('h2', {}, 'Validations at ', addressLink(v.address)),
      fields([['requests', v.total, 'requests'], ['summary', v.summary ? `count ${show(v.summary[0])}, average ${show(v.summary[1])}` : '(none)', 'validation_summary']]),
      table(['request', 'validator', 'response', 'tag', 'updated (ms)'], v.requests.map((q) => el('tr', {},
        el('td', { class: 'mono' }, short(q.requestHash)), el('td', {}, addressLink(q.validator)),
        el('td', {}, q.response === null ? 'pending' : q.response), el('td', {}, q.tag), el('td', {}, q.lastUpdate))), { class: 'validations' }),
    ]));
}

function mempoolRow(tx) {
  return el('tr', { data: { hash: tx.hash } },
    el('td', {}, tx.sealed ? el('span', { class: 'mono' }, short(tx.hash)) : txLink(tx.hash)),
    el('td', {}, addressLink(tx.sender)), el('td', {}, tx.nonce),
    el('td', {}, tx.sealed ? '(sealed)' : addressLink(tx.to)), el('td', {}, tx.sealed ? '' : tx.method),
    el('td', {}, tx.max_fee), el('td', {}, tx.priority_fee));
}

async function pageMempool() {
  const [info, pending] = await batch([['accord_nodeInfo'], ['accord_pendingTransactions']]);
  const rule = info.config.mempool;
  render(el('h1', {}, 'Mempool'),
    el('p', {}, `Rule: ${rule}. `, rule === 'public' ? 'Everything pending is shown, and what arrives live.'
      : rule === 'sealed' ? 'Only envelopes (sender, nonce, fees) are shown before inclusion.'
        : 'Nothing pending is shown to the public.'),
    table(['hash', 'sender', 'nonce', 'to', 'method', 'max fee', 'priority fee'], pending.map(mempoolRow), { id: 'mempool' }));
}

export {
  BLOCKS_SHOWN, blockRow, pageBlocks, pageBlock, eventsTable, pageTx, pager, pageAccounts,
  pageAccount, pageContracts, pageContract, pageCommitments, pageAgents, pageAgent, mempoolRow,
  pageMempool,
};
