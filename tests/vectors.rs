//! The shared vectors, made by running the real reference codec (temporalio + cramjam) and
//! the Go codec-server sample's raw-block dialect.

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::Value;
use temporal_payload_codec::Codec;

fn cases() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/reference-snappy.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    let cases = doc["cases"].as_array().unwrap().clone();
    assert!(
        cases.len() >= 4,
        "expected the shared vectors, found {}",
        cases.len()
    );
    cases
}

fn field(case: &Value, name: &str) -> Vec<u8> {
    STANDARD.decode(case[name].as_str().unwrap()).unwrap()
}

#[test]
fn encode_is_byte_identical_to_the_reference() {
    for case in cases() {
        let encoded = Codec::default().encode(&field(&case, "plain")).unwrap();
        assert_eq!(encoded, field(&case, "encoded"), "case {}", case["name"]);
    }
}

#[test]
fn decode_reads_the_reference_and_the_raw_dialect() {
    for case in cases() {
        let plain = field(&case, "plain");
        assert_eq!(
            Codec::default().decode(&field(&case, "encoded")).unwrap(),
            plain,
            "case {}",
            case["name"]
        );
        if case.get("raw_block").is_some() {
            assert_eq!(
                Codec::default().decode(&field(&case, "raw_block")).unwrap(),
                plain,
                "case {} raw",
                case["name"]
            );
        }
    }
}
