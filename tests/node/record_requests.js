'use strict';
// Records the exact bytes Node's http.request writes, for core/tests/client_requests.rs.
//
// Usage: node tests/node/record_requests.js        (rewrites tests/facts/client-requests.json)
//        node tests/node/record_requests.js NAME.. (prints those scenarios, writes nothing)
//
// Every scenario builds one ClientRequest from `options`, then runs `calls` one at a time. A raw
// `net` server on 127.0.0.1 captures what arrives; `sent[0]` is what it holds after the
// constructor, `sent[i]` after call i (each snapshot taken once the bytes have settled), so a
// head that goes out early (an `Expect` header, `flushHeaders`) shows where it does.
//
// The requests go through an Agent whose `createConnection` always dials the capture server:
// `host`/`port` then only shape the `Host` header, and names like example.com are never looked up.
// `agent` in a scenario is "global" (v12's `http.globalAgent`: `new Agent()`, not keep-alive; Node
// 20's own global agent is keep-alive, see `node20-global-agent`), `false` (Node builds a one-time
// agent from the default agent's constructor) or the options of a `new Agent(...)`.
//
// Bodies and header values are latin1 strings in the JSON (one code point per byte); bodies are
// written as Buffers, so the head stays latin1 whatever it holds.

const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');

const FACTS = path.join(__dirname, '..', 'facts', 'client-requests.json');
/** How long bytes get to reach the capture server after a step. */
const SETTLE_MS = 60;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const get = (extra = {}) => ({ path: '/', ...extra });

/**
 * The scenarios. `calls`: ["write", body] | ["end"] | ["end", body] | ["flushHeaders"] |
 * ["setHeader", name, value] | ["removeHeader", name] | ["addTrailers", [[name, value], ...]].
 * `headers` is a list of [name, value] pairs, given to Node as an object in that order (values:
 * string, number or array of strings, as JavaScript passes them).
 */
