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

/// Decode bytes as latin1: each byte becomes the code point of the same value,
/// as Node does for header names and values.
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
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
    fn latin1_maps_bytes_to_code_points() {
        assert_eq!(latin1(b"a\xe9\xff"), "a\u{e9}\u{ff}");
    }
}
