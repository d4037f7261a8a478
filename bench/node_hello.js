'use strict';
// Node's side of the benchmark: the same hello-world that `nodehttp serve --hello` answers.
// Usage: node node_hello.js PORT   (PORT 0 = any free port)
// Configured like reference/node_echo.js so both servers follow Node v12 defaults.
const http = require('http');

const port = Number(process.argv[2] || 0);

const server = http.createServer({ requireHostHeader: false, maxHeaderSize: 8192 }, (req, res) => {
  res.setHeader('Content-Type', 'text/plain');
  res.end('hello world');
});
server.requestTimeout = 0;       // v12 had no request timeout
server.keepAliveTimeout = 5000;  // default in v12 and v20
server.headersTimeout = 60000;   // default in v12 and v20
server.listen(port, '127.0.0.1', () => {
  // Same ready line as `nodehttp serve`, so run.sh waits for both the same way.
  process.stdout.write('listening on 127.0.0.1:' + server.address().port + '\n');
});
