'use strict';
// Records Node's `err.bytesParsed` and `err.rawPacket` for requests that do not
// parse: each case runs against a server configured like node_echo.js with a
// 'clientError' listener, sends its parts as separate reads (TCP_NODELAY, a
// pause between them) over 127.0.0.1, and records the error's code, its
// bytesParsed, the rawPacket's length and which part it was (`read`).
// core/src/server.rs (`bytes_parsed_like_node`) replays the file.
// Usage: node tests/node/bytes_parsed.js > tests/facts/bytes-parsed.json
//        node tests/node/bytes_parsed.js NAME...   (some cases only)
const http = require('http');
const net = require('net');

const OPTIONS = { requireHostHeader: false, maxHeaderSize: 8192 };
const GAP_MS = 60;

const BIG = 'a'.repeat(8200);
const CHUNKED = 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n';
const cases = {
  'bad-method': ['GXT / HTTP/1.1\r\n\r\n'],
  'lowercase-method': ['get / HTTP/1.1\r\n\r\n'],
  'method-no-space': ['GET\t/ HTTP/1.1\r\n\r\n'],
  'bad-url-char': ['GET /a\x01b HTTP/1.1\r\n\r\n'],
  'bad-url-start': ['GET %/ HTTP/1.1\r\n\r\n'],
  'bad-protocol': ['GET / HTTX/1.1\r\n\r\n'],
  'bad-version': ['GET / HTTP/1.2\r\n\r\n'],
  'bad-version-digit': ['GET / HTTP/x.1\r\n\r\n'],
  'version-no-crlf': ['GET / HTTP/1.1x\r\n\r\n'],
  'version-cr-no-lf': ['GET / HTTP/1.1\rX\r\n\r\n'],
  'bad-header-token': ['GET / HTTP/1.1\r\nBad Header\r\n\r\n'],
  'bad-header-value': ['GET / HTTP/1.1\r\nA: b\x01c\r\n\r\n'],
  'header-lf-only': ['GET / HTTP/1.1\r\nA: b\nC: d\r\n\r\n'],
  'header-cr-no-lf': ['GET / HTTP/1.1\r\nA: b\rC: d\r\n\r\n'],
  'obs-fold': ['GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n'],
  'leading-space': ['GET / HTTP/1.1\r\n A: b\r\n\r\n'],
  'cl-then-te': ['POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'],
  'te-then-cl': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n'],
  'te-not-chunked': ['POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n'],
  'bad-cl': ['POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n'],
  'empty-cl': ['POST / HTTP/1.1\r\nContent-Length: \r\n\r\n'],
  'duplicate-cl': ['POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx'],
  'bad-chunk-size': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
  'bad-chunk-data-crlf': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n'],
  'bad-chunk-size-second-read': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n', 'x\r\n'],
  'bad-chunk-data-crlf-second-read': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab', 'cX\r\n'],
  'header-overflow-one-read': [`GET / HTTP/1.1\r\nX: ${BIG}\r\n\r\n`],
  'header-overflow-name': [`GET / HTTP/1.1\r\n${BIG}: x\r\n\r\n`],
  'header-overflow-url': [`GET /${BIG} HTTP/1.1\r\n\r\n`],
  'header-overflow-many-lines': ['GET / HTTP/1.1\r\n' + 'X-Header: 0123456789\r\n'.repeat(500) + '\r\n'],
  'header-overflow-split': [`GET / HTTP/1.1\r\nX: ${'a'.repeat(5000)}`, `${'a'.repeat(5000)}\r\n\r\n`],
  'header-overflow-incomplete': [`GET / HTTP/1.1\r\nX: ${'a'.repeat(9000)}`],
  'pipelined-good-then-bad': ['GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nBad Header\r\n\r\n'],
  'pipelined-body-then-bad': ['POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGXT / HTTP/1.1\r\n\r\n'],
  'good-then-bad-next-read': ['GET /a HTTP/1.1\r\n\r\n', 'GET /b HTTP/1.1\r\nBad Header\r\n\r\n'],
  'line-ends-then-bad': ['\r\n\r\nGXT / HTTP/1.1\r\n\r\n'],
  'split-before-bad-byte': ['GET / HTTP/1.1\r\nBad', ' Header\r\n\r\n'],
  'split-inside-name': ['GET / HTTP/1.1\r\nBa', 'd Header\r\n\r\n'],
  'split-after-start-line': ['GET / HTTP/1.1\r\n', 'Bad Header\r\n\r\n'],
  'split-in-start-line': ['GET / HT', 'TP/1.1\r\nBad Header\r\n\r\n'],
  'split-three-reads': ['GET / HTTP/1.1\r\n', 'X: 1\r\n', 'Bad Header\r\n\r\n'],
  'split-after-cr': ['GET / HTTP/1.1\r\nA: b\r', 'X: c\r\n\r\n'],
  'split-method': ['GE', 'X / HTTP/1.1\r\n\r\n'],
  'split-bad-after-good-header': ['GET / HTTP/1.1\r\nA: b\r\n', ' c\r\n\r\n'],
  'split-cl-te': ['POST / HTTP/1.1\r\nContent-Length: 3\r\n', 'Transfer-Encoding: chunked\r\n\r\n'],
  'split-te-gzip-end': ['POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n', '\r\n'],
  'data-after-close': ['GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n'],
  'h2-preface': ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  'bad-header-token-big-read': [`GET / HTTP/1.1\r\nX: ${'b'.repeat(3000)}\r\nBad Header\r\n\r\n`],
  'method-wrong-protocol': ['DESCRIBE / HTTP/1.1\r\n\r\n'],
  'rtsp-wrong-method': ['PUT / RTSP/1.0\r\n\r\n'],
  'ice-wrong-method': ['GET / ICE/1.0\r\n\r\n'],
  'version-no-dot': ['GET / HTTP/1x1\r\n\r\n'],
  'version-bad-minor': ['GET / HTTP/1.x\r\n\r\n'],
  'url-cr-no-lf': ['GET /\rX\r\n\r\n'],
  'http09-tab': ['GET /\r\n\tX\r\n\r\n'],
  'url-bad-schema': ['GET ht!p://x/ HTTP/1.1\r\n\r\n'],
  'url-ends-in-schema': ['GET http: HTTP/1.1\r\n\r\n'],
  'headers-cr-no-lf': ['GET / HTTP/1.1\r\n\rX\r\n\r\n'],
  'header-line-lf': ['GET / HTTP/1.1\r\n\nX\r\n\r\n'],
  'empty-value-cr-no-lf': ['GET / HTTP/1.1\r\nA:\rX\r\n\r\n'],
  'empty-value-lf': ['GET / HTTP/1.1\r\nA:\nB: c\r\n\r\n'],
  'empty-name': ['GET / HTTP/1.1\r\n: x\r\n\r\n'],
  'cl-inner-space': ['POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n'],
  'cl-overflow': ['POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n'],
  'te-chunked-then-gzip': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n'],
  'te-chunked-then-gzip-line': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n'],
  'empty-cl-split': ['POST / HTTP/1.1\r\nContent-Length: \r\n', '\r\n'],
  'duplicate-cl-split-in-value': ['POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1', '\r\n\r\nx'],
  'cl-char-split': ['POST / HTTP/1.1\r\nContent-Length: 1', 'x\r\n\r\n'],
  'chunk-size-overflow': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n'],
  'chunk-size-lf': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n'],
  'chunk-size-cr-no-lf': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\rX'],
  'chunk-ext-space': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3; a\r\n'],
  'chunk-ext-name-bad': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;a@\r\n'],
  'chunk-ext-overflow': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;a=' + 'b'.repeat(17000) + '\r\nabc\r\n'],
  'chunk-ext-overflow-split': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;a=' + 'b'.repeat(10000), 'b'.repeat(7000) + '\r\nabc\r\n'],
  'chunk-data-lf': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n'],
  'trailer-bad-token': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Header\r\n\r\n'],
  'trailer-bad-token-split': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\nBa', 'd Header\r\n\r\n'],
  'trailer-overflow': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: ' + BIG + '\r\n\r\n'],
  'pri-bad-preface': ['PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n'],
  'name-overflow-then-bad-byte': [`GET / HTTP/1.1\r\n${BIG} x\r\n\r\n`],
  'value-overflow-then-lf': [`GET / HTTP/1.1\r\nX: ${BIG}\nY: z\r\n\r\n`],
  'leading-space-split': ['GET / HTTP/1.1\r\n', ' A: b\r\n\r\n'],
  'data-after-http10': ['GET / HTTP/1.0\r\n\r\n\r\nGET / HTTP/1.0\r\n\r\n'],
  'version-unknown-split': ['GET / HTTP/1.2', '\r\n\r\n'],
  'name-overflow-split-at-colon': [`GET / HTTP/1.1\r\n${BIG}`, ': x\r\n\r\n'],
  'url-schema-ends': ['GET http HTTP/1.1\r\n\r\n'],
  'url-schema-slash-ends': ['GET http:/ HTTP/1.1\r\n\r\n'],
  'url-schema-ends-cr': ['GET http\r\n\r\n'],
  'url-schema-slash-bad': ['GET http:x HTTP/1.1\r\n\r\n'],
  'url-schema-slashes-bad': ['GET http:/x HTTP/1.1\r\n\r\n'],
  'url-server-bad': ['GET http://a{/ HTTP/1.1\r\n\r\n'],
  'url-query-bad': ['GET /?a\x01 HTTP/1.1\r\n\r\n'],
  'url-fragment-bad': ['GET /#a\x01 HTTP/1.1\r\n\r\n'],
  'connect-server-bad': ['CONNECT a{b HTTP/1.1\r\n\r\n'],
  'chunk-size-bad-second-digit': [CHUNKED + '3z\r\n'],
  'chunk-ext-value-bad': [CHUNKED + '3;a=b@\r\n'],
  'chunk-ext-quoted-bad': [CHUNKED + '3;a="\x01"\r\n'],
  'chunk-ext-quoted-done-bad': [CHUNKED + '3;a="b"c\r\n'],
  'chunk-ext-quoted-pair-bad': [CHUNKED + '3;a="\\\x01"\r\n'],
  'chunk-ext-cr-no-lf': [CHUNKED + '3;a\rX'],
  'chunk-ext-name-lf': [CHUNKED + '3;a\nabc\r\n'],
  'chunk-ext-value-lf': [CHUNKED + '3;a=b\nabc\r\n'],
  'chunk-ext-start-cr': [CHUNKED + '3;\r\nabc\r\n'],
  'te-chunked-chunked': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked , chunked\r\n\r\n'],
  'cl-duplicate-bad-char': ['POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: x\r\n\r\n'],
  'cl-then-te-split-name': ['POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding', ': chunked\r\n\r\n'],
  'header-overflow-value-cr-at-end': [`GET / HTTP/1.1\r\nX: ${BIG}\r`, '\n\r\n'],
  'pipelined-good-then-bad-line': ['GET / HTTP/1.1\r\n\r\nBAD LINE\r\n\r\n'],
  'url-missing': ['GET \r\n\r\n'],
  'cl-char-split-after-char': ['POST / HTTP/1.1\r\nContent-Length: 1x', '\r\n\r\n'],
  'te-after-chunked-split': ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: g', 'zip\r\n\r\n'],
  'body-split-then-bad': ['POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nab', 'cdeGXT / HTTP/1.1\r\n\r\n'],
  'cl-obs-text-then-bare-cr': ['POST / HTTP/1.1\r\nContent-Length: 4\x80\r\rX\r\n\r\n'],
  'cl-overflow-split': ['POST / HTTP/1.1\r\nContent-Length: 99999999999999999999', '9\r\n\r\n'],
};

