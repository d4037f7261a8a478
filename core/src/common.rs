//! Validation shared by both roles, as Node's `lib/_http_common.js` does it.

/// RFC 7230 `tchar`: `!#$%&'*+-.^_`|~`, digits and letters.
pub const fn is_token_byte(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.'
        | b'^' | b'_' | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// Node's `checkIsHttpToken`: a non-empty string of `tchar`s.
pub fn is_http_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_byte)
}

/// Node's `checkInvalidHeaderChar`: a value may hold HTAB, SP, visible ASCII
/// and obs-text (U+0080..=U+00FF); anything else (CR, LF, NUL, other controls,
/// code points above U+00FF) is refused.
pub fn is_invalid_header_value(s: &str) -> bool {
    s.chars()
        .any(|c| !(c == '\t' || (' '..='~').contains(&c) || ('\u{80}'..='\u{ff}').contains(&c)))
}

/// Node's `RE_CONN_CLOSE` / `chunkExpression` test, `/(?:^|\W)word(?:$|\W)/i`:
/// `word` (ASCII, lower case) occurs in `value` bounded by the ends of the
/// string or by characters outside `[A-Za-z0-9_]`.
pub fn has_word(value: &str, word: &str) -> bool {
    let hay = value.as_bytes();
    let needle = word.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    (0..hay.len())
        .filter(|&i| {
            hay.get(i..i + needle.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(needle))
        })
        .any(|i| {
            let before_ok = i == 0 || hay.get(i - 1).is_some_and(|&b| !is_word(b));
            let after_ok = hay.get(i + needle.len()).is_none_or(|&b| !is_word(b));
            before_ok && after_ok
        })
}

/// Decode bytes as latin1: each byte becomes the code point of the same value,
/// as Node does for header names and values.
pub fn latin1(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    push_latin1(&mut text, bytes);
    text
}

/// Append `bytes` decoded as latin1; ASCII (the common case) is copied as is.
pub fn push_latin1(text: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(ascii) if ascii.is_ascii() => text.push_str(ascii),
        _ => text.extend(bytes.iter().map(|&b| char::from(b))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert!(is_http_token("Content-Type"));
        assert!(is_http_token("x!#$%&'*+-.^_`|~9"));
        assert!(!is_http_token(""));
        assert!(!is_http_token("a b"));
        assert!(!is_http_token("a:b"));
        assert!(!is_http_token("é"));
    }

    #[test]
    fn header_values() {
        assert!(!is_invalid_header_value("text/html; q=1\tx"));
        assert!(!is_invalid_header_value("caf\u{e9}"));
        assert!(is_invalid_header_value("a\r\nb"));
        assert!(is_invalid_header_value("a\0"));
        assert!(is_invalid_header_value("\u{100}"));
    }

    #[test]
    fn has_word_is_node_regex() {
        assert!(has_word("close", "close"));
        assert!(has_word("Keep-Alive, CLOSE", "close"));
        assert!(has_word("x-close", "close"));
        assert!(!has_word("closed", "close"));
        assert!(!has_word("_close", "close"));
        assert!(has_word("gzip, chunked", "chunked"));
        assert!(!has_word("chunkedx", "chunked"));
        assert!(!has_word("", "close"));
    }

    #[test]
    fn latin1_maps_bytes_to_code_points() {
        assert_eq!(latin1(b"a\xe9\xff"), "a\u{e9}\u{ff}");
    }
}
