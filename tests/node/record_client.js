'use strict';
// Records the client conformance goldens from Node's own http client.
//
// Usage: node tests/node/record_client.js          (rewrites tests/golden/client/ from tests/client_corpus.json)
//        node tests/node/record_client.js --check  (records, compares with the goldens, writes nothing;
//                                                   exit 1 listing every difference)
//        node tests/node/record_client.js NAME..   (prints those scenarios' outcomes, writes nothing)
//
// Each scenario (format in tests/README.md) runs against its own server on 127.0.0.1: a `net` server
// answering every request with the scenario's scripted bytes, pauses, FIN or RST (as the Rust scenario
// server in tests/support/scenario.rs does), no server at all for `refused`, or node_echo.js for `echo`.
// The client is what `nodehttp request --json` is a shell over, written as a Node script:
// http.request(URL, {method, agent, maxHeaderSize: 8192, insecureHTTPParser: false}) through one
// `new http.Agent({keepAlive})` (v12's defaults: not keep-alive), setHeader per header in order, one
// write(data) if any, end(); the next request only once both the request and its response closed.
// For each response it records the JSON line `nodehttp request --json` prints, or `CODE: message` of
// the first 'error' (the request's or the response's); and what the server received.

const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');
const { latin1Bytes, writeBytes, render } = require('./record.js');

const TESTS = path.join(__dirname, '..');
const CORPUS = path.join(TESTS, 'client_corpus.json');
const GOLDEN_DIR = path.join(TESTS, 'golden', 'client');
/** Scenarios run at once, each with its own server. */
const CONCURRENCY = 4;
/** Hard cap on one scenario. */
const SCENARIO_TIMEOUT_MS = 10000;
/** JSON lines longer than this are recorded as their length and hash (the 1 MiB bodies). */
const MAX_LINE = 2000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One response step: {write: Buffer} | {pauseMs} | {end: true} | {reset: true}. */
function parseStep(step, where) {
  if (typeof step === 'string' || Array.isArray(step)) return { write: writeBytes(step, where) };
  if (step && Number.isInteger(step.pause_ms)) return { pauseMs: step.pause_ms };
  if (step && step.end === true) return { end: true };
  if (step && step.reset === true) return { reset: true };
  throw new Error(`${where}: bad step ${JSON.stringify(step)}`);
}

function loadCorpus() {
  const scenarios = JSON.parse(fs.readFileSync(CORPUS, 'utf8'));
  const names = new Set();
  return scenarios.map((s) => {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(s.name) || names.has(s.name)) throw new Error(`bad name ${s.name}`);
    names.add(s.name);
    const kinds = [s.respond !== undefined, s.refused === true, s.echo === true].filter(Boolean).length;
    if (kinds !== 1) throw new Error(`${s.name}: exactly one of respond, refused, echo`);
    const r = s.request || {};
    return {
      name: s.name,
      echo: s.echo === true,
      refused: s.refused === true,
      steps: (s.respond || []).map((step) => parseStep(step, s.name)),
      request: {
        method: r.method || (r.data !== undefined ? 'POST' : 'GET'),
        path: r.path || '/',
        headers: r.headers || [],
        data: r.data === undefined ? null : latin1Bytes(r.data, s.name),
        repeat: r.repeat || 1,
        keepAlive: r.keepAlive === true,
      },
    };
  });
}

/**
 * How many bytes of `buf` make one whole request (head, then a Content-Length or chunked body), or
 * 0 if it is not complete yet. The scenario clients send nothing else.
 */
function requestLength(buf) {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return 0;
  const head = buf.subarray(0, headEnd).toString('latin1').toLowerCase();
  let at = headEnd + 4;
  const cl = /\r\ncontent-length: *(\d+)/.exec(head);
  if (cl) return buf.length >= at + Number(cl[1]) ? at + Number(cl[1]) : 0;
  if (!/\r\ntransfer-encoding: *chunked/.test(head)) return at;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at);
    if (lineEnd < 0) return 0;
    const size = parseInt(buf.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) {
      const end = buf.indexOf('\r\n\r\n', lineEnd);
      return end < 0 ? 0 : end + 4;
    }
    at = lineEnd + 2 + size + 2;
    if (buf.length < at) return 0;
  }
}

