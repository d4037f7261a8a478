'use strict';
// What Node's http client makes of raw response bytes: node record_responses.js [CASE_NAME]
//
// A `net` server on 127.0.0.1 answers each request (named by its X-Case header) with one case's bytes, written at once, and
// then ends the socket (so close-delimited bodies end). Node's client (maxHeaderSize 8192, as
// node_echo.js's server, strict unless the case says `insecure`) records what it sees: the
// response (statusCode, statusMessage, httpVersion, headers, rawHeaders, body as latin1,
// trailers, complete), req.shouldKeepAlive once the response arrived (Node's verdict from
// llhttp_should_keep_alive, asked of a keep-alive request), 1xx 'information' events,
// 'upgrade'/'connect' with the bytes after the head, or the error's code and reason.
// Prints one JSON line per case. The parse.rs response tests were written from this output.

const http = require('http');
const net = require('net');

const CL3 = 'Content-Length: 3\r\n';
const CHUNKED = 'Transfer-Encoding: chunked\r\n';
const big = (n) => 'x'.repeat(n);

/** [name, response bytes (latin1), request options] */
const CASES = [
  ['ok_cl', `HTTP/1.1 200 OK\r\n${CL3}\r\nabc`],
  ['reason_missing', `HTTP/1.1 200\r\n${CL3}\r\nabc`],
  ['reason_empty', `HTTP/1.1 200 \r\n${CL3}\r\nabc`],
  ['reason_spaces', `HTTP/1.1 200  Very  OK \r\n${CL3}\r\nabc`],
  ['reason_latin1', `HTTP/1.1 200 Tr\xe8s bien\xff\r\n${CL3}\r\nabc`],
  ['reason_controls', `HTTP/1.1 200 a\x01b\x7fc\td\r\n${CL3}\r\nabc`],
  ['reason_bare_lf', `HTTP/1.1 200 OK\n${CL3}\r\nabc`],
  ['status_bare_lf', `HTTP/1.1 200\n${CL3}\r\nabc`],
  ['status_cr_no_lf', `HTTP/1.1 200 OK\rContent-Length: 3\r\n\r\nabc`],
  ['status_2_digits', `HTTP/1.1 20 OK\r\n${CL3}\r\nabc`],
  ['status_4_digits', `HTTP/1.1 2000 OK\r\n${CL3}\r\nabc`],
  ['status_000', `HTTP/1.1 000 OK\r\n${CL3}\r\nabc`],
  ['status_099', `HTTP/1.1 099 OK\r\n${CL3}\r\nabc`],
  ['status_999', `HTTP/1.1 999 OK\r\n${CL3}\r\nabc`],
  ['status_letter', `HTTP/1.1 2x0 OK\r\n${CL3}\r\nabc`],
  ['status_tab_after', `HTTP/1.1 200\tOK\r\n${CL3}\r\nabc`],
  ['two_spaces_before_status', `HTTP/1.1  200 OK\r\n${CL3}\r\nabc`],
  ['tab_before_status', `HTTP/1.1\t200 OK\r\n${CL3}\r\nabc`],
  ['no_status', `HTTP/1.1\r\n${CL3}\r\nabc`],
  ['http10', `HTTP/1.0 200 OK\r\n${CL3}\r\nabc`],
  ['http10_keep_alive', `HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n${CL3}\r\nabc`],
  ['http11_close', `HTTP/1.1 200 OK\r\nConnection: close\r\n${CL3}\r\nabc`],
  ['http12', `HTTP/1.2 200 OK\r\n${CL3}\r\nabc`],
  ['http12_insecure', `HTTP/1.2 200 OK\r\n${CL3}\r\nabc`, { insecureHTTPParser: true }],
  ['http20', `HTTP/2.0 200 OK\r\n${CL3}\r\nabc`],
  ['http09', `HTTP/0.9 200 OK\r\n${CL3}\r\nabc`],
  ['http_lower', `http/1.1 200 OK\r\n${CL3}\r\nabc`],
  ['https_proto', `HTTPS/1.1 200 OK\r\n${CL3}\r\nabc`],
  ['rtsp', `RTSP/1.0 200 OK\r\n${CL3}\r\nabc`],
  ['ice', `ICE/1.0 200 OK\r\n${CL3}\r\nabc`],
  ['version_2_digits', `HTTP/11.1 200 OK\r\n${CL3}\r\nabc`],
  ['version_no_dot', `HTTP/1 200 OK\r\n${CL3}\r\nabc`],
  ['leading_crlf', `\r\n\n\r\nHTTP/1.1 200 OK\r\n${CL3}\r\nabc`],
  ['garbage', 'hello world\r\n\r\n'],
  ['head_cl', `HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n`, { method: 'HEAD' }],
  ['head_chunked', `HTTP/1.1 200 OK\r\n${CHUNKED}\r\n`, { method: 'HEAD' }],
  ['head_unframed', 'HTTP/1.1 200 OK\r\n\r\n', { method: 'HEAD' }],
  ['continue_then_200', `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n${CL3}\r\nabc`],
  ['early_hints_then_200',
    `HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n${CL3}\r\nabc`],
  ['info_with_cl_then_200',
    `HTTP/1.1 102 Processing\r\n${CL3}\r\nHTTP/1.1 200 OK\r\n${CL3}\r\nabc`],
  ['info_close_then_200',
    `HTTP/1.1 100 Continue\r\nConnection: close\r\n\r\nHTTP/1.1 200 OK\r\n${CL3}\r\nabc`],
  ['no_content_cl', `HTTP/1.1 204 No Content\r\n${CL3}\r\nabc`],
  ['no_content_chunked', `HTTP/1.1 204 No Content\r\n${CHUNKED}\r\n3\r\nabc\r\n0\r\n\r\n`],
  ['no_content_unframed', 'HTTP/1.1 204 No Content\r\n\r\nabc'],
  ['not_modified_cl', `HTTP/1.1 304 Not Modified\r\n${CL3}\r\nabc`],
  ['not_modified_chunked', `HTTP/1.1 304 Not Modified\r\n${CHUNKED}\r\n3\r\nabc\r\n0\r\n\r\n`],
  ['not_modified_unframed', 'HTTP/1.1 304 Not Modified\r\n\r\n'],
  ['chunked_trailers',
    `HTTP/1.1 200 OK\r\n${CHUNKED}\r\n3;a=b\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\nx-t: 2\r\n\r\n`],
  ['chunked_trailer_te', `HTTP/1.1 200 OK\r\n${CHUNKED}\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n`],
  ['chunked_trailer_cl', `HTTP/1.1 200 OK\r\n${CHUNKED}\r\n0\r\nContent-Length: 3\r\n\r\n`],
  ['chunked_bad_size', `HTTP/1.1 200 OK\r\n${CHUNKED}\r\nzz\r\nabc\r\n0\r\n\r\n`],
  ['chunked_cut', `HTTP/1.1 200 OK\r\n${CHUNKED}\r\n3\r\nab`],
  ['cl_cut', `HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab`],
  ['close_delimited', 'HTTP/1.1 200 OK\r\n\r\nabc'],
  ['close_delimited_10', 'HTTP/1.0 200 OK\r\n\r\nabc'],
  ['te_gzip', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc'],
  ['te_chunked_gzip', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nabc'],
  ['te_chunked_then_gzip_lines',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\nabc'],
  ['te_gzip_chunked', `HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`],
  ['te_empty_cl', `HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n${CL3}\r\nabc`],
  ['cl_then_te', `HTTP/1.1 200 OK\r\n${CL3}${CHUNKED}\r\n3\r\nabc\r\n0\r\n\r\n`],
  ['te_then_cl', `HTTP/1.1 200 OK\r\n${CHUNKED}${CL3}\r\n3\r\nabc\r\n0\r\n\r\n`],
  ['cl_then_te_insecure', `HTTP/1.1 200 OK\r\n${CL3}${CHUNKED}\r\n3\r\nabc\r\n0\r\n\r\n`,
    { insecureHTTPParser: true }],
  ['cl_then_te_gzip_insecure', `HTTP/1.1 200 OK\r\n${CL3}Transfer-Encoding: gzip\r\n\r\nabcdef`,
    { insecureHTTPParser: true }],
  ['te_gzip_then_cl_insecure', `HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n${CL3}\r\nabcdef`,
    { insecureHTTPParser: true }],
  ['cl_duplicate', `HTTP/1.1 200 OK\r\n${CL3}${CL3}\r\nabc`],
  ['cl_invalid', 'HTTP/1.1 200 OK\r\nContent-Length: 3x\r\n\r\nabc'],
  ['cl_empty', 'HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\nabc'],
  ['obs_fold', `HTTP/1.1 200 OK\r\nA: b\r\n c\r\n${CL3}\r\nabc`],
  ['obs_fold_insecure', `HTTP/1.1 200 OK\r\nA: b\r\n c\r\n${CL3}\r\nabc`, { insecureHTTPParser: true }],
  ['bare_lf_headers', 'HTTP/1.1 200 OK\r\nA: b\nContent-Length: 3\r\n\r\nabc'],
  ['bare_lf_all_insecure', 'HTTP/1.1 200 OK\nA: b\nContent-Length: 3\n\nabc', { insecureHTTPParser: true }],
  ['space_first_header', `HTTP/1.1 200 OK\r\n A: b\r\n${CL3}\r\nabc`],
  ['bad_header_token', `HTTP/1.1 200 OK\r\nA b: c\r\n${CL3}\r\nabc`],
  ['header_value_ctl', `HTTP/1.1 200 OK\r\nA: b\x01c\r\n${CL3}\r\nabc`],
  ['header_value_ctl_insecure', `HTTP/1.1 200 OK\r\nA: b\x01c\r\n${CL3}\r\nabc`, { insecureHTTPParser: true }],
  // Node counts the reason and every name and value: 2 + 14 + 1 + n = 8192 overflows at n = 8175.
  ['overflow_at_limit', `HTTP/1.1 200 OK\r\nContent-Length: 0\r\nA: ${big(8173)}\r\n\r\n`],
  ['overflow_over_limit', `HTTP/1.1 200 OK\r\nContent-Length: 0\r\nA: ${big(8174)}\r\n\r\n`],
  ['overflow_reason', `HTTP/1.1 200 ${big(8192)}\r\n\r\n`],
  ['overflow_reason_at_limit', `HTTP/1.1 200 ${big(8191)}\r\n\r\n`],
  ['upgrade_101', 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ws\r\n\r\nrest',
    { headers: { Connection: 'Upgrade', Upgrade: 'ws' } }],
  ['switching_101_without_upgrade', `HTTP/1.1 101 Switching Protocols\r\n\r\nHTTP/1.1 200 OK\r\n${CL3}\r\nabc`],
  ['upgrade_header_on_200', `HTTP/1.1 200 OK\r\nConnection: Upgrade\r\nUpgrade: ws\r\n${CL3}\r\nabc`],
  ['connect_200', `HTTP/1.1 200 Connection Established\r\n${CL3}\r\ntunnel`, { method: 'CONNECT', path: 'a:1' }],
  ['connect_407', `HTTP/1.1 407 Proxy Auth\r\n${CL3}\r\nabc`, { method: 'CONNECT', path: 'a:1' }],
  ['switching_101_cl_without_upgrade', `HTTP/1.1 101 Switching Protocols\r\n${CL3}\r\nabc`],
  ['upgrade_101_without_connection', `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ws\r\n\r\n`],
  ['reset_content_cl', `HTTP/1.1 205 Reset Content\r\n${CL3}\r\nabc`],
  ['no_content_te_gzip', 'HTTP/1.1 204 No Content\r\nTransfer-Encoding: gzip\r\n\r\nabc'],
  ['head_te_gzip', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', { method: 'HEAD' }],
  ['two_infos_then_200',
    `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Hints\r\n\r\nHTTP/1.1 200 OK\r\n${CL3}\r\nabc`],
  ['keep_alive_and_close', `HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\n${CL3}\r\nabc`],
  ['http10_keep_alive_unframed', 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nabc'],
  ['reason_bare_lf_insecure', `HTTP/1.1 200 OK\n${CL3}\r\nabc`, { insecureHTTPParser: true }],
  ['status_bare_lf_insecure', `HTTP/1.1 200\n${CL3}\r\nabc`, { insecureHTTPParser: true }],
  ['status_cr_no_lf_insecure', `HTTP/1.1 200 OK\rContent-Length: 3\r\n\r\nabc`, { insecureHTTPParser: true }],
  ['reason_cr_cr_lf', `HTTP/1.1 200 OK\r\r\n${CL3}\r\nabc`],
  ['status_then_tab', `HTTP/1.1 200\t\r\n${CL3}\r\nabc`],
  ['version_letter', `HTTP/x.1 200 OK\r\n${CL3}\r\nabc`],
  ['minor_letter', `HTTP/1.x 200 OK\r\n${CL3}\r\nabc`],
  ['http_no_slash', `HTTP 200 OK\r\n${CL3}\r\nabc`],
  ['status_space_digits', `HTTP/1.1 2 0 OK\r\n${CL3}\r\nabc`],
  ['reason_cr_cr_header', `HTTP/1.1 200 OK\r\r${CL3}\r\nabc`],
  ['status_cr_cr_header', `HTTP/1.1 200\r\r${CL3}\r\nabc`],
  ['status_cr_x', `HTTP/1.1 200\rX${CL3}\r\nabc`],
  ['reason_lf_in_crlf_pos', `HTTP/1.1 200 OK\r\n\r\r\nabc`],
  ['set_cookie_and_dups',
    `HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-A: 1\r\nx-a: 2\r\n${CL3}\r\nabc`],
];

function record(port, [name, bytes, options = {}]) {
  return new Promise((resolve) => {
    const out = { name };
    const done = () => resolve(out);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const { insecureHTTPParser = false, ...rest } = options;
    const req = http.request({
      host: '127.0.0.1', port, agent, maxHeaderSize: 8192, insecureHTTPParser, ...rest,
      headers: { 'X-Case': name, ...rest.headers },
    }, (res) => {
      out.statusCode = res.statusCode;
      out.statusMessage = res.statusMessage;
      out.httpVersion = res.httpVersion;
      out.headers = res.headers;
      out.rawHeaders = res.rawHeaders;
      out.shouldKeepAlive = req.shouldKeepAlive;
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => {
        out.body = Buffer.concat(parts).toString('latin1');
        out.trailers = res.rawTrailers;
        out.complete = res.complete;
      });
      res.on('aborted', () => { out.aborted = true; });
      res.on('error', (e) => { out.resError = e.code; });
      res.on('close', () => { agent.destroy(); setTimeout(done, 20); });
    });
    const tunnel = (event) => (res, socket, head) => {
      out.event = event;
      out.statusCode = res.statusCode;
      out.statusMessage = res.statusMessage;
      out.rawHeaders = res.rawHeaders;
      out.head = head.toString('latin1');
      socket.destroy();
      agent.destroy();
      done();
    };
    req.on('upgrade', tunnel('upgrade'));
    req.on('connect', tunnel('connect'));
    req.on('information', (info) => {
      (out.information = out.information || []).push({
        statusCode: info.statusCode, statusMessage: info.statusMessage, rawHeaders: info.rawHeaders,
      });
    });
    req.on('error', (e) => {
      out.error = { code: e.code, reason: e.reason };
      agent.destroy();
      done();
    });
    req.end();
  });
}

async function main() {
  const only = process.argv[2];
  const byName = new Map(CASES.map((c) => [c[0], c[1]]));
  const server = net.createServer((socket) => {
    let head = '';
    socket.on('data', (d) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      const name = /\r\nX-Case: ([^\r]*)/i.exec(head)[1];
      socket.end(Buffer.from(byName.get(name) || '', 'latin1'));
    });
    socket.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const deadline = setTimeout(() => { console.error('timed out'); process.exit(1); }, 30000);
  for (const c of CASES) {
    if (only && c[0] !== only) continue;
    console.log(JSON.stringify(await record(port, c)));
  }
  clearTimeout(deadline);
  server.close();
}

main();
