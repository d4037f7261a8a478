//! JSON text as JavaScript's `JSON.stringify` writes it (no whitespace), for
//! the applications that answer with JSON.

use std::fmt::Write;

use nodehttp_core::common::latin1;

use crate::{Header, HeaderValue};

/// An object literal as `JSON.stringify` writes it: members in the order
/// they are added (the order of the literal's keys), no whitespace.
pub struct Object(String);

impl Object {
    /// `{`, with room for `capacity` bytes in all.
    pub fn with_capacity(capacity: usize) -> Self {
        let mut out = String::with_capacity(capacity);
        out.push('{');
        Object(out)
    }

    /// `,` unless this is the first member, then `"key":`.
    fn key(&mut self, key: &str) -> &mut String {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        push_string(&mut self.0, key);
        self.0.push(':');
        &mut self.0
    }

    pub fn string(mut self, key: &str, value: &str) -> Self {
        push_string(self.key(key), value);
        self
    }

    /// Bytes as `Buffer#toString('latin1')` decodes them: each byte the
    /// code point of its value.
    pub fn latin1(mut self, key: &str, bytes: &[u8]) -> Self {
        push_string(self.key(key), &latin1(bytes));
        self
    }

    pub fn strings<S: AsRef<str>>(mut self, key: &str, items: &[S]) -> Self {
        push_string_array(self.key(key), items);
        self
    }

    /// A header list as `message.headers` (see [`push_headers`]).
    pub fn headers(mut self, key: &str, headers: &[Header]) -> Self {
        push_headers(self.key(key), headers);
        self
    }

    pub fn number(mut self, key: &str, value: f64) -> Self {
        push_number(self.key(key), value);
        self
    }

    pub fn bool(mut self, key: &str, value: bool) -> Self {
        self.key(key).push_str(if value { "true" } else { "false" });
        self
    }

    /// The text, with the closing `}`.
    pub fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// Appends `s` as a JSON string literal, escaped as `JSON.stringify` does
/// (ECMA-262 `QuoteJSONString`): `"` and `\` get a backslash; backspace, tab,
/// line feed, form feed and carriage return their short escapes; every other
/// code point below U+0020 `\u00xx` in lowercase hex; everything else,
/// U+007F and up included, is written as is.
fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends an array of strings.
fn push_string_array<S: AsRef<str>>(out: &mut String, items: &[S]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_string(out, item.as_ref());
    }
    out.push(']');
}

/// Appends a number as `JSON.stringify` does for the values headers hold
/// and status codes: integers without a fraction, non-finite numbers as
/// `null`.
fn push_number(out: &mut String, n: f64) {
    if n.is_finite() {
        let _ = write!(out, "{n}");
    } else {
        out.push_str("null");
    }
}

/// Appends a header list as the JavaScript object Node builds
/// (`message.headers`): names map to a string, or to an array of strings for
/// `set-cookie`.
///
/// Members come in JavaScript's property order, not list order: names that
/// are array indices (`"0"`, `"123"`, up to 2^32 - 2) first, ascending, then
/// the rest in insertion order (ECMA-262 `OrdinaryOwnPropertyKeys`). Digit-only
/// header names are valid tokens, so a client can send them.
fn push_headers(out: &mut String, headers: &[Header]) {
    let mut ordered: Vec<&Header> = headers.iter().collect();
    // A stable sort keeps insertion order among the non-index names.
    ordered.sort_by_key(|header| array_index(&header.name).map_or((1, 0), |index| (0, index)));
    out.push('{');
    for (i, header) in ordered.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_string(out, &header.name);
        out.push(':');
        match &header.value {
            HeaderValue::Text(text) => push_string(out, text),
            HeaderValue::List(list) => push_string_array(out, list),
            HeaderValue::Number(n) => push_number(out, *n),
        }
    }
    out.push('}');
}

/// The array index a property name denotes: its canonical decimal form (no
/// sign, no leading zero) of an integer below 2^32 - 1.
fn array_index(name: &str) -> Option<u32> {
    let canonical = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_digit())
        && (name == "0" || !name.starts_with('0'));
    if !canonical {
        return None;
    }
    name.parse::<u32>().ok().filter(|&index| index < u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(s: &str) -> String {
        let mut out = String::new();
        push_string(&mut out, s);
        out
    }

    fn header(name: &str, value: &str) -> Header {
        Header {
            name: name.into(),
            value: HeaderValue::Text(value.into()),
        }
    }

    #[test]
    fn escapes_as_json_stringify() {
        assert_eq!(string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(string("\u{8}\t\n\u{c}\r"), r#""\b\t\n\f\r""#);
        assert_eq!(
            string("\u{0}\u{1}\u{b}\u{1f}"),
            r#""\u0000\u0001\u000b\u001f""#
        );
        assert_eq!(
            string("\u{7f}\u{80}\u{e9}\u{ff}/ "),
            "\"\u{7f}\u{80}\u{e9}\u{ff}/ \""
        );
        assert_eq!(string("\u{2028}"), "\"\u{2028}\"");
    }

    #[test]
    fn arrays_and_numbers() {
        let mut out = String::new();
        push_string_array::<&str>(&mut out, &[]);
        push_string_array(&mut out, &["a", "b"]);
        push_number(&mut out, 42.0);
        push_number(&mut out, 0.5);
        push_number(&mut out, f64::NAN);
        assert_eq!(out, r#"[]["a","b"]420.5null"#);
    }

    /// `JSON.stringify({a: '\u00e9', b: [], c: 200, d: true})`, with the
    /// first value given as latin1 bytes.
    #[test]
    fn object_members_in_order() {
        let json = Object::with_capacity(0)
            .latin1("a", b"\xe9")
            .strings::<&str>("b", &[])
            .number("c", 200.0)
            .bool("d", true)
            .finish();
        assert_eq!(json, "{\"a\":\"\u{e9}\",\"b\":[],\"c\":200,\"d\":true}");
        assert_eq!(Object::with_capacity(0).finish(), "{}");
    }

    /// As Node v20 answers `zz`, `123`, `0`, `01`, `4294967295`, `4294967294`,
    /// `x`, `set-cookie`: `{"0":..,"123":..,"4294967294":..,"zz":..,"01":..,
    /// "4294967295":..,"x":..}`.
    #[test]
    fn headers_in_javascript_property_order() {
        let headers = vec![
            header("zz", "1"),
            header("123", "a"),
            header("0", "b"),
            header("01", "c"),
            header("4294967295", "d"),
            header("4294967294", "e"),
            header("x", "\u{e9}"),
            Header {
                name: "set-cookie".into(),
                value: HeaderValue::List(vec!["a=1".into()]),
            },
        ];
        let mut out = String::new();
        push_headers(&mut out, &headers);
        assert_eq!(
            out,
            "{\"0\":\"b\",\"123\":\"a\",\"4294967294\":\"e\",\"zz\":\"1\",\"01\":\"c\",\
             \"4294967295\":\"d\",\"x\":\"\u{e9}\",\"set-cookie\":[\"a=1\"]}"
        );
    }
}