/** The scenario server: answers every request on every connection with `steps`. */
function startScenarioServer(steps) {
  const seen = { connections: 0, requests: [] };
  const server = net.createServer((socket) => {
    const connection = ++seen.connections;
    let buf = Buffer.alloc(0);
    let busy = false;
    const answer = async () => {
      busy = true;
      for (;;) {
        const n = requestLength(buf);
        if (n === 0) break;
        seen.requests.push({ connection, bytes: buf.subarray(0, n) });
        buf = buf.subarray(n);
        for (const step of steps) {
          if (socket.destroyed) return;
          if (step.write) socket.write(step.write);
          else if (step.pauseMs) await sleep(step.pauseMs);
          else if (step.end) socket.end();
          else if (step.reset) socket.resetAndDestroy();
        }
      }
      busy = false;
    };
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!busy) answer();
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port, seen }));
  });
}

/** A port nothing listens on: one the system just handed out, closed again. */
function closedPort() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts `node_echo.js 0`; resolves with its port and process. */
function startNodeEcho() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'node_echo.js'), '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`node_echo.js exited with ${code}`)));
  });
}

/** One request as `nodehttp request` makes it; resolves with {line} or {error}. */
function fetchOnce(url, request, agent) {
  return new Promise((resolve) => {
    let error = null;
    let res = null;
    let line = null;
    let reqClosed = false;
    let resClosed = false;
    const fail = (e) => {
      if (error === null) error = `${e.code}: ${e.message}`;
    };
    const settle = () => {
      if (!reqClosed || (res && !resClosed)) return;
      if (error !== null) resolve({ error });
      else if (line !== null) resolve({ line });
      else resolve({ error: res ? 'ECONNRESET: aborted' : 'ECONNRESET: socket hang up' });
    };
    let req;
    try {
      req = http.request(url, {
        method: request.method, agent, maxHeaderSize: 8192, insecureHTTPParser: false,
      });
      for (const [name, value] of request.headers) req.setHeader(name, value);
    } catch (e) {
      resolve({ error: `${e.code}: ${e.message}` });
      return;
    }
    req.on('error', fail);
    req.on('close', () => {
      reqClosed = true;
      settle();
    });
    req.on('response', (r) => {
      res = r;
      const reusedSocket = req.reusedSocket;
      const parts = [];
      r.on('data', (c) => parts.push(c));
      r.on('end', () => {
        line = JSON.stringify({
          statusCode: r.statusCode,
          statusMessage: r.statusMessage,
          httpVersion: r.httpVersion,
          headers: r.headers,
          rawHeaders: r.rawHeaders,
          body: Buffer.concat(parts).toString('latin1'),
          trailers: r.trailers,
          reusedSocket,
        });
      });
      r.on('error', fail);
      r.on('close', () => {
        resClosed = true;
        settle();
      });
    });
    if (request.data !== null) req.write(request.data);
    req.end();
  });
}

/** Runs the scenario's requests in sequence, as `nodehttp request --repeat N` does. */
async function runClient(port, request) {
  const agent = new http.Agent({ keepAlive: request.keepAlive });
  const url = `http://127.0.0.1:${port}${request.path}`;
  const lines = [];
  let error = null;
  for (let i = 0; i < request.repeat && error === null; i++) {
    const outcome = await fetchOnce(url, request, agent);
    if (outcome.error !== undefined) error = outcome.error;
    else lines.push(outcome.line);
  }
  agent.destroy();
  return { lines, error };
}