const SCENARIOS = [
  { name: 'get-default', options: get(), calls: [['end']] },
  { name: 'get-path-query', options: get({ path: '/search?q=a%20b&x=1#frag' }), calls: [['end']] },
  { name: 'get-empty-path-is-root', options: get({ path: '' }), calls: [['end']] },
  { name: 'get-latin1-path', options: get({ path: '/caf\u00e9' }), calls: [['end']],
    notes: 'U+00E9 passes INVALID_PATH_REGEX and is written as the byte 0xE9' },
  { name: 'method-lowercase-get', options: get({ method: 'get' }), calls: [['end']],
    notes: 'the method is upper-cased (v12 too)' },
  { name: 'method-custom-token', options: get({ method: 'PrOpFiNd' }), calls: [['end']] },
  { name: 'head-request', options: get({ method: 'HEAD' }), calls: [['end']] },
  { name: 'post-write-end', options: get({ method: 'POST', path: '/upload' }),
    calls: [['write', 'hello'], ['write', ' world'], ['end']] },
  { name: 'post-end-data', options: get({ method: 'POST' }), calls: [['end', 'hello']] },
  { name: 'post-end-empty', options: get({ method: 'POST' }), calls: [['end']] },
  { name: 'post-write-then-end-data', options: get({ method: 'POST' }),
    calls: [['write', 'ab'], ['end', 'cd']] },
  { name: 'put-content-length-header',
    options: get({ method: 'PUT', headers: [['Content-Length', 5]] }),
    calls: [['write', 'hel'], ['end', 'lo']] },
  { name: 'post-transfer-encoding-header',
    options: get({ method: 'POST', headers: [['Transfer-Encoding', 'chunked']] }),
    calls: [['write', 'abc'], ['end']] },
  { name: 'post-trailers',
    options: get({ method: 'POST', headers: [['Trailer', 'X-Sum']] }),
    calls: [['write', 'abc'], ['addTrailers', [['X-Sum', '3']]], ['end']] },
  { name: 'post-binary-body', options: get({ method: 'POST' }),
    calls: [['write', '\u0000\u00ff\r\n'], ['end']] },
  { name: 'get-with-body', options: get(), calls: [['write', 'abc'], ['end']],
    notes: 'no chunked encoding by default for GET: the body goes out unframed' },
  { name: 'get-end-data', options: get(), calls: [['end', 'abc']],
    notes: 'end(data) on GET sends no Content-Length either' },
  { name: 'delete-with-body', options: get({ method: 'DELETE' }),
    calls: [['write', 'abc'], ['end', 'de']] },
  { name: 'options-request', options: get({ method: 'OPTIONS', path: '*' }), calls: [['end']] },
  { name: 'set-host-false', options: get({ setHost: false }), calls: [['end']] },
  { name: 'host-port-80', options: get({ host: 'example.com', port: 80 }), calls: [['end']] },
  { name: 'host-port-8080', options: get({ host: 'example.com', port: 8080 }), calls: [['end']] },
  { name: 'hostname-wins-over-host',
    options: get({ host: 'a.example', hostname: 'b.example', port: 8080 }), calls: [['end']] },
  { name: 'default-port-option', options: get({ host: 'example.com', port: 8080, defaultPort: 8080 }),
    calls: [['end']] },
  { name: 'ipv6-host', options: get({ host: '::1', port: 8080 }), calls: [['end']] },
  { name: 'ipv6-host-default-port', options: get({ host: 'fe80::1', port: 80 }), calls: [['end']] },
  { name: 'explicit-host-header',
    options: get({ host: 'example.com', headers: [['host', 'other.example:1']] }), calls: [['end']] },
  { name: 'auth', options: get({ auth: 'user:pass' }), calls: [['end']] },
  { name: 'auth-utf8', options: get({ auth: 'us\u00e9r:p\u00e4ss' }), calls: [['end']],
    notes: 'Buffer.from(auth) is UTF-8, then base64' },
  { name: 'auth-with-authorization-header',
    options: get({ auth: 'user:pass', headers: [['authorization', 'Bearer t']] }), calls: [['end']] },
  { name: 'headers-list-number-cookie',
    options: get({ headers: [['X-List', ['a', 'b']], ['X-Num', 42], ['X-Float', 1.5],
      ['Cookie', ['a=1', 'b=2']], ['X-Empty', []]] }),
    calls: [['end']] },
  { name: 'headers-index-key-first', options: get({ headers: [['B', '2'], ['1', 'one']] }),
    calls: [['end']] },
  { name: 'headers-same-name-twice', options: get({ headers: [['X-A', '1'], ['x-a', '2']] }),
    calls: [['end']] },
  { name: 'set-header-after-constructor', options: get({ headers: [['X-First', '1']] }),
    calls: [['setHeader', 'X-Late', '2'], ['setHeader', 'x-first', '3'], ['end']] },
  { name: 'remove-host-header', options: get(), calls: [['removeHeader', 'Host'], ['end']] },
  { name: 'expect-100-continue',
    options: get({ method: 'POST', headers: [['Expect', '100-continue']] }),
    calls: [['write', 'abc'], ['end']],
    notes: 'the head is written in the constructor, before any body' },
  { name: 'expect-empty-value', options: get({ method: 'POST', headers: [['Expect', '']] }),
    calls: [['end', 'x']], notes: "getHeader('expect') is falsy: the head waits for the body" },
  { name: 'flush-headers-post', options: get({ method: 'POST' }), calls: [['flushHeaders'], ['end']] },
  { name: 'flush-headers-get', options: get(), calls: [['flushHeaders'], ['end']] },
  { name: 'agent-keep-alive', options: get({ agent: { keepAlive: true } }), calls: [['end']] },
  { name: 'agent-max-sockets', options: get({ agent: { maxSockets: 5 } }), calls: [['end']] },
  { name: 'agent-false', options: get({ agent: false }), calls: [['end']] },
  { name: 'agent-keep-alive-post', options: get({ method: 'POST', agent: { keepAlive: true } }),
    calls: [['write', 'x'], ['end']] },
  { name: 'node20-global-agent', options: get({ agent: { keepAlive: true, scheduling: 'lifo', timeout: 5000 } }),
    calls: [['end']],
    v12: 'Node 20 http.globalAgent is this keep-alive agent; v12 global agent is not keep-alive (see get-default)' },
  { name: 'connection-close-header-keep-alive-agent',
    options: get({ agent: { keepAlive: true }, headers: [['Connection', 'close']] }), calls: [['end']] },
  { name: 'connection-keep-alive-header-global-agent',
    options: get({ headers: [['Connection', 'keep-alive']] }), calls: [['end']] },
  { name: 'remove-connection-header', options: get({ agent: { keepAlive: true } }),
    calls: [['removeHeader', 'Connection'], ['end']],
    v12: 'same bytes; v12 (as remembered, unverified) also set shouldKeepAlive = false here, Node 20 keeps it' },
  // Errors: thrown by the constructor or a call, or emitted as 'error' (write after end).
  { name: 'method-lowercase-post', options: get({ method: 'post' }), calls: [['write', 'x'], ['end']],
    notes: 'useChunkedEncodingByDefault is decided on the upper-cased method' },
  { name: 'method-lowercase-delete', options: get({ method: 'delete' }), calls: [['write', 'x'], ['end']] },
  { name: 'post-chunk-size-hex', options: get({ method: 'POST' }),
    calls: [['write', 'x'.repeat(26)], ['write', 'y'.repeat(300)], ['end']] },
  { name: 'header-value-latin1', options: get({ headers: [['X-Name', 'caf\u00e9']] }),
    calls: [['end']] },
  { name: 'empty-host-header-replaced', options: get({ headers: [['X-A', '1'], ['host', '']] }),
    calls: [['end']], notes: "getHeader('host') is falsy: Host is set over it, in its place" },
  { name: 'expect-empty-list', options: get({ method: 'POST', headers: [['Expect', []]] }),
    calls: [['end', 'x']],
    notes: 'an array is truthy: the head is composed in the constructor but, with no Expect line, not sent' },
  { name: 'remove-content-length-post', options: get({ method: 'POST' }),
    calls: [['removeHeader', 'Content-Length'], ['end', 'abc']] },
  { name: 'remove-both-framing-headers-post', options: get({ method: 'POST' }),
    calls: [['removeHeader', 'Content-Length'], ['removeHeader', 'Transfer-Encoding'], ['end', 'abc']] },
  { name: 'error-method-not-token', options: get({ method: 'GE T' }), calls: [] },
  { name: 'error-path-space', options: get({ path: '/a b' }), calls: [] },
  { name: 'error-path-above-ff', options: get({ path: '/\u0100' }), calls: [] },
  { name: 'error-path-before-method', options: get({ path: '/a\tb', method: 'a b' }), calls: [] },
  { name: 'error-header-value', options: get({ headers: [['X', 'a\nb']] }), calls: [] },
  { name: 'error-header-name', options: get({ headers: [['a b', 'x']] }), calls: [] },
  { name: 'error-set-header-after-flush', options: get(),
    calls: [['flushHeaders'], ['setHeader', 'X', '1']] },
  { name: 'error-remove-header-after-expect',
    options: get({ method: 'PUT', headers: [['Expect', '100-continue']] }),
    calls: [['removeHeader', 'Expect']] },
  { name: 'error-set-header-after-expect-empty-list',
    options: get({ method: 'POST', headers: [['Expect', []]] }), calls: [['setHeader', 'X', '1']] },
  { name: 'error-write-after-end', options: get({ method: 'POST' }),
    calls: [['end', 'a'], ['write', 'b']] },
];