function runCase(name, parts) {
  return new Promise((resolve) => {
    const server = http.createServer(OPTIONS, (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    let result = null;
    server.on('clientError', (err, socket) => {
      const raw = err.rawPacket;
      result = {
        name,
        parts,
        code: err.code,
        bytesParsed: err.bytesParsed,
        rawPacketLength: raw ? raw.length : null,
        read: raw ? parts.findIndex((p) => Buffer.from(p, 'latin1').equals(raw)) : null,
      };
      socket.destroy();
    });
    server.listen(0, '127.0.0.1', () => {
      const c = net.connect(server.address().port, '127.0.0.1');
      c.setNoDelay(true);
      c.on('error', () => {});
      c.on('data', () => {});
      parts.forEach((p, i) => {
        setTimeout(() => c.destroyed || c.write(Buffer.from(p, 'latin1')), i * GAP_MS);
      });
      setTimeout(() => {
        c.destroy();
        server.close();
        resolve(result || { name, parts, code: null });
      }, parts.length * GAP_MS + 300);
    });
  });
}

(async () => {
  const names = process.argv.slice(2);
  const results = [];
  for (const name of names.length ? names : Object.keys(cases)) {
    results.push(await runCase(name, cases[name]));
  }
  process.stdout.write('[\n' + results.map((r) => JSON.stringify(r)).join(',\n') + '\n]\n');
})();
