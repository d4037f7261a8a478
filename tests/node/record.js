'use strict';
// Records the echo conformance goldens from Node.
//
// Usage: node tests/node/record.js        (rewrites tests/golden/ from tests/corpus/*.json)
//        node tests/node/record.js NAME.. (prints the rendered outcome of those cases, writes nothing)
//
// Starts node_echo.js (the reference server) on a free loopback port, plus one node_echo_options.js
// per set of non-default server options the corpus names, replays every corpus case over its own raw
// TCP connection to the server configured for it and writes one golden file per case. The Rust
// harness in tests/support/mod.rs replays the same way and renders the same text; the
// `node_selfcheck` test runs it against the same Node servers to prove both replayers, and the
// goldens, are deterministic. The corpus format is described in tests/README.md.

const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');

const TESTS = path.join(__dirname, '..');
const CORPUS_DIR = path.join(TESTS, 'corpus');
const GOLDEN_DIR = path.join(TESTS, 'golden');

/** Pause before every step but the first, so each write lands in its own server read. */
const GAP_MS = 50;
/**
 * The exchange ends once nothing was sent or received for this long (and the server has not closed),
 * unless the case sets its own `quiet_ms`.
 */
const QUIET_MS = 300;
/** Hard cap on one exchange. */
const CASE_TIMEOUT_MS = 10000;
/** Cases replayed at once, each on its own connection. */
const CONCURRENCY = 6;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Bytes of a JSON string whose code points are all <= U+00FF (one byte each). */
function latin1Bytes(s, where) {
  for (const ch of s) {
    if (ch.codePointAt(0) > 0xff) throw new Error(`${where}: code point above U+00FF`);
  }
  return Buffer.from(s, 'latin1');
}

/** A write step: a string, or an array of strings and `{repeat, times}` parts, sent in one write. */
function writeBytes(step, where) {
  const parts = Array.isArray(step) ? step : [step];
  return Buffer.concat(
    parts.map((p) => {
      if (typeof p === 'string') return latin1Bytes(p, where);
      if (p && typeof p.repeat === 'string' && Number.isInteger(p.times) && p.times >= 0) {
        return latin1Bytes(p.repeat.repeat(p.times), where);
      }
      throw new Error(`${where}: bad write part ${JSON.stringify(p)}`);
    })
  );
}

/** Parses one step into {write: Buffer} | {pauseMs} | {halfClose: true}. */
function parseStep(step, where) {
  if (typeof step === 'string' || Array.isArray(step)) return { write: writeBytes(step, where) };
  if (step && Number.isInteger(step.pause_ms)) return { pauseMs: step.pause_ms };
  if (step && step.half_close === true) return { halfClose: true };
  throw new Error(`${where}: bad step ${JSON.stringify(step)}`);
}

/**
 * Server options a corpus file may name (Node's names) and the type of each value. They map to the
 * `nodehttp serve` flags in tests/support/corpus.rs and are applied by node_echo_options.js.
 */
const OPTION_TYPES = {
  insecureHTTPParser: 'boolean',
  maxHeaderSize: 'integer',
  maxHeadersCount: 'integer',
  keepAliveTimeout: 'integer',
};

