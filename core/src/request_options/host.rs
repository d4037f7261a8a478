//! The WHATWG URL Standard's host parser (§3.5) for special schemes: IPv6
//! literals, IPv4 in all the forms `inet_aton` accepts (`0x7f.1`,
//! `4294967295`), and domains, which are lower-cased and IDNA-encoded.
//!
//! Domain-to-ASCII is an approximation of UTS #46 (what Node's URL parser
//! runs): labels are lower-cased with Unicode's default case mapping, the
//! ideographic full stops count as dots, and non-ASCII labels are
//! Punycode-encoded (RFC 3492). UTS #46's mapping table (NFKC folding,
//! disallowed code points) is not reproduced: exotic names may be accepted
//! where Node refuses them, or encoded differently.

/// The host as `url.hostname` serializes it (IPv6 keeps its brackets).
pub(super) fn parse_special(input: &str) -> Option<String> {
    if let Some(inner) = input.strip_prefix('[') {
        return Some(format!(
            "[{}]",
            serialize_ipv6(parse_ipv6(inner.strip_suffix(']')?)?)
        ));
    }
    let decoded = String::from_utf8(percent_decode(input)).ok()?;
    let ascii = domain_to_ascii(&decoded)?;
    if ascii.chars().any(is_forbidden_domain_code_point) {
        return None;
    }
    if ends_in_a_number(&ascii) {
        return parse_ipv4(&ascii).map(serialize_ipv4);
    }
    Some(ascii)
}

/// The host of a non-special URL ("opaque host"): IPv6 or percent-encoded text.
pub(super) fn parse_opaque(input: &str) -> Option<String> {
    if let Some(inner) = input.strip_prefix('[') {
        return Some(format!(
            "[{}]",
            serialize_ipv6(parse_ipv6(inner.strip_suffix(']')?)?)
        ));
    }
    if input.chars().any(is_forbidden_host_code_point) {
        return None;
    }
    Some(super::whatwg_url::percent_encode(
        input,
        super::whatwg_url::is_c0_control,
    ))
}

