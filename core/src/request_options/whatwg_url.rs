//! `new URL(input)` without a base, as the WHATWG URL Standard (§4.4, the
//! "basic URL parser") defines it and Node v20's URL parser implements it,
//! reduced to the parts `urlToHttpOptions` reads: scheme, username, password,
//! host, port, pathname and search. The fragment is dropped.
//!
//! The state machine is written as the equivalent split into components
//! (scheme, authority, path, query), which is exact when there is no base.
//! `file:` URLs parse loosely (no drive-letter quirks): http.request refuses
//! their protocol whatever their shape.

use super::host;

/// A parsed URL; the fields hold what the URL getters of the same name return
/// (`pathname` and `search` already percent-encoded).
#[derive(Debug, Default, PartialEq)]
pub(super) struct Url {
    /// `url.protocol`, lower case with its colon (`"http:"`).
    pub protocol: String,
    pub username: String,
    pub password: String,
    /// `url.hostname`: IPv6 keeps its brackets; empty when the URL has no host.
    pub hostname: String,
    /// `None` when absent, empty or the scheme's default (`url.port === ''`).
    pub port: Option<u16>,
    pub pathname: String,
    /// `"?" + query`, or empty when the query is absent or empty.
    pub search: String,
}

/// The special schemes and their default ports (`file:` has none).
fn special_default_port(scheme: &str) -> Option<Option<u16>> {
    match scheme {
        "http" | "ws" => Some(Some(80)),
        "https" | "wss" => Some(Some(443)),
        "ftp" => Some(Some(21)),
        "file" => Some(None),
        _ => None,
    }
}

/// Parse `input`; `None` is the parser's "failure" (Node's `ERR_INVALID_URL`).
pub(super) fn parse(input: &str) -> Option<Url> {
    // Leading and trailing C0 controls and spaces go, then every tab and newline.
    let trimmed = input.trim_matches(|c: char| c <= ' ');
    let cleaned: String = trimmed
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let colon = cleaned.find(':')?;
    let scheme = &cleaned[..colon];
    let mut scheme_chars = scheme.chars();
    let valid_scheme = scheme_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !valid_scheme {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    let rest = &cleaned[colon + 1..];
    let mut url = Url {
        protocol: format!("{scheme}:"),
        ..Url::default()
    };
    // The fragment plays no part in anything http.request uses.
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (rest, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    match special_default_port(&scheme) {
        Some(default_port) => {
            let is_slash = |c: char| c == '/' || c == '\\';
            let is_file = scheme == "file";
            let after_slashes = if is_file {
                // "file slash state": exactly two slashes open the host.
                rest.strip_prefix(is_slash)
                    .and_then(|r| r.strip_prefix(is_slash))
            } else {
                // "special authority ignore slashes state": any number of / or \.
                Some(rest.trim_start_matches(is_slash))
            };
            if let Some(after_slashes) = after_slashes {
                let authority_end = after_slashes.find(is_slash).unwrap_or(after_slashes.len());
                let (authority, path) = after_slashes.split_at(authority_end);
                let kind = if is_file {
                    Scheme::File
                } else {
                    Scheme::Special
                };
                parse_authority(&mut url, authority, default_port, kind)?;
                if is_file && url.hostname == "localhost" {
                    url.hostname.clear();
                }
                url.pathname = parse_path(path, is_slash);
            } else {
                url.pathname = parse_path(rest, is_slash);
            }
            let query_set = |c: char| is_query_byte(c) || c == '\'';
            url.search = serialize_query(query, query_set);
        }
        None => {
            let is_slash = |c: char| c == '/';
            if let Some(after) = rest.strip_prefix("//") {
                let authority_end = after.find('/').unwrap_or(after.len());
                let (authority, path) = after.split_at(authority_end);
                parse_authority(&mut url, authority, None, Scheme::Other)?;
                if !path.is_empty() {
                    url.pathname = parse_path(path, is_slash);
                }
            } else if rest.starts_with('/') {
                url.pathname = parse_path(rest, is_slash);
            } else {
                // An opaque path ("cannot-be-a-base-URL"): only controls are escaped.
                url.pathname = percent_encode(rest, is_c0_control);
            }
            url.search = serialize_query(query, is_query_byte);
        }
    }
    Some(url)
}

/// How a scheme's authority is parsed.
#[derive(Clone, Copy, PartialEq)]
enum Scheme {
    /// http, https, ws, wss, ftp: a domain or IP host, never empty.
    Special,
    /// file: a domain or IP host, possibly empty.
    File,
    /// Any other: an opaque host.
    Other,
}

/// `userinfo@host:port`. For a special scheme the host must not be empty.
fn parse_authority(
    url: &mut Url,
    authority: &str,
    default_port: Option<u16>,
    scheme: Scheme,
) -> Option<()> {
    let special = scheme == Scheme::Special;
    let is_file = scheme == Scheme::File;
    // The "file host state" has no user info and no port: `@` and `:` are
    // forbidden host code points there.
    if is_file && authority.contains('@') {
        return None;
    }
    let host_port = match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let (username, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            url.username = percent_encode(username, is_userinfo_byte);
            url.password = percent_encode(password, is_userinfo_byte);
            let host_port = &authority[at + 1..];
            if host_port.is_empty() {
                return None;
            }
            host_port
        }
        None => authority,
    };
    // The port starts at the first ':' outside an IPv6 literal's brackets.
    let mut in_brackets = false;
    let port_colon = host_port.char_indices().find_map(|(i, c)| {
        match c {
            '[' => in_brackets = true,
            ']' => in_brackets = false,
            ':' if !in_brackets => return Some(i),
            _ => {}
        }
        None
    });
    let (host_text, port_text) = match port_colon {
        Some(i) => (&host_port[..i], Some(&host_port[i + 1..])),
        None => (host_port, None),
    };
    if is_file && port_text.is_some() {
        return None;
    }
    if host_text.is_empty() {
        if special || port_text.is_some() || !url.username.is_empty() {
            return None;
        }
        return Some(());
    }
    url.hostname = if special || is_file {
        host::parse_special(host_text)?
    } else {
        host::parse_opaque(host_text)?
    };
    if let Some(port_text) = port_text.filter(|p| !p.is_empty()) {
        if !port_text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits = port_text.trim_start_matches('0');
        let port = if digits.is_empty() {
            0
        } else if digits.len() > 5 {
            return None;
        } else {
            digits.parse::<u16>().ok()?
        };
        url.port = Some(port).filter(|&p| Some(p) != default_port);
    }
    Some(())
}

/// The path state: segments split at `is_slash`, `.` and `..` (also as
/// `%2e`) resolved, each segment percent-encoded with the path set.
fn parse_path(path: &str, is_slash: impl Fn(char) -> bool + Copy) -> String {
    let path = path.strip_prefix(is_slash).unwrap_or(path);
    let segments: Vec<&str> = path.split(is_slash).collect();
    let mut out: Vec<String> = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        let is_last = i + 1 == segments.len();
        let lower = segment.to_ascii_lowercase();
        if matches!(lower.as_str(), ".." | ".%2e" | "%2e." | "%2e%2e") {
            out.pop();
            if is_last {
                out.push(String::new());
            }
        } else if matches!(lower.as_str(), "." | "%2e") {
            if is_last {
                out.push(String::new());
            }
        } else {
            out.push(percent_encode(segment, is_path_byte));
        }
    }
    format!("/{}", out.join("/"))
}