/** The capture server: every connection's bytes go to the scenario running now. */
function startCaptureServer() {
  const state = { received: [], sockets: new Set() };
  const server = net.createServer((socket) => {
    state.sockets.add(socket);
    socket.on('data', (chunk) => state.received.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => state.sockets.delete(socket));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, state, port: server.address().port }));
  });
}

/** An Agent that dials the capture server whatever host and port the request names. */
function captureAgentClass(port) {
  return class CaptureAgent extends http.Agent {
    createConnection(_options, _callback) {
      return net.createConnection({ host: '127.0.0.1', port });
    }
  };
}

const latin1 = (s) => Buffer.from(s, 'latin1');

/** The options object Node gets for a scenario. */
function nodeOptions(options, CaptureAgent) {
  const o = { ...options, _defaultAgent: new CaptureAgent() };
  if (options.headers) o.headers = Object.fromEntries(options.headers);
  if (options.agent && typeof options.agent === 'object') o.agent = new CaptureAgent(options.agent);
  return o;
}

/** Runs one call on the request; a thrown error propagates. */
function runCall(req, call) {
  const [verb, ...args] = call;
  switch (verb) {
    case 'write': return void req.write(latin1(args[0]));
    case 'end': return void (args.length ? req.end(latin1(args[0])) : req.end());
    case 'flushHeaders': return void req.flushHeaders();
    case 'setHeader': return void req.setHeader(args[0], args[1]);
    case 'removeHeader': return void req.removeHeader(args[0]);
    case 'addTrailers': return void req.addTrailers(Object.fromEntries(args[0]));
    default: throw new Error(`unknown call ${verb}`);
  }
}

