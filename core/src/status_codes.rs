//! Node's `http.STATUS_CODES`: the reason phrase `writeHead` puts on the status line.
//!
//! The table is Node v20's, dumped with `node -p 'http.STATUS_CODES'` (v20 spells
//! 418 "I'm a Teapot" and keeps 509, which is not in the IANA registry). A code
//! missing here gets the reason `unknown` on the wire, as Node writes it.

/// Every `(code, reason)` pair of Node's `http.STATUS_CODES`, in ascending code order.
pub const STATUS_CODES: &[(u16, &str)] = &[
    (100, "Continue"),
    (101, "Switching Protocols"),
    (102, "Processing"),
    (103, "Early Hints"),
    (200, "OK"),
    (201, "Created"),
    (202, "Accepted"),
    (203, "Non-Authoritative Information"),
    (204, "No Content"),
    (205, "Reset Content"),
    (206, "Partial Content"),
    (207, "Multi-Status"),
    (208, "Already Reported"),
    (226, "IM Used"),
    (300, "Multiple Choices"),
    (301, "Moved Permanently"),
    (302, "Found"),
    (303, "See Other"),
    (304, "Not Modified"),
    (305, "Use Proxy"),
    (307, "Temporary Redirect"),
    (308, "Permanent Redirect"),
    (400, "Bad Request"),
    (401, "Unauthorized"),
    (402, "Payment Required"),
    (403, "Forbidden"),
    (404, "Not Found"),
    (405, "Method Not Allowed"),
    (406, "Not Acceptable"),
    (407, "Proxy Authentication Required"),
    (408, "Request Timeout"),
    (409, "Conflict"),
    (410, "Gone"),
    (411, "Length Required"),
    (412, "Precondition Failed"),
    (413, "Payload Too Large"),
    (414, "URI Too Long"),
    (415, "Unsupported Media Type"),
    (416, "Range Not Satisfiable"),
    (417, "Expectation Failed"),
    (418, "I'm a Teapot"),
    (421, "Misdirected Request"),
    (422, "Unprocessable Entity"),
    (423, "Locked"),
    (424, "Failed Dependency"),
    (425, "Too Early"),
    (426, "Upgrade Required"),
    (428, "Precondition Required"),
    (429, "Too Many Requests"),
    (431, "Request Header Fields Too Large"),
    (451, "Unavailable For Legal Reasons"),
    (500, "Internal Server Error"),
    (501, "Not Implemented"),
    (502, "Bad Gateway"),
    (503, "Service Unavailable"),
    (504, "Gateway Timeout"),
    (505, "HTTP Version Not Supported"),
    (506, "Variant Also Negotiates"),
    (507, "Insufficient Storage"),
    (508, "Loop Detected"),
    (509, "Bandwidth Limit Exceeded"),
    (510, "Not Extended"),
    (511, "Network Authentication Required"),
];

/// The reason phrase Node knows for `code`, if any.
pub fn status_text(code: u16) -> Option<&'static str> {
    STATUS_CODES
        .binary_search_by_key(&code, |&(c, _)| c)
        .ok()
        .and_then(|i| STATUS_CODES.get(i))
        .map(|&(_, reason)| reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(STATUS_CODES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(STATUS_CODES.len(), 63);
    }

    #[test]
    fn known_and_unknown_codes() {
        assert_eq!(status_text(200), Some("OK"));
        assert_eq!(status_text(418), Some("I'm a Teapot"));
        assert_eq!(status_text(509), Some("Bandwidth Limit Exceeded"));
        assert_eq!(status_text(306), None);
        assert_eq!(status_text(999), None);
    }
}
