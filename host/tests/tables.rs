//! `http.STATUS_CODES` and `http.METHODS` from the component equal Node's,
//! recorded by `tests/node/tables.js` into `tests/facts/http-tables.json`.

use nodehttp_host::{Config, NodeHttp};
use serde_json::Value;

fn recorded() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/facts/http-tables.json"
    );
    let text = std::fs::read_to_string(path).expect("tests/facts/http-tables.json");
    serde_json::from_str(&text).expect("valid JSON")
}

#[tokio::test]
async fn status_codes_and_methods_are_nodes() {
    let facts = recorded();
    let mut node = NodeHttp::new(Config::default()).await.unwrap();

    let codes: Vec<(u16, String)> = facts["statusCodes"]
        .as_array()
        .expect("statusCodes")
        .iter()
        .map(|pair| {
            let code = pair[0].as_u64().expect("code") as u16;
            (code, pair[1].as_str().expect("text").to_string())
        })
        .collect();
    assert_eq!(node.status_codes().await.unwrap(), codes);

    let methods: Vec<String> = facts["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .map(|m| m.as_str().expect("method").to_string())
        .collect();
    assert_eq!(node.methods().await.unwrap(), methods);
}