/** 32-bit FNV-1a of the UTF-8 bytes, as 8 hex digits. */
function fnv1a(text) {
  let hash = 0x811c9dc5;
  for (const b of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/**
 * Masks what changes from run to run: the port after `127.0.0.1:` and every Date header value, as
 * JSON text (`"date":"…"` in headers, `"Date","…"` in rawHeaders).
 */
function mask(text, port) {
  return text
    .split(`127.0.0.1:${port}`).join('127.0.0.1:<PORT>')
    .replace(/"date":"[^"]*"/g, '"date":"<DATE>"')
    .replace(/"Date","[^"]*"/g, '"Date","<DATE>"');
}

/** The golden text of a scenario's outcome; `seen` is null for echo scenarios. */
function goldenText(outcome, port, seen) {
  let text = 'responses:\n';
  for (const line of outcome.lines) {
    const masked = mask(line, port);
    text += masked.length > MAX_LINE ? `<${masked.length} chars, fnv1a ${fnv1a(masked)}>\n` : `${masked}\n`;
  }
  text += `error: ${outcome.error === null ? 'none' : mask(outcome.error, port)}\n`;
  if (seen) {
    text += `connections: ${seen.connections}\n`;
    seen.requests.forEach(({ connection, bytes }, i) => {
      text += `request ${i + 1} on connection ${connection}:\n`;
      let shown = mask(render(bytes), port);
      if (!shown.endsWith('\n')) shown += '\n';
      text += shown;
    });
  }
  return text;
}

async function runScenario(scenario, echoPort) {
  if (scenario.echo) {
    return goldenText(await runClient(echoPort, scenario.request), echoPort, null);
  }
  if (scenario.refused) {
    const port = await closedPort();
    return goldenText(await runClient(port, scenario.request), port, { connections: 0, requests: [] });
  }
  const { server, port, seen } = await startScenarioServer(scenario.steps);
  try {
    let timer;
    const outcome = await Promise.race([
      runClient(port, scenario.request),
      new Promise((resolve) => {
        timer = setTimeout(resolve, SCENARIO_TIMEOUT_MS, { lines: [], error: 'TIMEOUT: no outcome' });
      }),
    ]);
    clearTimeout(timer);
    return goldenText(outcome, port, seen);
  } finally {
    server.close();
  }
}

async function runAll(scenarios, echoPort) {
  const results = new Map();
  let next = 0;
  const worker = async () => {
    while (next < scenarios.length) {
      const s = scenarios[next++];
      results.set(s.name, await runScenario(s, echoPort));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

async function main() {
  const args = process.argv.slice(2);
  const check = args[0] === '--check';
  const only = check ? [] : args;
  const all = loadCorpus();
  const scenarios = only.length ? all.filter((s) => only.includes(s.name)) : all;
  if (scenarios.length !== (only.length || all.length)) throw new Error(`unknown scenario in ${only}`);
  const echo = await startNodeEcho();
  let results;
  try {
    results = await runAll(scenarios, echo.port);
  } finally {
    echo.child.removeAllListeners('exit');
    echo.child.kill();
  }
  if (only.length) {
    for (const s of scenarios) process.stdout.write(`== ${s.name}\n${results.get(s.name)}`);
    return;
  }
  if (check) {
    const problems = [];
    for (const s of scenarios) {
      const file = path.join(GOLDEN_DIR, `${s.name}.txt`);
      const expected = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '(no golden file)\n';
      // Node's own client races a reset against its reads (`reset-mid-body` can come out as
      // "aborted" on a loaded machine): a scenario must match once in three runs, alone.
      let got = results.get(s.name);
      for (let retry = 0; retry < 2 && got !== expected; retry++) {
        await sleep(100);
        const again = await startNodeEcho();
        try {
          got = (await runAll([s], again.port)).get(s.name);
        } finally {
          again.child.removeAllListeners('exit');
          again.child.kill();
        }
      }
      if (expected !== got) {
        problems.push(`scenario ${s.name}:\n--- golden\n${expected}--- node now\n${got}`);
      }
    }
    for (const f of fs.readdirSync(GOLDEN_DIR)) {
      if (!results.has(f.replace(/\.txt$/, ''))) problems.push(`golden ${f} has no scenario`);
    }
    if (problems.length) {
      process.stdout.write(problems.join('\n'));
      process.exit(1);
    }
    process.stdout.write(`${scenarios.length} scenarios match their goldens\n`);
    return;
  }
  for (const f of fs.readdirSync(GOLDEN_DIR)) {
    if (f.endsWith('.txt')) fs.unlinkSync(path.join(GOLDEN_DIR, f));
  }
  for (const s of scenarios) fs.writeFileSync(path.join(GOLDEN_DIR, `${s.name}.txt`), results.get(s.name));
  process.stdout.write(`recorded ${scenarios.length} scenarios into ${GOLDEN_DIR}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