async function record(scenario, capture, CaptureAgent) {
  const { state } = capture;
  state.received = [];
  const snapshot = () => Buffer.concat(state.received).toString('latin1');
  const sent = [];
  let error = null;
  let emitted = null;
  const fail = (step, e) => { error = { step, code: e.code, message: e.message }; };
  const opts = nodeOptions(scenario.options, CaptureAgent);
  let req = null;
  try {
    req = http.request(opts);
    req.on('error', (e) => { if (!emitted) emitted = e; });
  } catch (e) {
    fail(0, e);
  }
  await sleep(SETTLE_MS);
  sent.push(snapshot());
  for (let i = 0; req && !error && i < scenario.calls.length; i++) {
    try {
      runCall(req, scenario.calls[i]);
    } catch (e) {
      fail(i + 1, e);
    }
    await sleep(SETTLE_MS);
    if (!error && emitted) fail(i + 1, emitted);
    sent.push(snapshot());
  }
  if (req) {
    req.destroy();
    if (req.agent) req.agent.destroy();
  }
  for (const socket of state.sockets) socket.destroy();
  const out = { name: scenario.name };
  if (scenario.notes) out.notes = scenario.notes;
  if (scenario.v12) out.v12 = scenario.v12;
  out.options = scenario.options;
  out.calls = scenario.calls;
  out.sent = sent;
  if (error) out.error = error;
  return out;
}

async function main() {
  const only = process.argv.slice(2);
  const chosen = only.length ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
  const names = new Set();
  for (const s of SCENARIOS) {
    if (names.has(s.name)) throw new Error(`duplicate scenario ${s.name}`);
    names.add(s.name);
  }
  const capture = await startCaptureServer();
  const CaptureAgent = captureAgentClass(capture.port);
  const results = [];
  for (const scenario of chosen) results.push(await record(scenario, capture, CaptureAgent));
  capture.server.close();
  const doc = {
    recordedWith: `node ${process.version}`,
    about: 'Bytes http.request writes; see tests/node/record_requests.js. sent[0]: after the ' +
      'constructor, sent[i]: after calls[i-1]; cumulative, latin1. error.step: 0 = constructor. ' +
      'Node 20 writes the same request bytes as v12 except where a scenario says `v12`.',
    scenarios: results,
  };
  const text = JSON.stringify(only.length ? results : doc, null, 1) + '\n';
  if (only.length) process.stdout.write(text);
  else fs.writeFileSync(FACTS, text);
}

const deadline = setTimeout(() => {
  console.error('record_requests.js: timed out');
  process.exit(2);
}, 60000);
main().then(() => clearTimeout(deadline), (e) => {
  console.error(e);
  process.exit(1);
});
