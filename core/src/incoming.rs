//! `IncomingMessage`'s header views, as Node's `lib/_http_incoming.js` builds them.
//!
//! The parser hands over header lines in wire order ([`IncomingHeaders::raw`],
//! Node's `rawHeaders`); [`IncomingHeaders::merged`] is Node's `message.headers`
//! (and `message.trailers`): lower-case names in order of first occurrence, with
//! `_addHeaderLine`'s duplicate rules applied.

use std::ops::Range;

use crate::common;

/// One value of `message.headers`.
#[derive(Clone, Debug, PartialEq)]
pub enum IncomingValue {
    Single(String),
    /// Only `set-cookie`: Node always gives an array, even for one line.
    List(Vec<String>),
}

/// What Node does when a name occurs again (`matchKnownFields`).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Duplicates {
    /// Headers whose duplicates Node discards: the first value is kept.
    KeepFirst,
    /// `set-cookie`: every value in an array.
    Array,
    /// `cookie`: values joined with `"; "`.
    JoinCookie,
    /// Everything else: values joined with `", "`.
    JoinComma,
}

impl Duplicates {
    fn of(lower_name: &str) -> Self {
        match lower_name {
            "age"
            | "authorization"
            | "content-length"
            | "content-type"
            | "etag"
            | "expires"
            | "from"
            | "host"
            | "if-modified-since"
            | "if-unmodified-since"
            | "last-modified"
            | "location"
            | "max-forwards"
            | "proxy-authorization"
            | "referer"
            | "retry-after"
            | "server"
            | "user-agent" => Duplicates::KeepFirst,
            "set-cookie" => Duplicates::Array,
            "cookie" => Duplicates::JoinCookie,
            _ => Duplicates::JoinComma,
        }
    }

    /// The value of a first occurrence.
    fn first(self, value: &str) -> IncomingValue {
        match self {
            Duplicates::Array => IncomingValue::List(vec![value.to_owned()]),
            _ => IncomingValue::Single(value.to_owned()),
        }
    }

    /// Fold a later occurrence into the value so far.
    fn add(self, into: &mut IncomingValue, value: &str) {
        match (self, into) {
            (Duplicates::KeepFirst, _) => {}
            (_, IncomingValue::List(values)) => values.push(value.to_owned()),
            (Duplicates::JoinCookie, IncomingValue::Single(joined)) => {
                joined.push_str("; ");
                joined.push_str(value);
            }
            (_, IncomingValue::Single(joined)) => {
                joined.push_str(", ");
                joined.push_str(value);
            }
        }
    }
}

/// One header line: where its name and its value lie in [`IncomingHeaders`]'s
/// text.
#[derive(Clone, Debug, PartialEq)]
struct Line {
    name: Range<usize>,
    value: Range<usize>,
}

/// Header (or trailer) lines of one incoming message.
///
/// Every name and value is kept back to back in one string, with the lines
/// as ranges of it: a parsed head costs two allocations however many lines
/// it has, and the per-line strings are only made if the application asks
/// for them ([`Self::merged`], [`Self::raw_flat`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IncomingHeaders {
    text: String,
    lines: Vec<Line>,
    /// How many leading lines `merged` uses; `None` = all. Node's `maxHeadersCount`
    /// trims `message.headers` to exactly that; `rawHeaders` is cut more loosely
    /// (see [`raw_lines_kept`]).
    merged_lines: Option<usize>,
}

/// How many of `lines` header lines reach Node's `rawHeaders` under a limit of
/// `max_entries` names and values (0 = none). Node's parser hands lines to JS
/// in batches of 31 once a head has 32 or more (`kMaxHeaderFieldsCount`), and
/// `parserOnHeaders` appends a batch only while fewer than `max_entries`
/// entries are collected: with the default 2000, 1024 lines keep 1023.
fn raw_lines_kept(lines: usize, max_entries: usize) -> usize {
    const BATCH: usize = 31;
    if max_entries == 0 || lines <= BATCH {
        return lines;
    }
    let mut kept = 0;
    while kept < lines && kept * 2 < max_entries {
        kept += BATCH.min(lines - kept);
    }
    kept
}

impl IncomingHeaders {
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `lines` more lines with `text_len` more bytes of names and
    /// values in all, so that pushing them allocates no further.
    pub(crate) fn reserve(&mut self, (lines, text_len): (usize, usize)) {
        self.lines.reserve(lines);
        self.text.reserve(text_len);
    }

    /// Append a line in wire order; `value` is already trimmed of OWS.
    pub fn push(&mut self, name: &str, value: &str) {
        let start = self.text.len();
        self.text.push_str(name);
        let mid = self.text.len();
        self.text.push_str(value);
        self.lines.push(Line {
            name: start..mid,
            value: mid..self.text.len(),
        });
    }

    /// [`Self::push`] from the wire's bytes, decoded as latin1.
    pub(crate) fn push_latin1(&mut self, name: &[u8], value: &[u8]) {
        let start = self.text.len();
        common::push_latin1(&mut self.text, name);
        let mid = self.text.len();
        common::push_latin1(&mut self.text, value);
        self.lines.push(Line {
            name: start..mid,
            value: mid..self.text.len(),
        });
    }

    /// `message.rawHeaders` as (name, value) pairs in wire order, names in
    /// their wire case.
    pub fn raw(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.lines.iter().map(|line| self.line(line))
    }

