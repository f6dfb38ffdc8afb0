//! The shared vectors, made by running the real reference codec (temporalio + cramjam) and
//! the Go codec-server sample's raw-block dialect.

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::Value;
use temporal_payload_codec_core::Codec;

fn cases() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/reference-snappy.json"
    );
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

/// The bytes Temporal's Go encryption sample writes (tests/vectors/go-sample-encryption.json):
/// an empty `encryption-key-id`, nonce || ciphertext || tag, and a `binary/zlib` payload inside
/// when its codec server compresses.
#[test]
fn decode_reads_the_go_encryption_samples_bytes() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/go-sample-encryption.json"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let id = doc["key_id"].as_str().unwrap();
    assert_eq!(id, "", "the sample's codec server writes an empty key id");
    let key: Vec<u8> = (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&doc["key_hex"].as_str().unwrap()[i..i + 2], 16).unwrap())
        .collect();
    let mut b = Codec::builder();
    b.add_key(id, &key).unwrap();
    let codec = b.build().unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for case in cases {
        let encoded = field(case, "encoded");
        let decoded = codec.decode(&encoded).unwrap();
        assert_eq!(decoded, field(case, "plain"), "case {}", case["name"]);
        // Without the key the payloads pass through untouched, and with another id they are
        // refused by name.
        assert_eq!(Codec::default().decode(&encoded).unwrap(), encoded);
        let mut other = Codec::builder();
        other.add_key("k", &key).unwrap();
        let err = other.build().unwrap().decode(&encoded).unwrap_err();
        assert!(err.message().contains("no key with id \"\""), "{err}");
    }
}
