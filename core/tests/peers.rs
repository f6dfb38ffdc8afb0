//! The codec chain against real peers (tests/peers/peers.py): zlib as the Java and Go SDKs
//! write it, and each Temporal sample's encryption layout, made with C zlib and OpenSSL's
//! AES-GCM; and our own output read back by those same standard implementations.

mod common;

use common::{b64, run_json, unb64};
use serde_json::json;
use temporal_payload_codec_core::{Codec, Compression, ErrorKind};

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn reader(key_id: Option<&str>, key_hex: Option<&str>) -> Codec {
    let mut b = Codec::builder();
    if let (Some(id), Some(key)) = (key_id, key_hex) {
        b.add_key(id, &hex(key)).unwrap();
    }
    b.build().unwrap()
}

#[test]
fn we_decode_every_sample_layout_and_sdk_zlib() {
    let fixtures = run_json("tests/peers/peers.py", &["make"], "");
    let plain = unb64(&fixtures["plain"]);
    let cases = fixtures["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for case in cases {
        let codec = reader(case["key_id"].as_str(), case["key_hex"].as_str());
        let decoded = codec
            .decode(&unb64(&case["encoded"]))
            .unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
        assert_eq!(decoded, plain, "{}", case["name"]);
        if let Some(id) = case["key_id"].as_str() {
            // The same payloads with the wrong key bytes under the right id must not decrypt.
            let mut wrong = Codec::builder();
            wrong.add_key(id, &[0x55; 32]).unwrap();
            let err = wrong
                .build()
                .unwrap()
                .decode(&unb64(&case["encoded"]))
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::DecryptFailed, "{}", case["name"]);
            // And a reader without that id names the id it lacks.
            let err = reader(Some("other"), Some(&"11".repeat(32)))
                .decode(&unb64(&case["encoded"]))
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::UnknownKey);
            assert!(err.message().contains(id), "{err}");
        }
    }
}

#[test]
fn standard_implementations_decode_our_output() {
    let fixtures = run_json("tests/peers/peers.py", &["make"], "");
    let plain = unb64(&fixtures["plain"]);
    let key_hex = "7f".repeat(32);
    let mut cases = Vec::new();
    for (kind, compression, encrypt) in [
        ("zlib", Compression::Zlib, false),
        ("zlib+encryption", Compression::Zlib, true),
        ("encryption only", Compression::None, true),
    ] {
        let mut b = Codec::builder();
        b.compression(compression);
        if encrypt {
            b.add_key("ours", &hex(&key_hex)).unwrap();
            b.encryption_key_id("ours");
        }
        let encoded = b.build().unwrap().encode(&plain).unwrap();
        cases.push(json!({"kind": kind, "key_hex": key_hex, "encoded": b64(&encoded)}));
    }
    let result = run_json(
        "tests/peers/peers.py",
        &["check"],
        &json!({"cases": cases}).to_string(),
    );
    for (case, decoded) in cases.iter().zip(result["plain"].as_array().unwrap()) {
        assert_eq!(unb64(decoded), plain, "{}", case["kind"]);
    }
}
