// The page's DOM, built from text only: no HTML is ever parsed from data (an ES module).
import { show } from './json.js';

// -- the DOM, text only ---------------------------------------------------------------
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') node.className = v;
    else if (k === 'data') for (const [dk, dv] of Object.entries(v)) node.dataset[dk] = String(dv);
    else node.setAttribute(k, String(v));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(show(child)));
  }
  return node;
}
const enc = encodeURIComponent;
const link = (route, text, attrs) => el('a', { ...(attrs || {}), href: `#/${route}` }, text);
const short = (h) => (typeof h === 'string' && h.length > 18 ? `${h.slice(0, 10)}…${h.slice(-6)}` : h);
const blockLink = (n) => link(`block/${n}`, String(n), { class: 'block-link', data: { number: n } });
const txLink = (h) => link(`tx/${enc(h)}`, short(h), { class: 'tx-link mono', data: { hash: h }, title: h });
function addressLink(a) {
  if (typeof a !== 'string' || a === '') return el('span', { class: 'muted' }, a === '' ? '(none)' : show(a));
  if (a.startsWith('0x') || a === 'commitments') return link(`contract/${enc(a)}`, a, { class: 'mono' });
  return link(`account/${enc(a)}`, a, { class: 'account-link' });
}
function fields(rows) { // [[label, content, key]] -> <dl>, each dd with data-field=key
  return el('dl', {}, rows.map(([label, content, key]) => [
    el('dt', {}, label),
    el('dd', { data: { field: key || label } }, content),
  ]));
}
function table(headers, rows, attrs) {
  return el('table', attrs || {},
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows));
}
const statusSpan = (s) => el('span', { class: `status-${s}` }, s);
const view = () => document.getElementById('view');
function render(...children) {
  const main = view();
  main.replaceChildren(...children.flat(Infinity).filter((c) => c));
}
function showError(text) {
  const box = document.getElementById('error');
  box.textContent = text;
  box.hidden = !text;
}

// The head block in the page's header (only ever moves forward).
let head = null;
function setHead(n) {
  if (head === null || n > head) head = n;
  const box = document.getElementById('head');
  box.replaceChildren(document.createTextNode('head: '), blockLink(head));
}

export {
  el, enc, link, short, blockLink, txLink, addressLink, fields, table, statusSpan, render,
  showError, setHead,
};