/// Percent-decode to bytes; a `%` not followed by two hex digits stays as is.
pub(super) fn percent_decode(input: &str) -> Vec<u8> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escaped = match (b, bytes.get(i + 1..i + 3)) {
            (b'%', Some(&[hi, lo])) => hex_value(hi).zip(hex_value(lo)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// "Forbidden host code point": what can never appear in any host.
fn is_forbidden_host_code_point(c: char) -> bool {
    matches!(
        c,
        '\0' | '\t'
            | '\n'
            | '\r'
            | ' '
            | '#'
            | '/'
            | ':'
            | '<'
            | '>'
            | '?'
            | '@'
            | '['
            | '\\'
            | ']'
            | '^'
            | '|'
    )
}

/// "Forbidden domain code point": the host code points plus C0 controls, `%`, DEL.
fn is_forbidden_domain_code_point(c: char) -> bool {
    is_forbidden_host_code_point(c) || c <= '\u{1f}' || c == '%' || c == '\u{7f}'
}

/// UTS #46 ToASCII as the URL Standard calls it (no STD3 rules, no DNS
/// length check), approximated as described in the module docs. `None` when
/// a label cannot be encoded or an `xn--` label is not valid Punycode.
fn domain_to_ascii(domain: &str) -> Option<String> {
    let mapped: String = domain
        .chars()
        .filter_map(uts46_map)
        .flat_map(char::to_lowercase)
        .collect();
    let mut labels = Vec::new();
    for label in mapped.split('.') {
        if label.is_ascii() {
            if let Some(encoded) = label.strip_prefix("xn--") {
                punycode_decode(encoded).filter(|d| is_valid_decoded_label(d))?;
            }
            labels.push(label.to_owned());
        } else if label.starts_with("xn--") {
            // An A-label prefix on a label that is not ASCII can never be valid.
            return None;
        } else {
            labels.push(format!("xn--{}", punycode_encode(label)?));
        }
    }
    let ascii = labels.join(".");
    (!ascii.is_empty()).then_some(ascii)
}

/// What UTS #46 asks of a decoded `xn--` label, as far as we check it: not
/// empty, no control or invisible format characters (which its mapping
/// removes or disallows), and already in mapped (lower-case) form.
fn is_valid_decoded_label(label: &str) -> bool {
    let invisible = |c: char| {
        matches!(
            c,
            '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}' | '\u{feff}'
        )
    };
    !label.is_empty()
        && !label.chars().any(|c| c.is_control() || invisible(c))
        && label.to_lowercase() == label
}

/// The parts of UTS #46's mapping that matter most for hosts: invisible
/// characters are dropped, the ideographic full stops become dots, and
/// full-width ASCII (and the ideographic space) folds to ASCII as NFKC does,
/// so that a full-width `％` or `／` is refused like the ASCII one.
fn uts46_map(c: char) -> Option<char> {
    match c {
        '\u{ad}' | '\u{200b}' | '\u{2060}' | '\u{feff}' => None,
        '\u{3002}' | '\u{ff0e}' | '\u{ff61}' => Some('.'),
        '\u{3000}' => Some(' '),
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(u32::from(c) - 0xfee0),
        _ => Some(c),
    }
}

/// "Ends in a number": the last label (ignoring one trailing dot) is all
/// digits or parses as an IPv4 number (`0x...`), so the host must be IPv4.
fn ends_in_a_number(host: &str) -> bool {
    let mut parts: Vec<&str> = host.split('.').collect();
    if parts.last() == Some(&"") {
        if parts.len() == 1 {
            return false;
        }
        parts.pop();
    }
    match parts.last() {
        Some(last) if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) => true,
        Some(last) => parse_ipv4_number(last).is_some(),
        None => false,
    }
}

/// The IPv4 parser: one to four dot-separated numbers, the last filling the
/// remaining bytes (`1.2.3` is `1.2.0.3`).
fn parse_ipv4(host: &str) -> Option<u32> {
    let mut parts: Vec<&str> = host.split('.').collect();
    if parts.last() == Some(&"") && parts.len() > 1 {
        parts.pop();
    }
    if parts.len() > 4 {
        return None;
    }
    let numbers = parts
        .iter()
        .map(|p| parse_ipv4_number(p))
        .collect::<Option<Vec<u64>>>()?;
    let (last, init) = numbers.split_last()?;
    if init.iter().any(|&n| n > 255) {
        return None;
    }
    let free_bytes = u32::try_from(5 - numbers.len()).ok()?;
    if *last >= 256u64.pow(free_bytes) {
        return None;
    }
    let leading = init
        .iter()
        .zip((1..=3u32).rev())
        .map(|(&n, shift)| n << (8 * shift))
        .sum::<u64>();
    u32::try_from(leading + last).ok()
}

/// One IPv4 number: decimal, `0x` hex (empty means 0) or `0`-prefixed octal.
fn parse_ipv4_number(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(hex) = text.strip_prefix("0x").or(text.strip_prefix("0X")) {
        (hex, 16)
    } else if text.len() > 1 && text.starts_with('0') {
        (&text[1..], 8)
    } else {
        (text, 10)
    };
    if digits.is_empty() {
        return Some(0);
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // The digits are valid, so an error can only be overflow: too big for
    // any IPv4 address, which the caller refuses.
    Some(u64::from_str_radix(digits, radix).unwrap_or(u64::MAX))
}

fn serialize_ipv4(address: u32) -> String {
    std::net::Ipv4Addr::from(address).to_string()
}

/// The URL Standard's IPv6 parser, including `::` compression and a trailing
/// dotted IPv4 part (which, unlike the IPv4 parser, takes decimal only).
fn parse_ipv6(input: &str) -> Option<[u16; 8]> {
    let chars: Vec<char> = input.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut address = [0u16; 8];
    let mut piece_index = 0usize;
    let mut compress: Option<usize> = None;
    let mut pointer = 0usize;
    if at(0) == Some(':') {
        if at(1) != Some(':') {
            return None;
        }
        pointer = 2;
        piece_index = 1;
        compress = Some(1);
    }
    while at(pointer).is_some() {
        if piece_index == 8 {
            return None;
        }
        if at(pointer) == Some(':') {
            if compress.is_some() {
                return None;
            }
            pointer += 1;
            piece_index += 1;
            compress = Some(piece_index);
            continue;
        }
        let mut value: u16 = 0;
        let mut length = 0;
        while length < 4 {
            let Some(digit) = at(pointer).and_then(|c| c.to_digit(16)) else {
                break;
            };
            value = value * 0x10 + u16::try_from(digit).ok()?;
            pointer += 1;
            length += 1;
        }
        if at(pointer) == Some('.') {
            if length == 0 || piece_index > 6 {
                return None;
            }
            pointer -= length;
            let (high, low) = parse_ipv6_ipv4_part(&chars[pointer..])?;
            address[piece_index] = high;
            address[piece_index + 1] = low;
            piece_index += 2;
            break;
        }
        match at(pointer) {
            Some(':') => {
                pointer += 1;
                at(pointer)?;
            }
            Some(_) => return None,
            None => {}
        }
        address[piece_index] = value;
        piece_index += 1;
    }
    match compress {
        Some(start) => {
            let moved = piece_index - start;
            address.copy_within(start..piece_index, 8 - moved);
            address[start..8 - moved].fill(0);
        }
        None if piece_index != 8 => return None,
        None => {}
    }
    Some(address)
}

/// The dotted-decimal tail of an IPv6 literal (`::ffff:1.2.3.4`) as two pieces.
fn parse_ipv6_ipv4_part(chars: &[char]) -> Option<(u16, u16)> {
    let text: String = chars.iter().collect();
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut bytes = [0u8; 4];
    for (byte, part) in bytes.iter_mut().zip(&parts) {
        let decimal = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !decimal || (part.len() > 1 && part.starts_with('0')) {
            return None;
        }
        *byte = part.parse().ok()?;
    }
    Some((
        u16::from_be_bytes([bytes[0], bytes[1]]),
        u16::from_be_bytes([bytes[2], bytes[3]]),
    ))
}

/// Lower-case hex pieces, the first longest run of two or more zero pieces
/// written as `::`.
fn serialize_ipv6(address: [u16; 8]) -> String {
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < 8 {
        let run = address[i..].iter().take_while(|&&p| p == 0).count();
        if run > 1 && best.is_none_or(|(_, len)| run > len) {
            best = Some((i, run));
        }
        i += run.max(1);
    }
    let mut out = String::new();
    let mut i = 0;
    while i < 8 {
        if let Some((start, len)) = best.filter(|&(start, _)| start == i) {
            out.push_str(if start == 0 { "::" } else { ":" });
            i += len;
            continue;
        }
        out.push_str(&format!("{:x}", address[i]));
        if i < 7 {
            out.push(':');
        }
        i += 1;
    }
    out
}

// Punycode (RFC 3492 §5) parameters.
const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

fn adapt(delta: u32, num_points: u32, first_time: bool) -> u32 {
    let mut delta = if first_time { delta / DAMP } else { delta / 2 };
    delta += delta / num_points;
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
}

fn threshold(k: u32, bias: u32) -> u32 {
    k.saturating_sub(bias).clamp(T_MIN, T_MAX)
}

fn encode_digit(d: u32) -> char {
    // 0..=25 → 'a'..='z', 26..=35 → '0'..='9'.
    char::from_digit(if d < 26 { d + 10 } else { d - 26 }, 36).unwrap_or('a')
}

fn decode_digit(c: char) -> Option<u32> {
    match c {
        'a'..='z' | 'A'..='Z' => c.to_digit(36).map(|d| d - 10),
        '0'..='9' => c.to_digit(10).map(|d| d + 26),
        _ => None,
    }
}

/// RFC 3492 encoding of one label (without the `xn--` prefix); `None` on overflow.
fn punycode_encode(label: &str) -> Option<String> {
    let input: Vec<u32> = label.chars().map(u32::from).collect();
    let mut output: String = label.chars().filter(char::is_ascii).collect();
    let basic = u32::try_from(output.len()).ok()?;
    if basic > 0 {
        output.push('-');
    }
    let (mut n, mut delta, mut bias, mut handled) = (INITIAL_N, 0u32, INITIAL_BIAS, basic);
    let total = u32::try_from(input.len()).ok()?;
    while handled < total {
        let m = input.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &input {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = threshold(k, bias);
                    if q < t {
                        break;
                    }
                    output.push(encode_digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                output.push(encode_digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(output)
}

/// RFC 3492 decoding, used to refuse `xn--` labels that are not Punycode.
fn punycode_decode(encoded: &str) -> Option<String> {
    let (basic, extended) = match encoded.rfind('-') {
        Some(i) => (&encoded[..i], &encoded[i + 1..]),
        None => ("", encoded),
    };
    if !basic.is_ascii() {
        return None;
    }
    let mut output: Vec<char> = basic.chars().collect();
    let (mut n, mut i, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    let mut digits = extended.chars().peekable();
    while digits.peek().is_some() {
        let old_i = i;
        let mut w = 1u32;
        let mut k = BASE;
        loop {
            let digit = decode_digit(digits.next()?)?;
            i = i.checked_add(digit.checked_mul(w)?)?;
            let t = threshold(k, bias);
            if digit < t {
                break;
            }
            w = w.checked_mul(BASE - t)?;
            k += BASE;
        }
        let len = u32::try_from(output.len()).ok()? + 1;
        bias = adapt(i - old_i, len, old_i == 0);
        n = n.checked_add(i / len)?;
        i %= len;
        output.insert(usize::try_from(i).ok()?, char::from_u32(n)?);
        i += 1;
    }
    Some(output.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_forms() {
        assert_eq!(parse_special("0x7f.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(parse_special("1.2.3").as_deref(), Some("1.2.0.3"));
        assert_eq!(
            parse_special("4294967295").as_deref(),
            Some("255.255.255.255")
        );
        assert_eq!(parse_special("0x100000000"), None);
        assert_eq!(parse_special("1.2.3.256"), None);
        assert_eq!(parse_special("foo.0x"), None);
        assert_eq!(parse_special("foo.09"), None);
    }

    #[test]
    fn ipv6_forms() {
        assert_eq!(parse_special("[::1]").as_deref(), Some("[::1]"));
        assert_eq!(
            parse_special("[1:0:0:2::3:0]").as_deref(),
            Some("[1::2:0:0:3:0]")
        );
        assert_eq!(
            parse_special("[::ffff:1.2.3.4]").as_deref(),
            Some("[::ffff:102:304]")
        );
        assert_eq!(parse_special("[::1"), None);
        assert_eq!(parse_special("[1:2:3:4:5:6:7:8:9]"), None);
        assert_eq!(parse_special("[::01.2.3.4]"), None);
    }

    #[test]
    fn domains() {
        assert_eq!(
            parse_special("EXAMPLE.com.").as_deref(),
            Some("example.com.")
        );
        assert_eq!(parse_special("%41.com").as_deref(), Some("a.com"));
        assert_eq!(parse_special("\u{c4}.com").as_deref(), Some("xn--4ca.com"));
        assert_eq!(parse_special("\u{1f4a9}").as_deref(), Some("xn--ls8h"));
        assert_eq!(parse_special("xn--ls8h").as_deref(), Some("xn--ls8h"));
        assert_eq!(parse_special("xn--a"), None);
        assert_eq!(parse_special("xn--1ug"), None);
        assert_eq!(parse_special("xn--"), None);
        assert_eq!(parse_special("xn--b\u{fc}cher"), None);
        assert_eq!(parse_special("xn--xn--").as_deref(), Some("xn--xn--"));
        assert_eq!(parse_special("xn--A-ECA").as_deref(), Some("xn--a-eca"));
        assert_eq!(parse_special("a%20b"), None);
        assert_eq!(parse_special("%ff"), None);
        assert_eq!(parse_special("a\u{ff05}"), None);
        assert_eq!(parse_special("255\u{ad}").as_deref(), Some("0.0.0.255"));
        assert_eq!(parse_special("a\u{3002}b").as_deref(), Some("a.b"));
    }

    #[test]
    fn punycode_round_trip() {
        for label in ["bücher", "münchen-ost", "日本語", "\u{1f4a9}"] {
            let encoded = punycode_encode(label).unwrap_or_default();
            assert_eq!(
                punycode_decode(&encoded).as_deref(),
                Some(label),
                "{encoded}"
            );
        }
        assert_eq!(punycode_encode("bücher").as_deref(), Some("bcher-kva"));
    }
}
