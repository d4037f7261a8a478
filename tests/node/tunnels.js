'use strict';
// The event orders that host/tests/tunnels.rs expects, observed on Node:
//   node tests/node/tunnels.js
// Prints one line per scenario: its name and the events seen, in order, as
// the test file quotes them ("Node v20: [...]"). Servers are configured like
// node_echo.js; every client is a raw net.Socket on 127.0.0.1, so each
// scenario sends the same bytes as the Rust test. Each scenario is bounded
// by a 5 s timer.

const http = require('http');
const net = require('net');

const SERVER_OPTIONS = { requireHostHeader: false, maxHeaderSize: 8192 };
const HANDSHAKE =
  'GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n';
const SWITCHING =
  'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n';

function bounded(name, run) {
  return new Promise((resolve) => {
    const log = [];
    const timer = setTimeout(() => finish('TIMEOUT'), 5000);
    function finish(last) {
      clearTimeout(timer);
      if (last) log.push(last);
      console.log(`${name}: ${JSON.stringify(log)}`);
      resolve();
    }
    run(log, finish);
  });
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

/** Server 'upgrade': 101 then an echo; after the client's FIN the app still writes, then ends. */
function serverUpgrade() {
  return bounded('server upgrade', async (log, finish) => {
    const server = http.createServer(SERVER_OPTIONS, () => log.push('request'));
    server.on('connection', () => log.push('connection'));
    server.on('upgrade', (req, socket, head) => {
      log.push(`upgrade head=${JSON.stringify(head.toString())} allowHalfOpen=${socket.allowHalfOpen}`);
      socket.write(SWITCHING);
      socket.write(head);
      socket.on('data', (d) => { log.push(`data ${JSON.stringify(d.toString())}`); socket.write(d); });
      socket.on('end', () => { log.push('end'); socket.end('bye'); });
      socket.on('finish', () => log.push('finish'));
      socket.on('close', (e) => { log.push(`close ${e}`); server.close(); });
    });
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1', () => client.write(HANDSHAKE + 'early'));
    let got = '';
    client.on('data', (d) => {
      got += d;
      if (got.endsWith('early') && !got.includes('later')) client.write('later');
      if (got.endsWith('later')) client.end();
    });
    client.on('close', () => {
      log.push(`client got ${JSON.stringify(got.slice(got.indexOf('\r\n\r\n') + 4))}`);
      setTimeout(finish, 50);
    });
  });
}

/** No 'upgrade' listener: the request is served as a normal request. */
function serverUpgradeUnheard() {
  return bounded('server upgrade, no listener', async (log, finish) => {
    const server = http.createServer(SERVER_OPTIONS, (req, res) => {
      log.push(`request ${req.headers.upgrade}`);
      res.end('ok');
    });
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1', () => client.write(HANDSHAKE));
    client.on('data', (d) => {
      log.push(`client status ${d.toString().split('\r\n')[0]}`);
      client.destroy();
      server.close();
      finish();
    });
  });
}

/** No 'connect' listener: the connection is closed without a byte. */
function serverConnectUnheard() {
  return bounded('server connect, no listener', async (log, finish) => {
    const server = http.createServer(SERVER_OPTIONS, () => log.push('request'));
    server.on('connection', () => log.push('connection'));
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1', () =>
      client.write('CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n'));
    let got = '';
    client.on('data', (d) => { got += d; });
    client.on('end', () => log.push('client end'));
    client.on('close', () => {
      log.push(`client close, got ${JSON.stringify(got)}`);
      server.close();
      finish();
    });
  });
}

/** Server 'connect': request url and head. */
function serverConnect() {
  return bounded('server connect', async (log, finish) => {
    const server = http.createServer(SERVER_OPTIONS, () => log.push('request'));
    server.on('connection', () => log.push('connection'));
    server.on('connect', (req, socket, head) => {
      log.push(`connect url=${req.url} head=${JSON.stringify(head.toString())}`);
      socket.end('HTTP/1.1 200 Connection Established\r\n\r\n');
      socket.on('close', (e) => { log.push(`close ${e}`); server.close(); finish(); });
    });
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1', () =>
      client.write('CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\nGET'));
    client.on('data', () => {});
    client.on('end', () => client.end());
  });
}

/** A raw server answering 101 (with "hi" after the head), then echoing. */
async function switching() {
  const server = net.createServer((conn) => {
    let got = '';
    conn.on('data', (d) => {
      if (!got.includes('\r\n\r\n')) {
        got += d;
        if (got.includes('\r\n\r\n')) conn.write(SWITCHING + 'hi');
      } else {
        conn.write(d);
      }
    });
    conn.on('end', () => conn.end());
  });
  return [server, await listen(server)];
}

function clientEvents(req, log) {
  for (const name of ['socket', 'finish', 'response', 'error', 'close', 'abort']) {
    req.on(name, (arg) => log.push(name === 'error' ? `error ${arg.code} ${arg.message}` : name));
  }
}

/** The client's 'upgrade': response, socket, head; the echo through the socket. */
function clientUpgrade() {
  return bounded('client upgrade', async (log, finish) => {
    const [server, port] = await switching();
    const req = http.request({ port, host: '127.0.0.1', headers: { Connection: 'Upgrade', Upgrade: 'echo' } });
    clientEvents(req, log);
    req.on('upgrade', (res, socket, head) => {
      log.push(`upgrade ${res.statusCode} head=${JSON.stringify(head.toString())}`);
      res.on('end', () => log.push('res end'));
      res.on('close', () => log.push('res close'));
      socket.on('data', (d) => { log.push(`socket data ${JSON.stringify(d.toString())}`); socket.end(); });
      socket.on('end', () => log.push('socket end'));
      socket.on('close', (e) => { log.push(`socket close ${e}`); server.close(); setTimeout(finish, 50); });
      socket.write('ping');
    });
    req.end();
  });
}

