'use strict';
// Node's own http client against an echo server: node client.js PORT
// Prints one JSON document describing every exchange. tests/clients.rs runs it against
// `nodehttp serve` and against node_echo.js and compares the two documents.
// Dates and the port are normalized so that the two servers' documents can be equal.

const http = require('http');

const port = Number(process.argv[2]);

/** Sends one request and resolves with what the client saw. `send(req)` writes the body. */
function exchange(name, options, send) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, ...options }, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => {
        const rawHeaders = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const value = res.rawHeaders[i].toLowerCase() === 'date' ? '<DATE>' : res.rawHeaders[i + 1];
          rawHeaders.push(res.rawHeaders[i], value);
        }
        resolve({
          name,
          statusCode: res.statusCode,
          statusMessage: res.statusMessage,
          httpVersion: res.httpVersion,
          rawHeaders,
          body: Buffer.concat(parts).toString('latin1'),
          trailers: res.trailers,
          reusedSocket: req.reusedSocket,
          sawContinue: Boolean(req.sawContinue),
        });
      });
    });
    req.on('error', reject);
    req.on('continue', () => {
      req.sawContinue = true;
    });
    send(req);
  });
}

async function main() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const plain = new http.Agent({ keepAlive: false });
  const results = [];
  const run = async (name, options, send) => results.push(await exchange(name, options, send));

  await run('get', { agent: plain, path: '/get?x=1', headers: { 'X-Test': 'a' } }, (req) => req.end());
  await run('post', { agent: plain, method: 'POST', path: '/status/201' }, (req) => req.end('hello body'));
  await run('post-latin1', { agent: plain, method: 'POST', path: '/', headers: { 'Content-Type': 'text/plain' } },
    (req) => req.end(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x00, 0xff])));
  await run('chunked-upload', { agent: plain, method: 'PUT', path: '/chunked' }, (req) => {
    req.write('first,');
    setTimeout(() => {
      req.write('second');
      req.end();
    }, 30);
  });
  await run('upload-with-trailers', {
    agent: plain, method: 'POST', path: '/trailers', headers: { Trailer: 'X-Sum' },
  }, (req) => {
    req.write('abc');
    req.addTrailers({ 'X-Sum': '3' });
    req.end();
  });
  await run('head', { agent: plain, method: 'HEAD', path: '/set-cookie' }, (req) => req.end());
  await run('nobody', { agent: plain, path: '/nobody' }, (req) => req.end());
  await run('expect-continue', {
    agent: plain, method: 'POST', path: '/', headers: { Expect: '100-continue', 'Content-Length': 4 },
  }, (req) => req.on('continue', () => req.end('late')));
  await run('keep-alive-1', { agent, path: '/ka/1' }, (req) => req.end());
  await run('keep-alive-2', { agent, path: '/ka/2' }, (req) => req.end());
  await run('keep-alive-3', { agent, method: 'POST', path: '/status/404' }, (req) => req.end('x'));
  await run('close', { agent: plain, path: '/close' }, (req) => req.end());
  agent.destroy();

  const text = JSON.stringify(results, null, 1).split(`127.0.0.1:${port}`).join('127.0.0.1:PORT');
  process.stdout.write(text + '\n');
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