/** Checks a file's `options` object and returns it with its keys sorted (its identity). */
function parseOptions(options, where) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${where}: options must be an object`);
  }
  const sorted = {};
  for (const key of Object.keys(options).sort()) {
    const type = OPTION_TYPES[key];
    const value = options[key];
    const ok = type === 'boolean' ? typeof value === 'boolean' : Number.isInteger(value) && value >= 0;
    if (!ok) throw new Error(`${where}: bad option ${key}: ${JSON.stringify(value)}`);
    sorted[key] = value;
  }
  return sorted;
}

/**
 * Every case of every corpus file. A file is an array of cases (default options) or
 * `{"options": {...}, "cases": [...]}`.
 */
function loadCorpus() {
  const cases = [];
  const seen = new Set();
  for (const file of fs.readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.json')).sort()) {
    const content = JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, file), 'utf8'));
    const fileCases = Array.isArray(content) ? content : content.cases;
    if (!Array.isArray(fileCases)) throw new Error(`${file}: neither an array nor {options, cases}`);
    const options = parseOptions(Array.isArray(content) ? {} : content.options || {}, file);
    for (const c of fileCases) {
      const where = `${file}: ${c.name}`;
      if (!/^[a-z0-9][a-z0-9-]*$/.test(c.name)) throw new Error(`${where}: bad name`);
      if (seen.has(c.name)) throw new Error(`${where}: duplicate name`);
      if (!Array.isArray(c.send) || c.send.length === 0) throw new Error(`${where}: empty send`);
      if (c.quiet_ms !== undefined && !(Number.isInteger(c.quiet_ms) && c.quiet_ms > 0)) {
        throw new Error(`${where}: bad quiet_ms`);
      }
      seen.add(c.name);
      cases.push({
        name: c.name,
        options,
        quietMs: c.quiet_ms || QUIET_MS,
        steps: c.send.map((s) => parseStep(s, where)),
      });
    }
  }
  return cases;
}

/**
 * Replays one case: connects, runs its steps, and collects what the server sends until it closes
 * or stays quiet for quietMs. Resolves {bytes, closed} with closed = 'eof' | 'reset' | 'open'.
 */
function exchange(port, { steps, quietMs }) {
  return new Promise((resolve) => {
    const chunks = [];
    let closed = null;
    let lastActivity = Date.now();
    const sock = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    sock.setNoDelay(true);
    sock.on('data', (c) => {
      chunks.push(c);
      lastActivity = Date.now();
    });
    const finish = (how) => {
      if (closed === null) closed = how;
    };
    sock.on('end', () => finish('eof'));
    sock.on('error', (e) => finish(e.code === 'ECONNRESET' ? 'reset' : `error ${e.code}`));
    sock.on('connect', async () => {
      for (let i = 0; i < steps.length && closed === null; i++) {
        const step = steps[i];
        if (i > 0) await sleep(GAP_MS);
        if (closed !== null) break;
        if (step.write) sock.write(step.write);
        else if (step.pauseMs) await sleep(step.pauseMs);
        else if (step.halfClose) sock.end();
        lastActivity = Date.now();
      }
      const started = Date.now();
      while (closed === null && Date.now() - lastActivity < quietMs) {
        if (Date.now() - started > CASE_TIMEOUT_MS) break;
        await sleep(10);
      }
      sock.destroy();
      resolve({ bytes: Buffer.concat(chunks), closed: closed === null ? 'open' : closed });
    });
  });
}

/** Replaces every response `Date:` header value with a fixed token; nothing else changes. */
function normalize(bytes) {
  const s = bytes.toString('latin1');
  return Buffer.from(s.replace(/\r\nDate: [^\r\n]*(?=\r\n)/g, '\r\nDate: <DATE>'), 'latin1');
}

/**
 * Renders response bytes as readable, unambiguous text: printable ASCII as is, `\\`, `\r`, `\t`,
 * `\n`, and every other byte (controls, all bytes >= 0x80) as `\xHH`. Real line breaks carry no data:
 * one follows every `\n`, and one precedes an `HTTP/1.` that would not start a line (a response
 * following a body), so pipelined responses each start a line.
 */
function render(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x48 && out.length > 0 && !out.endsWith('\n') && startsWith(bytes, i, 'HTTP/1.')) out += '\n';
    if (b === 0x5c) out += '\\\\';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x0a) out += '\\n\n';
    else if (b === 0x09) out += '\\t';
    else if (b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b);
    else out += '\\x' + b.toString(16).padStart(2, '0');
  }
  return out;
}

function startsWith(bytes, at, text) {
  return bytes.subarray(at, at + text.length).toString('latin1') === text;
}

/** The golden file text of one outcome. */
function goldenText(outcome) {
  let text = `closed: ${outcome.closed}\n` + render(normalize(outcome.bytes));
  if (!text.endsWith('\n')) text += '\n';
  return text;
}

/**
 * Starts the reference server configured with `options`: node_echo.js itself for the defaults,
 * node_echo_options.js otherwise.
 */
function startNodeEcho(options) {
  const args = Object.keys(options).length
    ? [path.join(__dirname, 'node_echo_options.js'), '0', JSON.stringify(options)]
    : [path.join(__dirname, 'node_echo.js'), '0'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^listening on (\d+)\n/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

/** Replays the cases CONCURRENCY at a time, each against the port `portOf(case)`. */
async function runAll(cases, portOf) {
  const results = new Map();
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      results.set(c.name, await exchange(portOf(c), c));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

async function main() {
  const only = process.argv.slice(2);
  const all = loadCorpus();
  const cases = only.length ? all.filter((c) => only.includes(c.name)) : all;
  const servers = new Map();
  try {
    for (const c of cases) {
      const key = JSON.stringify(c.options);
      if (!servers.has(key)) servers.set(key, await startNodeEcho(c.options));
    }
    const results = await runAll(cases, (c) => servers.get(JSON.stringify(c.options)).port);
    if (only.length) {
      for (const c of cases) process.stdout.write(`== ${c.name}\n${goldenText(results.get(c.name))}`);
      return;
    }
    for (const f of fs.readdirSync(GOLDEN_DIR)) {
      if (f.endsWith('.txt')) fs.unlinkSync(path.join(GOLDEN_DIR, f));
    }
    for (const c of cases) {
      fs.writeFileSync(path.join(GOLDEN_DIR, `${c.name}.txt`), goldenText(results.get(c.name)));
    }
    process.stdout.write(`recorded ${cases.length} cases into ${GOLDEN_DIR}\n`);
  } finally {
    for (const { child } of servers.values()) {
      child.removeAllListeners('exit');
      child.kill();
    }
  }
}

// record_client.js shares the corpus byte helpers and the golden rendering.
module.exports = { latin1Bytes, writeBytes, render, startsWith };

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  });
}