/** No 'upgrade' listener on the client: the request closes with no response. */
function clientUpgradeUnheard() {
  return bounded('client upgrade, no listener', async (log, finish) => {
    const [server, port] = await switching();
    const req = http.request({ port, host: '127.0.0.1', headers: { Connection: 'Upgrade', Upgrade: 'echo' } });
    clientEvents(req, log);
    req.on('close', () => { server.close(); setTimeout(finish, 50); });
    req.end();
  });
}

/** The client's 'connect' through Node's documented proxy example, then a GET through the tunnel. */
function clientConnect(listening) {
  return bounded(`client connect${listening ? '' : ', no listener'}`, async (log, finish) => {
    const target = http.createServer(SERVER_OPTIONS, (req, res) => res.end(`target ${req.url}`));
    const targetPort = await listen(target);
    const proxy = http.createServer(SERVER_OPTIONS);
    proxy.on('connect', (req, clientSocket, head) => {
      const { port, hostname } = new URL(`http://${req.url}`);
      const serverSocket = net.connect(port || 80, hostname, () => {
        clientSocket.write('HTTP/1.1 200 Connection Established\r\nProxy-agent: Node.js-Proxy\r\n\r\n');
        serverSocket.write(head);
        serverSocket.pipe(clientSocket);
        clientSocket.pipe(serverSocket);
      });
    });
    const port = await listen(proxy);
    const done = () => { target.close(); proxy.close(); setTimeout(finish, 50); };
    const req = http.request({ port, host: '127.0.0.1', method: 'CONNECT', path: `127.0.0.1:${targetPort}` });
    clientEvents(req, log);
    if (listening) {
      req.on('connect', (res, socket, head) => {
        log.push(`connect ${res.statusCode} head=${JSON.stringify(head.toString())}`);
        socket.write('GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
        let got = '';
        socket.on('data', (d) => { got += d; });
        socket.on('end', () => log.push(`socket end ${JSON.stringify(got.split('\r\n')[0])} ${JSON.stringify(got.slice(got.indexOf('\r\n\r\n') + 4))}`));
        socket.on('close', (e) => { log.push(`socket close ${e}`); done(); });
      });
    } else {
      req.on('close', done);
    }
    req.end();
  });
}

/** net.connect to a closed port. */
function netRefused() {
  return bounded('net refused', async (log, finish) => {
    const probe = net.createServer();
    const port = await listen(probe);
    probe.close(() => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('connect', () => log.push('connect'));
      socket.on('error', (e) => log.push(`error ${e.code}`));
      socket.on('close', (e) => { log.push(`close ${e}`); finish(); });
    });
  });
}

/** net.connect to a server that writes "hello" and ends: connect, data, end, close. */
function netRoundTrip() {
  return bounded('net round trip', async (log, finish) => {
    const server = net.createServer((conn) => conn.end('hello'));
    const port = await listen(server);
    const socket = net.connect(port, '127.0.0.1');
    for (const name of ['connect', 'end', 'finish', 'drain', 'timeout']) socket.on(name, () => log.push(name));
    socket.on('data', (d) => log.push(`data ${JSON.stringify(d.toString())}`));
    socket.on('close', (e) => { log.push(`close ${e}`); server.close(); finish(); });
  });
}

/** Backpressure: write() false at 16 KiB, 'drain' once the peer reads; pause stops 'data'. */
function netBackpressure() {
  return bounded('net backpressure', async (log, finish) => {
    const server = net.createServer((conn) => {
      conn.pause();
      setTimeout(() => conn.resume(), 200);
      conn.on('end', () => conn.end());
    });
    const port = await listen(server);
    const socket = net.connect(port, '127.0.0.1', () => {
      log.push(`write 16383 -> ${socket.write(Buffer.alloc(16383))}`);
      log.push(`write 1 -> ${socket.write(Buffer.alloc(1))}`);
      log.push(`write 4 MiB -> ${socket.write(Buffer.alloc(4 << 20))}`);
    });
    socket.on('drain', () => { log.push('drain'); socket.end(); });
    socket.on('close', (e) => { log.push(`close ${e}`); server.close(); finish(); });
  });
}

/** setTimeout: 'timeout' after the idle time, and the socket stays open. */
function netTimeout() {
  return bounded('net timeout', async (log, finish) => {
    const server = net.createServer((conn) => conn.on('end', () => conn.end()));
    const port = await listen(server);
    const socket = net.connect(port, '127.0.0.1', () => log.push('connect'));
    socket.setTimeout(100);
    socket.on('timeout', () => {
      log.push(`timeout destroyed=${socket.destroyed} writable=${socket.writable}`);
      socket.setTimeout(0);
      setTimeout(() => { log.push(`200 ms later destroyed=${socket.destroyed}`); socket.end(); }, 200);
    });
    socket.on('end', () => log.push('end'));
    socket.on('close', (e) => { log.push(`close ${e}`); server.close(); finish(); });
  });
}

(async () => {
  for (const scenario of [serverUpgrade, serverUpgradeUnheard, serverConnectUnheard, serverConnect,
    clientUpgrade, clientUpgradeUnheard,
    () => clientConnect(true), () => clientConnect(false), netRefused, netRoundTrip, netBackpressure, netTimeout]) {
    await scenario();
  }
})();
