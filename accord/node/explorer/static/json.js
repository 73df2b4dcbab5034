// Exact JSON for the explorer (an ES module; app.js imports it).
// -- JSON with exact integers -------------------------------------------------------
// The node writes amounts as JSON integers of any size (RFC 8259 §6 allows it);
// JSON.parse would round those past 2^53. This parser keeps them exact (BigInt).
function parseJSON(text) {
  let i = 0;
  const fail = (what) => { throw new SyntaxError(`bad JSON at ${i}: ${what}`); };
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; };
  function value() {
    ws();
    const c = text[i];
    if (c === '{') {
      i++; const out = {}; ws();
      if (text[i] === '}') { i++; return out; }
      for (;;) {
        ws(); if (text[i] !== '"') fail('a key');
        const key = string(); ws();
        if (text[i] !== ':') fail('":"'); i++;
        Object.defineProperty(out, key, { value: value(), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return out; }
        fail('"," or "}"');
      }
    }
    if (c === '[') {
      i++; const out = []; ws();
      if (text[i] === ']') { i++; return out; }
      for (;;) {
        out.push(value()); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return out; }
        fail('"," or "]"');
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 5000));
    if (!m) fail('a value');
    i += m[0].length;
    if (m[2] || m[3]) return Number(m[0]);
    const n = Number(m[0]);
    return Number.isSafeInteger(n) ? n : BigInt(m[0]);
  }
  function string() {
    const start = i; i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail('an unterminated string');
    i++;
    return JSON.parse(text.slice(start, i)); // the escapes, by the platform's parser
  }
  const out = value(); ws();
  if (i !== text.length) fail('trailing text');
  return out;
}

// A value as text (BigInt-aware JSON; {"$bytes": hex} as 0x…).
function show(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return v;
  return compact(v);
}
function compact(v) {
  if (typeof v === 'bigint') return String(v);
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v.$bytes === 'string') {
    return `0x${v.$bytes}`;
  }
  if (Array.isArray(v)) return `[${v.map(compact).join(', ')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).map((k) => `${JSON.stringify(k)}: ${compact(v[k])}`).join(', ')}}`;
  }
  return JSON.stringify(v);
}

export { parseJSON, show, compact };
