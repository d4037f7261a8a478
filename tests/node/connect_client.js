'use strict';
// Node's client through a CONNECT proxy: node connect_client.js PROXY_PORT TARGET_PORT
// Prints two JSON lines: the response to `GET /x` sent to 127.0.0.1:TARGET_PORT directly, then the
// same request sent through a tunnel that `http.request({method: 'CONNECT'})` to PROXY_PORT opened
// (Node's documented 'connect' client example, with the request made by http.get on the tunnel's
// socket). tests/proxy_cli.rs runs it against `nodehttp serve --proxy` and compares the lines.
// Date headers are normalized. Exits 1 on any error or after 10 s.

const http = require('http');

const [proxyPort, targetPort] = process.argv.slice(2).map(Number);
setTimeout(() => fail(new Error('timed out after 10 s')), 10000).unref();

function fail(err) {
  console.error(`${err.code || 'ERROR'}: ${err.message}`);
  process.exit(1);
}

/** GET /x to the target, on `socket` if given; resolves with what the client saw. */
function get(socket) {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port: targetPort, path: '/x', agent: false };
    if (socket) options.createConnection = () => socket;
    const req = http.get(options, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => {
        const rawHeaders = res.rawHeaders.map((v, i) =>
          i % 2 === 1 && res.rawHeaders[i - 1].toLowerCase() === 'date' ? '<DATE>' : v);
        resolve({
          statusCode: res.statusCode,
          statusMessage: res.statusMessage,
          rawHeaders,
          body: Buffer.concat(parts).toString('latin1'),
        });
      });
    });
    req.on('error', reject);
  });
}

/** A tunnel to the target through the proxy: resolves with the 'connect' event's socket. */
function tunnel() {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: proxyPort,
      method: 'CONNECT',
      path: `127.0.0.1:${targetPort}`,
    });
    req.on('connect', (res, socket, head) => {
      if (res.statusCode !== 200 || head.length !== 0) {
        reject(new Error(`proxy answered ${res.statusCode} with ${head.length} bytes of head`));
      } else {
        resolve(socket);
      }
    });
    req.on('error', reject);
    req.end();
  });
}

(async () => {
  console.log(JSON.stringify(await get()));
  const socket = await tunnel();
  console.log(JSON.stringify(await get(socket)));
  socket.destroy();
})().catch(fail);
