'use strict';
// Node's side of bench/client.sh: GETs through one `http.Agent({keepAlive: true})` for a fixed time,
// CONCURRENCY of them in flight at once. The twin of host/examples/client_bench.rs: same arguments,
// same rules, same output line.
//
// Usage: node node_client.js URL CONCURRENCY SECONDS [WARMUP]
//
// The next request starts on the tick after a request's 'close': Node v20 emits the request's
// 'close' just before its socket's 'free' (both in emitFreeNT, a tick after res 'end'), so a request
// started from 'end' or within 'close' would find the socket still busy and open another.
// Only closes within the SECONDS after WARMUP (default 1 s) are counted. The first response must be
// 200 'hello world' (bench/node_hello.js); any failed request makes the exit status 1.
// Output, one line: requests=N errors=E seconds=S rps=R pool=P (pool: the agent's sockets after).
const http = require('http');

const USAGE = 'usage: node node_client.js URL CONCURRENCY SECONDS [WARMUP]';
const DRAIN_MS = 5000;

function number(text, name) {
  const n = Number(text);
  if (text === undefined || !Number.isFinite(n) || n < 0) {
    console.error(text === undefined ? USAGE : `${name} must be a non-negative number (got '${text}')`);
    process.exit(2);
  }
  return n;
}

const [url, concText, secondsText, warmupText] = process.argv.slice(2);
if (url === undefined) {
  console.error(USAGE);
  process.exit(2);
}
const concurrency = Math.floor(number(concText, 'CONCURRENCY'));
const seconds = number(secondsText, 'SECONDS');
const warmup = warmupText === undefined ? 1 : number(warmupText, 'WARMUP');
if (concurrency < 1) {
  console.error('CONCURRENCY must be at least 1');
  process.exit(2);
}

const agent = new http.Agent({ keepAlive: true });
const start = performance.now();
const windowStart = start + warmup * 1000;
const windowEnd = windowStart + seconds * 1000;
let requests = 0;
let errors = 0;
let inFlight = 0;
let firstOk; // undefined until the first response ended
let first = true;

function count(sockets) {
  return Object.values(sockets).reduce((n, list) => n + list.length, 0);
}

function report() {
  clearTimeout(drainTimer);
  errors += inFlight;
  const pool = count(agent.sockets) + count(agent.freeSockets);
  console.log(`requests=${requests} errors=${errors} seconds=${seconds} rps=${Math.round(requests / seconds)} pool=${pool}`);
  if (firstOk !== true) console.error("node_client: the first response was not 200 'hello world'");
  else if (errors > 0) console.error(`node_client: ${errors} requests failed`);
  process.exit(firstOk === true && errors === 0 ? 0 : 1);
}

function one() {
  inFlight++;
  let complete = false;
  const checkFirst = first;
  first = false;
  const req = http.get(url, { agent }, (res) => {
    let body = '';
    if (checkFirst) res.on('data', (chunk) => { body += chunk; });
    else res.resume();
    res.on('end', () => {
      complete = true;
      if (checkFirst) firstOk = res.statusCode === 200 && body === 'hello world';
    });
  });
  req.on('error', () => {});
  req.on('close', () => {
    inFlight--;
    const now = performance.now();
    if (!complete) errors++;
    else if (now >= windowStart && now < windowEnd) requests++;
    if (now < windowEnd) process.nextTick(one);
    else if (inFlight === 0) report();
  });
}

// Bounds the wait for the in-flight requests once the load stopped.
const drainTimer = setTimeout(report, warmup * 1000 + seconds * 1000 + DRAIN_MS);
for (let i = 0; i < concurrency; i++) one();
