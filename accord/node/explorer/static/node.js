// The node's JSON-RPC, same origin (an ES module; app.js imports it).
import { parseJSON } from './json.js';

// -- the node ------------------------------------------------------------------------
let nextId = 0;
class RpcFailure extends Error {}

async function post(body) {
  const response = await fetch('/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new RpcFailure(`HTTP ${response.status}: ${text.slice(0, 200)}`);
  return parseJSON(text);
}
function result(answer) {
  if (answer.error) throw new RpcFailure(`${answer.error.code}: ${answer.error.message}`);
  return answer.result;
}
async function rpc(method, params) {
  return result(await post({ jsonrpc: '2.0', id: ++nextId, method, params: params || {} }));
}
// One POST for several calls (a JSON-RPC batch), answers in the calls' order.
async function batch(calls) {
  if (!calls.length) return [];
  const first = nextId + 1;
  const body = calls.map(([method, params]) => ({ jsonrpc: '2.0', id: ++nextId, method, params: params || {} }));
  const answers = await post(body);
  const byId = new Map(answers.map((a) => [a.id, a]));
  return calls.map((_, k) => result(byId.get(first + k) || { error: { code: 0, message: 'no answer' } }));
}

// A fresh request id (the WebSocket's requests share the counter).
const requestId = () => ++nextId;

export { RpcFailure, rpc, batch, requestId };
