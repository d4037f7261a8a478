'use strict';
// What Node's http.request makes of a URL and options:
//   node tests/node/record_request_options.js > tests/facts/request-options.json
//
// Each case runs through Node's real http.request. A request that Node accepts goes out through
// a capturing Agent (Node's http.Agent, whose createConnection records the options Node hands it
// and then connects to a raw `net` server on 127.0.0.1, whatever the host), so any host name is
// safe; the server records the request head. A request that Node refuses throws synchronously:
// its code (or, for a plain URIError, its name) and message are recorded. Cases marked
// `globalAgent` go through http.globalAgent instead, for the checks net.connect makes
// (family, localAddress); they must either throw or name 127.0.0.1, and are sent to the server's
// port but recorded as if sent to RECORDED_PORT, so the file does not change from run to run.
// core/tests/request_options.rs replays the file against nodehttp_core::request_options.

const http = require('http');
const net = require('net');

const RECORDED_PORT = 8079;

/** [name, url or null, options (headers as [name, value] pairs), flags] */
const CASES = [
  ['url_plain', 'http://example.com/a/b?c=d', {}],
  ['url_no_path', 'http://example.com', {}],
  ['url_userinfo', 'http://user:pass@example.com/', {}],
  ['url_userinfo_escapes', 'http://us%41er%20x:p%40ss@example.com/', {}],
  ['url_user_only', 'http://user@example.com/', {}],
  ['url_password_only', 'http://:pw@example.com/', {}],
  ['url_empty_userinfo', 'http://:@example.com/', {}],
  ['url_userinfo_two_at', 'http://a@b:c@example.com/', {}],
  ['url_userinfo_utf8', 'http://%C3%A4:x@example.com/', {}],
  ['url_userinfo_bad_escape', 'http://a%zz:b@example.com/', {}],
  ['url_userinfo_bad_utf8', 'http://a%ff:b@example.com/', {}],
  ['url_ipv6_port', 'http://[::1]:8080/x?y', {}],
  ['url_ipv6_compress', 'http://[1:0:0:2::3:0]/', {}],
  ['url_ipv4_hex', 'http://0x7f.1/', {}],
  ['url_ipv4_short', 'http://127.1:81/', {}],
  ['url_port_80', 'http://example.com:80/', {}],
  ['url_port_8080', 'http://example.com:8080/', {}],
  ['url_port_0', 'http://example.com:0/', {}],
  ['url_port_empty', 'http://example.com:/', {}],
  ['url_uppercase', 'HTTP://EXAMPLE.COM/A', {}],
  ['url_idna', 'http://b\u00fccher.example/', {}],
  ['url_pct_host', 'http://%65xample.com/', {}],
  ['url_path_space', 'http://example.com/a b', {}],
  ['url_path_unicode', 'http://example.com/\u00e4?\u00e4=1#frag', {}],
  ['url_path_specials', 'http://example.com/"<>`{}^|\'?"<>`{}^|\'', {}],
  ['url_dot_segments', 'http://example.com/a/./b/../c/%2e%2E/d', {}],
  ['url_backslashes', 'http:\\\\example.com\\a\\b', {}],
  ['url_tabs_newlines', ' http://exa\tmple.com/a\nb ', {}],
  ['url_empty_query', 'http://example.com/?', {}],
  ['url_https', 'https://example.com/', {}],
  ['url_ftp', 'ftp://example.com/', {}],
  ['url_opaque_space', 'foo:a b', {}],
  ['url_invalid', 'not a url', {}],
  ['url_no_host', 'http://', {}],
  ['url_bad_port', 'http://example.com:65536/', {}],
  ['url_bad_ipv6', 'http://[::1/', {}],
  ['url_bad_ipv4', 'http://1.2.3.256/', {}],
  ['url_space_host', 'http://a b/', {}],
  ['url_bad_punycode', 'http://xn--a/', {}],
  ['url_with_options', 'http://u:p@example.com:8080/x', { method: 'post', path: '/y', headers: [['X-A', '1']] }],
  ['url_host_option_loses', 'http://a.example/', { host: 'b.example' }],
  ['url_hostname_option_wins', 'http://a.example/', { hostname: 'b.example' }],
  ['url_auth_option_wins', 'http://u:p@example.com/', { auth: 'x:y' }],
  ['url_port_option_wins', 'http://example.com:8080/', { port: 9090 }],
  ['url_protocol_option', 'https://example.com/', { protocol: 'http:' }],
  ['url_user_authorization', 'http://u:p@example.com/', { headers: [['Authorization', 'Bearer t']] }],
  ['opt_defaults', null, {}],
  ['opt_host_port', null, { host: 'example.com', port: 8080, path: '/p' }],
  ['opt_hostname_over_host', null, { host: 'a.example', hostname: 'b.example' }],
  ['opt_empty_hostname', null, { host: 'a.example', hostname: '' }],
  ['opt_ipv6_host', null, { host: '::1', port: 8080 }],
  ['opt_ipv6_bracketed', null, { host: '[::1]', port: 8080 }],
  ['opt_default_port', null, { host: 'example.com', port: 8080, defaultPort: 8080 }],
  ['opt_default_port_only', null, { host: 'example.com', defaultPort: 8080 }],
  ['opt_default_port_other', null, { host: 'example.com', port: 80, defaultPort: 8080 }],
  ['opt_port_0', null, { host: 'example.com', port: 0 }],
  ['opt_method_lower', null, { method: 'patch' }],
  ['opt_method_mixed', null, { method: 'GeT' }],
  ['opt_method_custom', null, { method: 'x-thing' }],
  ['opt_method_empty', null, { method: '' }],
  ['opt_method_bad', null, { method: 'GE T' }],
  ['opt_method_unicode', null, { method: 'G\u00c9T' }],
  ['opt_path_space', null, { path: '/a b' }],
  ['opt_path_tab', null, { path: '/a\tb' }],
  ['opt_path_latin1', null, { path: '/\u00e4' }],
  ['opt_path_beyond_latin1', null, { path: '/\u0100' }],
  ['opt_path_empty', null, { path: '' }],
  ['opt_path_not_slash', null, { path: 'x?y' }],
  ['opt_path_before_protocol', null, { protocol: 'https:', path: '/a b' }],
  ['opt_protocol_empty', null, { protocol: '' }],
  ['opt_protocol_no_colon', null, { protocol: 'http' }],
  ['opt_protocol_upper', null, { protocol: 'HTTP:' }],
  ['opt_set_host_false', null, { host: 'example.com', setHost: false }],
  ['opt_set_host_true', null, { host: 'example.com', port: 81, setHost: true }],
  ['opt_user_host', null, { host: 'example.com', headers: [['X-A', '1'], ['HOST', 'other:1'], ['X-B', '2']] }],
  ['opt_user_host_empty', null, { host: 'example.com', port: 81, headers: [['X-A', '1'], ['host', ''], ['X-B', '2']] }],
  ['opt_user_host_zero', null, { host: 'example.com', headers: [['Host', 0]] }],
  ['opt_auth', null, { auth: 'user:p\u00e4ss' }],
  ['opt_auth_empty', null, { auth: '' }],
  ['opt_family_6_name', null, { host: 'example.com', family: 6 }],
  ['opt_family_5_name', null, { host: 'example.com', family: 5 }, { globalAgent: true }],
  ['opt_family_5_ip', null, { host: '127.0.0.1', family: 5 }, { globalAgent: true }],
  ['opt_family_0_name', null, { host: 'example.com', family: 0 }],
  ['opt_local_address_bad', null, { host: '127.0.0.1', localAddress: 'nope' }, { globalAgent: true }],
  ['opt_local_address_ok', null, { host: '127.0.0.1', localAddress: '127.0.0.1' }, { globalAgent: true }],
  ['opt_timeout', null, { timeout: 1500 }],
];

