//! Temporal's Go encryption sample, as the Web UI shows its histories: the exact bytes the
//! sample writes (tests/vectors/go-sample-encryption.json, key id "": the sample writes
//! `encryption-key-id: ""`), POSTed to /decode as the UI sends them (protojson `Payloads`,
//! base64 bytes) to a server holding the sample's key under the empty id, must come back as
//! exactly the plain payloads.
//!
//! The request JSON and the expected payloads are made here from the vector's protobuf by a
//! reader of its own, not by the server's mapping, so a fault in that mapping cannot hide.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;
use tpc_codec_server::config::Config;
use tpc_codec_server::payloads::json_to_proto;
use tpc_codec_server::routes::app;

/// One `Payload`: metadata (key to bytes) and data.
#[derive(Debug, PartialEq, Eq)]
struct Payload {
    metadata: BTreeMap<String, Vec<u8>>,
    data: Vec<u8>,
}

fn varint(buf: &[u8], i: &mut usize) -> u64 {
    let (mut value, mut shift) = (0u64, 0);
    loop {
        let b = buf[*i];
        *i += 1;
        value |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return value;
        }
    }
}

/// (field number, bytes) of a message made of length-delimited fields only (all `Payloads`,
/// `Payload` and their map entries use); anything else fails the test.
fn fields(buf: &[u8]) -> Vec<(u64, &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < buf.len() {
        let key = varint(buf, &mut i);
        assert_eq!(key & 7, 2, "field {} is not length-delimited", key >> 3);
        let n = varint(buf, &mut i) as usize;
        out.push((key >> 3, &buf[i..i + n]));
        i += n;
    }
    out
}

fn parse_payloads(proto: &[u8]) -> Vec<Payload> {
    fields(proto)
        .into_iter()
        .map(|(number, msg)| {
            assert_eq!(number, 1, "Payloads has only field 1");
            let mut p = Payload {
                metadata: BTreeMap::new(),
                data: Vec::new(),
            };
            for (number, value) in fields(msg) {
                match number {
                    1 => {
                        let entry: BTreeMap<u64, &[u8]> = fields(value).into_iter().collect();
                        let key = String::from_utf8(entry[&1].to_vec()).unwrap();
                        let old = p.metadata.insert(key, entry.get(&2).unwrap_or(&&[][..]).to_vec());
                        assert!(old.is_none(), "a metadata key twice");
                    }
                    2 => p.data = value.to_vec(),
                    n => panic!("Payload field {n} is not expected in the vector"),
                }
            }
            p
        })
        .collect()
}

/// protojson of `Payloads`, as the Web UI sends it.
fn to_json(payloads: &[Payload]) -> Value {
    let list: Vec<Value> = payloads
        .iter()
        .map(|p| {
            let metadata: Map<String, Value> = p
                .metadata
                .iter()
                .map(|(k, v)| (k.clone(), json!(B64.encode(v))))
                .collect();
            let mut o = json!({"metadata": metadata});
            if !p.data.is_empty() {
                o["data"] = json!(B64.encode(&p.data));
            }
            o
        })
        .collect();
    json!({ "payloads": list })
}

/// Reads protojson `Payloads` back, absent fields as their defaults.
fn from_json(v: &Value) -> Vec<Payload> {
    let obj = v.as_object().unwrap();
    assert!(obj.keys().all(|k| k == "payloads"), "{v}");
    obj.get("payloads")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let p = p.as_object().unwrap();
            assert!(p.keys().all(|k| k == "metadata" || k == "data"), "{p:?}");
            let b64 = |v: &Value| B64.decode(v.as_str().unwrap()).unwrap();
            Payload {
                metadata: p
                    .get("metadata")
                    .and_then(Value::as_object)
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), b64(v))).collect())
                    .unwrap_or_default(),
                data: p.get("data").map(b64).unwrap_or_default(),
            }
        })
        .collect()
}

fn vector() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/go-sample-encryption.json");
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn config(v: &Value, extra: &str) -> Arc<Config> {
    assert_eq!(v["key_id"], "", "the sample's key id is empty");
    let text = format!(
        "[namespaces.default]\ncompression = \"zlib\"\n{extra}\nkeys = [{{ id = \"\", env = \"GO_SAMPLE_KEY\" }}]\n"
    );
    let env = [("GO_SAMPLE_KEY", v["key_hex"].as_str().unwrap())];
    Arc::new(Config::from_toml(&text, Path::new("."), &env).unwrap())
}

async fn post(c: &Arc<Config>, path: &str, body: &Value) -> (StatusCode, String) {
    // The Web UI's call: POST {endpoint}/decode, the namespace in X-Namespace.
    let r = Request::post(path)
        .header("content-type", "application/json")
        .header("x-namespace", "default")
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = app(c.clone()).oneshot(r).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn decodes_the_go_encryption_samples_bytes_with_the_empty_key_id() {
    let v = vector();
    let c = config(&v, "");
    let cases = v["cases"].as_array().unwrap();
    let names: Vec<&str> = cases.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["codec-server-zlib-then-encrypted", "worker-encrypted"]);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let encoded_proto = B64.decode(case["encoded"].as_str().unwrap()).unwrap();
        let plain_proto = B64.decode(case["plain"].as_str().unwrap()).unwrap();
        let encoded = parse_payloads(&encoded_proto);
        let plain = parse_payloads(&plain_proto);
        // What the vector holds: every payload encrypted under the empty key id.
        assert_eq!(encoded.len(), plain.len(), "{name}");
        for p in &encoded {
            assert_eq!(p.metadata["encoding"], b"binary/encrypted", "{name}");
            assert_eq!(p.metadata["encryption-key-id"], b"", "{name}");
        }
        let (status, body) = post(&c, "/decode", &to_json(&encoded)).await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
        let decoded: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(from_json(&decoded), plain, "{name}: {body}");
        // And byte for byte once back in protobuf, as the UI's Temporal client would hold it.
        let (proto, n) = json_to_proto(body.as_bytes()).unwrap();
        assert_eq!(n, plain.len(), "{name}");
        assert_eq!(proto, plain_proto, "{name}");
    }
}

#[tokio::test]
async fn without_the_key_the_samples_payloads_stay_encrypted() {
    // The same request to a namespace holding another key under "": a failed tag, named.
    let v = vector();
    let text = "[namespaces.default]\nkeys = [{ id = \"\", env = \"K\" }]\n";
    let other = "00".repeat(32);
    let c = Arc::new(Config::from_toml(text, Path::new("."), &[("K", other.as_str())]).unwrap());
    let encoded = parse_payloads(&B64.decode(v["cases"][1]["encoded"].as_str().unwrap()).unwrap());
    let (status, body) = post(&c, "/decode", &to_json(&encoded)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("payload 0"), "{body}");
}

#[tokio::test]
async fn encrypts_under_the_empty_key_id_and_decodes_it_back() {
    let v = vector();
    let c = config(&v, "encryption_key_id = \"\"");
    let plain_proto = B64.decode(v["cases"][0]["plain"].as_str().unwrap()).unwrap();
    let plain = parse_payloads(&plain_proto);
    let (status, body) = post(&c, "/encode", &to_json(&plain)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let encoded = from_json(&serde_json::from_str(&body).unwrap());
    assert_eq!(encoded.len(), plain.len());
    for p in &encoded {
        assert_eq!(p.metadata["encoding"], b"binary/encrypted", "{body}");
        assert_eq!(p.metadata["encryption-key-id"], b"", "{body}");
    }
    let (status, body) = post(&c, "/decode", &to_json(&encoded)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(from_json(&serde_json::from_str(&body).unwrap()), plain);
}