fn serialize_query(query: Option<&str>, set: impl Fn(char) -> bool) -> String {
    match query {
        Some(q) if !q.is_empty() => format!("?{}", percent_encode(q, set)),
        _ => String::new(),
    }
}

/// UTF-8 percent-encode every character in `set` (upper-case hex).
pub(super) fn percent_encode(input: &str, set: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        if set(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The C0 control percent-encode set: C0 controls and everything above `~`.
pub(super) fn is_c0_control(c: char) -> bool {
    c <= '\u{1f}' || c > '~'
}

/// The query percent-encode set (special schemes add `'`).
fn is_query_byte(c: char) -> bool {
    is_c0_control(c) || matches!(c, ' ' | '"' | '#' | '<' | '>')
}

/// The path percent-encode set. Node v20's parser leaves `^` as is.
fn is_path_byte(c: char) -> bool {
    is_query_byte(c) || matches!(c, '?' | '`' | '{' | '}')
}

/// The userinfo percent-encode set.
fn is_userinfo_byte(c: char) -> bool {
    is_path_byte(c)
        || matches!(
            c,
            '/' | ':' | ';' | '=' | '@' | '[' | '\\' | ']' | '^' | '|'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(input: &str) -> Option<(String, String, Option<u16>, String)> {
        parse(input).map(|u| (u.protocol, u.hostname, u.port, u.pathname + &u.search))
    }

    #[test]
    fn special_urls() {
        let p = |s: &str| parts(s).map(|(_, h, port, path)| (h, port, path));
        assert_eq!(
            p("http://[::1]:8080/x?y"),
            Some(("[::1]".into(), Some(8080), "/x?y".into()))
        );
        assert_eq!(p("http://x:80/"), Some(("x".into(), None, "/".into())));
        assert_eq!(p("http://x:/"), Some(("x".into(), None, "/".into())));
        assert_eq!(p("http://x?#"), Some(("x".into(), None, "/".into())));
        assert_eq!(p("http:x/y"), Some(("x".into(), None, "/y".into())));
        assert_eq!(p("http:\\\\x\\y"), Some(("x".into(), None, "/y".into())));
        assert_eq!(
            p("http://EXAMPLE.com./a/../b/./c/%2e%2E/d"),
            Some(("example.com.".into(), None, "/b/d".into()))
        );
        assert_eq!(p("http://x/a/.."), Some(("x".into(), None, "/".into())));
        assert_eq!(
            p("http://x/a\tb\nc"),
            Some(("x".into(), None, "/abc".into()))
        );
        assert_eq!(p("http://x:0/"), Some(("x".into(), Some(0), "/".into())));
        assert_eq!(
            p("http://x/\u{e4} \"<>`{}^|?\u{e4} '`"),
            Some((
                "x".into(),
                None,
                "/%C3%A4%20%22%3C%3E%60%7B%7D^|?%C3%A4%20%27`".into()
            ))
        );
    }

    #[test]
    fn userinfo() {
        let u = parse("http://a@b:p:q@h/").unwrap_or_default();
        assert_eq!(
            (u.username.as_str(), u.password.as_str()),
            ("a%40b", "p%3Aq")
        );
        assert_eq!(u.hostname, "h");
    }

    #[test]
    fn failures() {
        for input in [
            "nope",
            "http://",
            "http://u@/",
            "http://:80/",
            "http://x:65536/",
            "http://x:8a/",
            "http://[::1/",
            "http://a b/",
            "1http://x/",
        ] {
            assert_eq!(parse(input), None, "{input}");
        }
    }

    #[test]
    fn other_schemes() {
        assert_eq!(parts("foo:a b").map(|p| p.3), Some("a b".into()));
        assert_eq!(
            parts("FTP://h:21/p").map(|p| (p.0, p.2)),
            Some(("ftp:".into(), None))
        );
        assert_eq!(
            parts("file:///a b").map(|p| (p.1, p.3)),
            Some(("".into(), "/a%20b".into()))
        );
    }
}
