'use strict';
// The reference echo server with non-default server options.
// Usage: node node_echo_options.js PORT OPTIONS_JSON   (PORT 0 = any free port)
//
// OPTIONS_JSON uses Node's names: {"insecureHTTPParser": true, "maxHeaderSize": 1024,
// "maxHeadersCount": 10, "keepAliveTimeout": 300}, each optional.
//
// node_echo.js stays a verbatim copy of the reference, so rather than copy its handler this file
// wraps http.createServer and then requires it: createServer options are merged in before the
// server exists, and the server properties are applied just before listen(), i.e. after
// node_echo.js has set its own defaults (keepAliveTimeout = 5000) and so overriding them.
const http = require('http');

const CONSTRUCTOR_OPTIONS = ['insecureHTTPParser', 'maxHeaderSize'];
const SERVER_PROPERTIES = ['maxHeadersCount', 'keepAliveTimeout'];

const options = JSON.parse(process.argv[3] || '{}');
for (const key of Object.keys(options)) {
  if (!CONSTRUCTOR_OPTIONS.includes(key) && !SERVER_PROPERTIES.includes(key)) {
    throw new Error(`unknown server option ${key}`);
  }
}

const createServer = http.createServer;
http.createServer = function (serverOptions, handler) {
  const merged = { ...serverOptions };
  for (const key of CONSTRUCTOR_OPTIONS) {
    if (key in options) merged[key] = options[key];
  }
  const server = createServer.call(http, merged, handler);
  const listen = server.listen;
  server.listen = function (...args) {
    for (const key of SERVER_PROPERTIES) {
      if (key in options) server[key] = options[key];
    }
    return listen.apply(server, args);
  };
  return server;
};

require('./node_echo.js');
