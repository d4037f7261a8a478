'use strict';
// What Node does in the scenarios of host/tests/server_semantics.rs: each
// scenario runs a server configured like node_echo.js plus the listeners the
// Rust test sets, drives it with a raw net.Socket client sending the same
// bytes, and prints one JSON line: the events in order (with ms since the
// client connected where timing matters) and what the client read.
// Usage: node semantics.js [SCENARIO...]   (none: all, one after another)
const http = require('http');
const net = require('net');

const OPTIONS = { requireHostHeader: false, maxHeaderSize: 8192 };

/** A server on 127.0.0.1:0 with `setup(server, log)`; resolves with it. */
function listen(setup, log) {
  const server = http.createServer(OPTIONS);
  setup(server, log);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** A raw client: sends `parts` (each `[delayMs, bytes]`), logs what it reads. */
function raw(port, parts, log, t0) {
  const c = net.connect(port, '127.0.0.1');
  let got = '';
  c.on('data', (d) => {
    got += d.toString('latin1');
    log(`client read ${JSON.stringify(d.toString('latin1'))}`);
  });
  c.on('close', () => log(`client closed`));
  c.on('error', (e) => log(`client error ${e.code}`));
  let at = 0;
  for (const [delay, bytes] of parts) {
    at += delay;
    setTimeout(() => c.destroyed || c.write(bytes), at);
  }
  return { c, got: () => got };
}

function logger() {
  const t0 = Date.now();
  const lines = [];
  const log = (s) => lines.push(`${Date.now() - t0}ms ${s}`);
  return { log, lines };
}

const scenarios = {
  // server.timeout = 200 without any 'timeout' listener: the socket is destroyed.
  async 'server-timeout-no-listener'(log) {
    const server = await listen((s) => { s.setTimeout(200); }, log);
    raw(server.address().port, [], log);
    await wait(600);
    server.close();
  },
  // A 'timeout' listener on server, req and res: req (incomplete), res, server, socket kept.
  async 'timeout-listeners-order'(log) {
    const server = await listen((s) => {
      s.setTimeout(0);
      s.on('timeout', () => log('server timeout'));
      s.on('request', (req, res) => {
        log('request');
        req.setTimeout(150, () => log('req timeout'));
        res.setTimeout(150, () => log('res timeout'));
        setTimeout(() => { log('app destroys'); req.destroy(); }, 450);
      });
    }, log);
    raw(server.address().port, [[0, 'POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc']], log);
    await wait(700);
    server.close();
  },
  // server.timeout = 200 with a server 'timeout' listener only: the socket stays open.
  async 'server-timeout-listener'(log) {
    const server = await listen((s) => {
      s.setTimeout(200);
      s.on('timeout', (socket) => { log('server timeout'); setTimeout(() => { log('app destroys'); socket.destroy(); }, 200); });
    }, log);
    raw(server.address().port, [], log);
    await wait(700);
    server.close();
  },
  // keepAliveTimeout = 200: when is the idle connection closed after the response?
  async 'keep-alive-timeout-200'(log) {
    const server = await listen((s) => {
      s.keepAliveTimeout = 200;
      s.on('request', (req, res) => res.end('ok'));
      s.on('connection', (sock) => sock.on('close', () => log('server socket close')));
    }, log);
    raw(server.address().port, [[0, 'GET / HTTP/1.1\r\n\r\n']], log);
    await wait(1600);
    server.close();
  },
  async 'keep-alive-timeout-0'(log) {
    const server = await listen((s) => {
      s.keepAliveTimeout = 0;
      s.setTimeout(0);
      s.on('request', (req, res) => res.end('ok'));
    }, log);
    const { c } = raw(server.address().port, [[0, 'GET / HTTP/1.1\r\n\r\n']], log);
    await wait(800);
    log(`client still open: ${!c.destroyed}`);
    c.destroy();
    server.close();
  },
  // 'checkContinue' listener: no automatic 100, no 'request'; writeContinue after 200 ms.
  async 'check-continue'(log) {
    const server = await listen((s) => {
      s.on('request', () => log('request'));
      s.on('checkContinue', (req, res) => {
        log('checkContinue');
        req.on('data', (d) => log(`data ${d}`));
        req.on('end', () => { log('end'); res.end('ok'); });
        setTimeout(() => { log('writeContinue'); res.writeContinue(); }, 200);
      });
    }, log);
    const { c } = raw(server.address().port, [[0, 'POST / HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n']], log);
    c.once('data', () => c.write('hello'));
    await wait(500);
    c.destroy();
    server.close();
  },
  async 'expect-continue-default'(log) {
    const server = await listen((s) => {
      s.on('request', (req, res) => { log('request'); req.resume(); req.on('end', () => res.end('ok')); });
    }, log);
    const { c } = raw(server.address().port, [[0, 'POST / HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n']], log);
    c.once('data', () => c.write('hello'));
    await wait(300);
    c.destroy();
    server.close();
  },
  async 'check-expectation'(log) {
    const server = await listen((s) => {
      s.on('request', () => log('request'));
      s.on('checkExpectation', (req, res) => { log(`checkExpectation ${req.headers.expect}`); res.statusCode = 202; res.end('custom'); });
    }, log);
    const { c } = raw(server.address().port, [[0, 'GET / HTTP/1.1\r\nExpect: foo\r\n\r\n']], log);
    await wait(300);
    c.destroy();
    server.close();
  },
  async 'expectation-default-417'(log) {
    const server = await listen((s) => { s.on('request', () => log('request')); }, log);
    const { c } = raw(server.address().port, [[0, 'GET / HTTP/1.1\r\nExpect: foo\r\n\r\n']], log);
    await wait(300);
    c.destroy();
    server.close();
  },
  async 'write-processing'(log) {
    const server = await listen((s) => {
      s.on('request', (req, res) => { res.writeProcessing(); setTimeout(() => res.end('ok'), 100); });
    }, log);
    const { c } = raw(server.address().port, [[0, 'GET / HTTP/1.1\r\n\r\n']], log);
    await wait(300);
    c.destroy();
    server.close();
  },
  // Node's own client against a checkContinue server that sends 102 then 100.
  async 'client-continue-information'(log) {
    const server = await listen((s) => {
      s.on('checkContinue', (req, res) => {
        log('server checkContinue');
        res.writeProcessing();
        res.writeContinue();
        req.resume();
        req.on('end', () => res.end('ok'));
      });
    }, log);
    const req = http.request({ port: server.address().port, host: '127.0.0.1', method: 'POST', headers: { Expect: '100-continue', 'Content-Length': 5 } });
    req.on('information', (i) => log(`client information ${i.statusCode} ${i.statusMessage}`));
    req.on('continue', () => { log('client continue'); req.end('hello'); });
    req.on('response', (res) => { log(`client response ${res.statusCode}`); res.resume(); res.on('end', () => log('client res end')); });
    await wait(300);
    server.close();
  },
  // 'clientError' listener answering on the socket.
  async 'client-error-listener'(log) {
    const server = await listen((s) => {
      s.on('clientError', (err, socket) => {
        log(`clientError ${err.code} bytesParsed=${err.bytesParsed} rawPacket=${JSON.stringify(err.rawPacket && err.rawPacket.toString('latin1'))}`);
        socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      });
    }, log);
    raw(server.address().port, [[0, 'GET / HTTP/1.1\r\nBad Header\r\n\r\n']], log);
    await wait(300);
    server.close();
  },
  async 'client-error-default-400'(log) {
    const server = await listen(() => {}, log);
    raw(server.address().port, [[0, 'GET / HTTP/1.1\r\nBad Header\r\n\r\n']], log);
    await wait(300);
    server.close();
  },
  async 'client-error-default-431'(log) {
    const server = await listen(() => {}, log);
    raw(server.address().port, [[0, `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`]], log);
    await wait(300);
    server.close();
  },
  // The socket surface: addresses, response.socket after end, close order.
  async 'socket-surface'(log) {
    let client;
    const server = await listen((s) => {
      s.on('connection', (sock) => log(`connection remotePort==client.localPort ${sock.remotePort === client.c.localPort} localPort==server ${sock.localPort === s.address().port}`));
      s.on('request', (req, res) => {
        log(`request socket.remoteAddress ${req.socket.remoteAddress} same port ${req.socket.remotePort === client.c.localPort}`);
        s.getConnections((e, n) => log(`getConnections ${n}`));
        res.end('ok');
        log(`after end res.socket ${res.socket}`);
        s.close(() => log('close callback'));
        log(`listening after close() ${s.listening}`);
      });
      s.on('close', () => log('server close'));
    }, log);
    client = raw(server.address().port, [[0, 'GET / HTTP/1.1\r\n\r\n']], log);
    setTimeout(() => { log('client ends'); client.c.end(); }, 200);
    await wait(500);
  },
  async 'message-destroy'(log) {
    const server = await listen((s) => {
      s.on('request', (req) => { req.destroy(); log('req.destroy()'); });
    }, log);
    raw(server.address().port, [[0, 'GET / HTTP/1.1\r\n\r\n']], log);
    await wait(300);
    server.close();
  },
  // cork: nothing leaves until uncork.
  async 'cork-uncork'(log) {
    const server = await listen((s) => {
      s.on('request', (req, res) => {
        res.cork();
        res.writeHead(200, { 'Content-Length': 2 });
        res.write('a');
        res.write('b');
        log('corked writes done');
        setTimeout(() => { log('uncork'); res.uncork(); res.end(); }, 200);
      });
    }, log);
    raw(server.address().port, [[0, 'GET / HTTP/1.1\r\n\r\n']], log);
    await wait(400);
    server.close();
  },
  async 'write-callbacks'(log) {
    const server = await listen((s) => {
      s.on('request', (req, res) => {
        res.write('a', () => log('write cb 1'));
        res.write('b', () => log('write cb 2'));
        res.on('finish', () => log('finish'));
        res.end();
        log('end called');
      });
    }, log);
    raw(server.address().port, [[0, 'GET / HTTP/1.1\r\n\r\n']], log);
    await wait(300);
    server.close();
  },
  async 'add-trailers'(log) {
    const server = await listen((s) => {
      s.on('request', (req, res) => {
        for (const [name, value] of [['bad name', 'x'], ['X-T', 'a\nb']]) {
          try { res.addTrailers({ [name]: value }); log('no throw'); } catch (e) { log(`addTrailers throws ${e.code}`); }
        }
        if (req.url === '/chunked') res.write('body');
        else { res.setHeader('Content-Length', 4); res.write('body'); }
        res.addTrailers({ 'X-T': '1' });
        res.end();
      });
    }, log);
    raw(server.address().port, [[0, 'GET /chunked HTTP/1.1\r\n\r\nGET /length HTTP/1.1\r\n\r\n']], log);
    await wait(300);
    server.close();
  },
};

function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

(async () => {
  const names = process.argv.slice(2);
  for (const name of names.length ? names : Object.keys(scenarios)) {
    const { log, lines } = logger();
    await scenarios[name](log);
    console.log(JSON.stringify({ scenario: name, events: lines }));
  }
  process.exit(0);
})();
