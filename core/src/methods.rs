//! Node's `http.METHODS`: the request methods Node's parser (llhttp) accepts.
//!
//! Node v20's list, in its (alphabetical) order, dumped with `node -p 'http.METHODS'`.

/// Every method name in Node's `http.METHODS`, in Node's order.
pub const METHODS: &[&str] = &[
    "ACL",
    "BIND",
    "CHECKOUT",
    "CONNECT",
    "COPY",
    "DELETE",
    "GET",
    "HEAD",
    "LINK",
    "LOCK",
    "M-SEARCH",
    "MERGE",
    "MKACTIVITY",
    "MKCALENDAR",
    "MKCOL",
    "MOVE",
    "NOTIFY",
    "OPTIONS",
    "PATCH",
    "POST",
    "PROPFIND",
    "PROPPATCH",
    "PURGE",
    "PUT",
    "QUERY",
    "REBIND",
    "REPORT",
    "SEARCH",
    "SOURCE",
    "SUBSCRIBE",
    "TRACE",
    "UNBIND",
    "UNLINK",
    "UNLOCK",
    "UNSUBSCRIBE",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_node_v20() {
        assert_eq!(METHODS.len(), 35);
        assert!(METHODS.windows(2).all(|w| w[0] < w[1]));
        assert!(METHODS.contains(&"M-SEARCH"));
        assert!(METHODS.contains(&"QUERY"));
    }
}