    /// `message.rawHeaders` as Node's flat list `[name, value, name, value, ...]`.
    pub fn raw_flat(&self) -> Vec<String> {
        let mut flat = Vec::with_capacity(2 * self.lines.len());
        for (name, value) in self.raw() {
            flat.push(name.to_owned());
            flat.push(value.to_owned());
        }
        flat
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Apply Node's `maxHeaderPairs`: only the first `entries` items of the flat
    /// `[name, value, ...]` list reach `message.headers` (Node loops
    /// `for (i = 0; i < n; i += 2)`, so an odd count still takes the last name's
    /// line). 0 means no limit. `server.maxHeadersCount = M` is `entries = 2 * M`;
    /// when unset Node uses 2000 entries, i.e. 1000 lines.
    pub fn limit_merged(&mut self, entries: usize) {
        self.merged_lines = (entries > 0).then(|| entries.div_ceil(2));
        self.lines
            .truncate(raw_lines_kept(self.lines.len(), entries));
        let used = self.lines.last().map_or(0, |line| line.value.end);
        self.text.truncate(used);
    }

    /// Node's `message.headers`: lower-case names in order of first occurrence,
    /// duplicates folded by Node's rules.
    pub fn merged(&self) -> Vec<(String, IncomingValue)> {
        let mut out: Vec<(String, IncomingValue)> = Vec::with_capacity(self.lines.len());
        for (name, value) in self.counted() {
            // Names are compared ASCII-case-insensitively, as lower-casing
            // them with `to_ascii_lowercase` would, without a copy per line.
            match out
                .iter_mut()
                .find(|(seen, _)| seen.eq_ignore_ascii_case(name))
            {
                Some((seen, merged)) => Duplicates::of(seen).add(merged, value),
                None => {
                    let lower = name.to_ascii_lowercase();
                    let first = Duplicates::of(&lower).first(value);
                    out.push((lower, first));
                }
            }
        }
        out
    }

    /// `message.headers[lower_name]`, with the same rules as [`Self::merged`].
    pub fn get(&self, lower_name: &str) -> Option<IncomingValue> {
        let rule = Duplicates::of(lower_name);
        let mut found: Option<IncomingValue> = None;
        for (name, value) in self.counted() {
            if name.eq_ignore_ascii_case(lower_name) {
                match found.as_mut() {
                    Some(merged) => rule.add(merged, value),
                    None => found = Some(rule.first(value)),
                }
            }
        }
        found
    }

    /// The lines `message.headers` is built from.
    fn counted(&self) -> impl Iterator<Item = (&str, &str)> {
        let n = self.merged_lines.unwrap_or(self.lines.len());
        self.raw().take(n)
    }

    fn line(&self, line: &Line) -> (&str, &str) {
        let part = |range: &Range<usize>| self.text.get(range.clone()).unwrap_or_default();
        (part(&line.name), part(&line.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[(&str, &str)]) -> IncomingHeaders {
        let mut h = IncomingHeaders::new();
        for (n, v) in lines {
            h.push(n, v);
        }
        h
    }

    fn single(s: &str) -> IncomingValue {
        IncomingValue::Single(s.to_owned())
    }

    #[test]
    fn duplicate_rules_match_node() {
        // Observed with Node v20: `req.headers` for these raw lines.
        let h = headers(&[
            ("Host", "a"),
            ("X-A", "1"),
            ("host", "b"),
            ("Cookie", "c=1"),
            ("x-a", "2"),
            ("COOKIE", "d=2"),
            ("Set-Cookie", "s=1"),
            ("Content-Type", "t/1"),
            ("content-type", "t/2"),
            ("User-Agent", "u"),
        ]);
        assert_eq!(
            h.merged(),
            vec![
                ("host".into(), single("a")),
                ("x-a".into(), single("1, 2")),
                ("cookie".into(), single("c=1; d=2")),
                ("set-cookie".into(), IncomingValue::List(vec!["s=1".into()])),
                ("content-type".into(), single("t/1")),
                ("user-agent".into(), single("u")),
            ]
        );
        assert_eq!(h.get("x-a"), Some(single("1, 2")));
        assert_eq!(h.get("host"), Some(single("a")));
        assert_eq!(h.get("cookie"), Some(single("c=1; d=2")));
        assert_eq!(h.get("missing"), None);
        assert_eq!(h.raw_flat()[..4], ["Host", "a", "X-A", "1"]);
        assert_eq!(h.len(), 10);
    }

    #[test]
    fn set_cookie_is_always_a_list() {
        let h = headers(&[("Set-Cookie", "a"), ("set-cookie", "b")]);
        assert_eq!(
            h.get("set-cookie"),
            Some(IncomingValue::List(vec!["a".into(), "b".into()]))
        );
    }

    #[test]
    fn empty_values_are_joined_too() {
        let h = headers(&[("A", ""), ("a", ""), ("a", "x")]);
        assert_eq!(h.get("a"), Some(single(", , x")));
    }

    #[test]
    fn limit_trims_merged_but_not_raw() {
        // Node v20, server.maxHeadersCount = 3 (6 entries), 5 lines: 3 keys, all 5 raw.
        let mut h = headers(&[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4"), ("a", "5")]);
        h.limit_merged(6);
        assert_eq!(h.merged().len(), 3);
        assert_eq!(h.get("a"), Some(single("1")));
        assert_eq!(h.get("d"), None);
        assert_eq!(h.raw().len(), 5);
        assert_eq!(h.raw().last(), Some(("a", "5")));
        h.limit_merged(3);
        assert_eq!(h.merged().len(), 2);
        h.limit_merged(0);
        assert_eq!(h.merged().len(), 4);
    }
}
