'use strict';
// Records Node's http.STATUS_CODES and http.METHODS: node tests/node/tables.js > tests/facts/http-tables.json
const http = require('http');
const statusCodes = Object.entries(http.STATUS_CODES).map(([code, text]) => [Number(code), text]);
process.stdout.write(JSON.stringify({ statusCodes, methods: http.METHODS }, null, 1) + '\n');