function capture(server) {
  return new Promise((resolve) => {
    server.once('connection', (socket) => {
      let head = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end !== -1) {
          socket.end('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n');
          resolve(head.subarray(0, end).toString('latin1').split('\r\n'));
        }
      });
    });
  });
}

class CapturingAgent extends http.Agent {
  constructor(port) {
    super();
    this.serverPort = port;
    this.connectOptions = null;
  }

  createConnection(options) {
    const { host, port, family, localAddress } = options;
    this.connectOptions = { host, port, family, localAddress };
    return net.createConnection({ host: '127.0.0.1', port: this.serverPort });
  }
}

async function runCase(server, port, [name, url, rawOptions, flags = {}]) {
  const options = { ...rawOptions };
  if (options.headers) options.headers = Object.fromEntries(options.headers);
  const agent = new CapturingAgent(port);
  if (flags.globalAgent) {
    if (options.host === '127.0.0.1') options.port = port;
  } else {
    options.agent = agent;
  }
  const head = capture(server);
  let req;
  try {
    req = url === null ? http.request(options) : http.request(url, options);
  } catch (err) {
    server.removeAllListeners('connection');
    return { name, url, options: rawOptions, error: { code: err.code || err.name, message: err.message } };
  }
  const done = new Promise((resolve, reject) => {
    req.on('response', (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject);
  });
  req.end();
  let lines = await head;
  await done;
  if (flags.globalAgent) {
    lines = lines.map((line) => line.replace(`:${port}`, `:${RECORDED_PORT}`));
    rawOptions = { ...rawOptions, port: RECORDED_PORT };
  }
  const ok = {
    protocol: req.protocol,
    host: req.host,
    method: req.method,
    path: req.path,
    connect: flags.globalAgent ? null : agent.connectOptions,
    head: lines,
  };
  return { name, url, options: rawOptions, ok };
}

async function main() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const timer = setTimeout(() => { console.error('timed out'); process.exit(1); }, 20000);
  const results = [];
  for (const c of CASES) results.push(await runCase(server, port, c));
  clearTimeout(timer);
  server.close();
  process.stdout.write('[\n' + results.map((r) => JSON.stringify(r)).join(',\n') + '\n]\n');
}

main().catch((err) => { console.error(err); process.exit(1); });
