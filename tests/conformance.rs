//! The conformance suite (tests/conformance/cases.json), run twice: through the Rust API and
//! through the C ABI. Every binding runs the same file; see tests/conformance/README.md.

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::Value;
use std::ptr;
use temporal_payload_codec::*;
use temporal_payload_codec_core::{Codec, Compression, ErrorKind};

fn cases() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/cases.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap().clone();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    cases
}

fn b64(v: &Value) -> Vec<u8> {
    STANDARD.decode(v.as_str().unwrap()).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The status name the C ABI gives an error kind of the core.
fn status_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidArgument => "TPC_ERR_INVALID_ARGUMENT",
        ErrorKind::MalformedInput => "TPC_ERR_MALFORMED_INPUT",
        ErrorKind::CorruptPayload => "TPC_ERR_CORRUPT_PAYLOAD",
        ErrorKind::LimitExceeded => "TPC_ERR_LIMIT_EXCEEDED",
        ErrorKind::UnknownKey => "TPC_ERR_UNKNOWN_KEY",
        ErrorKind::DecryptFailed => "TPC_ERR_DECRYPT_FAILED",
        _ => "TPC_ERR_INTERNAL",
    }
}

fn compression_code(name: &str) -> u32 {
    match name {
        "none" => TPC_COMPRESSION_NONE,
        "snappy" => TPC_COMPRESSION_SNAPPY,
        "snappy-raw" => TPC_COMPRESSION_SNAPPY_RAW,
        "zlib" => TPC_COMPRESSION_ZLIB,
        other => panic!("unknown compression {other} in cases.json"),
    }
}

/// What a case's call gave: bytes, or (stage, status name, message).
type Outcome = Result<Vec<u8>, (&'static str, String, String)>;

/// Checks `outcome` (and, for a round trip, `decode` of it) against the case's expectation.
fn check(case: &Value, input: &[u8], outcome: Outcome, decode: impl FnOnce(&[u8]) -> Outcome) {
    let name = case["name"].as_str().unwrap();
    let expect = &case["expect"];
    if let Some(error) = expect.get("error") {
        let (stage, status, message) = match outcome {
            Ok(_) => panic!("{name}: succeeded, expected {error}"),
            Err(e) => e,
        };
        assert_eq!(
            stage,
            error["at"].as_str().unwrap(),
            "{name}: failed at another stage: {message}"
        );
        assert_eq!(status, error["status"].as_str().unwrap(), "{name}: {message}");
        let fragment = error["message_contains"].as_str().unwrap();
        assert!(
            message.contains(fragment),
            "{name}: {message:?} lacks {fragment:?}"
        );
        return;
    }
    let output = outcome.unwrap_or_else(|e| panic!("{name}: failed: {e:?}"));
    if let Some(want) = expect.get("output") {
        assert!(output == b64(want), "{name}: not the expected bytes");
    } else {
        assert_eq!(
            expect["roundtrip"],
            Value::Bool(true),
            "{name}: unknown expectation"
        );
        assert!(
            output != input || input.is_empty(),
            "{name}: encode changed nothing"
        );
        let back = decode(&output).unwrap_or_else(|e| panic!("{name}: decoding the result failed: {e:?}"));
        assert!(back == input, "{name}: decode(encode(x)) != x");
    }
}

fn rust_codec(options: &Value) -> Result<Codec, (&'static str, String, String)> {
    let mut b = Codec::builder();
    let err = |e: temporal_payload_codec_core::Error| {
        (
            "build",
            status_name(e.kind()).to_string(),
            e.message().to_string(),
        )
    };
    if let Some(c) = options.get("compression") {
        let c = match c.as_str().unwrap() {
            "none" => Compression::None,
            "snappy" => Compression::Snappy,
            "snappy-raw" => Compression::SnappyRaw,
            "zlib" => Compression::Zlib,
            other => panic!("unknown compression {other}"),
        };
        b.compression(c);
    }
    if let Some(on) = options.get("only_if_smaller") {
        b.only_if_smaller(on.as_bool().unwrap());
    }
    if let Some(level) = options.get("zlib_level") {
        let _ = b.zlib_level(level.as_u64().unwrap() as u32);
    }
    if let Some(n) = options.get("max_decoded_size") {
        let _ = b.max_decoded_size(n.as_u64().unwrap() as usize);
    }
    if let Some(n) = options.get("max_total_decoded_size") {
        let _ = b.max_total_decoded_size(n.as_u64().unwrap() as usize);
    }
    for k in options
        .get("keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let _ = b.add_key(k["id"].as_str().unwrap(), &hex(k["key"].as_str().unwrap()));
    }
    if let Some(id) = options.get("encryption_key_id") {
        b.encryption_key_id(id.as_str().unwrap());
    }
    b.build().map_err(err)
}

#[test]
fn conformance_through_the_rust_api() {
    for case in cases() {
        let input = b64(&case["input"]);
        let call = |codec: &Codec, encode: bool, bytes: &[u8]| -> Outcome {
            let result = if encode {
                codec.encode(bytes)
            } else {
                codec.decode(bytes)
            };
            result.map_err(|e| ("call", status_name(e.kind()).to_string(), e.message().to_string()))
        };
        let encode = case["op"] == "encode";
        match rust_codec(&case["codec"]) {
            Err(e) => check(&case, &input, Err(e), |_| unreachable!()),
            Ok(codec) => check(&case, &input, call(&codec, encode, &input), |out| {
                call(&codec, false, out)
            }),
        }
    }
}

/// A codec built through the C builder, or the build's failure.
fn c_codec(options: &Value) -> Result<*mut tpc_codec, (&'static str, String, String)> {
    // SAFETY: a fresh builder used by this thread only, consumed by tpc_codec_build; every
    // pointer passed points to as many readable bytes as its length says.
    unsafe {
        let b = tpc_codec_builder_new();
        if let Some(c) = options.get("compression") {
            tpc_codec_builder_set_compression(b, compression_code(c.as_str().unwrap()));
        }
        if let Some(on) = options.get("only_if_smaller") {
            tpc_codec_builder_set_only_if_smaller(b, u32::from(on.as_bool().unwrap()));
        }
        if let Some(level) = options.get("zlib_level") {
            tpc_codec_builder_set_zlib_level(b, level.as_u64().unwrap() as u32);
        }
        if let Some(n) = options.get("max_decoded_size") {
            tpc_codec_builder_set_max_decoded_size(b, n.as_u64().unwrap() as usize);
        }
        if let Some(n) = options.get("max_total_decoded_size") {
            tpc_codec_builder_set_max_total_decoded_size(b, n.as_u64().unwrap() as usize);
        }
        for k in options
            .get("keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = k["id"].as_str().unwrap();
            let key = hex(k["key"].as_str().unwrap());
            tpc_codec_builder_add_key(b, id.as_ptr(), id.len(), key.as_ptr(), key.len());
        }
        if let Some(id) = options.get("encryption_key_id") {
            let id = id.as_str().unwrap();
            tpc_codec_builder_set_encryption_key_id(b, id.as_ptr(), id.len());
        }
        let mut codec = ptr::null_mut();
        let mut err = tpc_buffer {
            data: ptr::null_mut(),
            len: 0,
        };
        match tpc_codec_build(b, &mut codec, &mut err) {
            TPC_OK => Ok(codec),
            status => Err(("build", c_status_name(status), take(&mut err))),
        }
    }
}

fn c_status_name(status: tpc_status) -> String {
    match status {
        TPC_ERR_NULL_ARGUMENT => "TPC_ERR_NULL_ARGUMENT",
        TPC_ERR_INVALID_ARGUMENT => "TPC_ERR_INVALID_ARGUMENT",
        TPC_ERR_MALFORMED_INPUT => "TPC_ERR_MALFORMED_INPUT",
        TPC_ERR_CORRUPT_PAYLOAD => "TPC_ERR_CORRUPT_PAYLOAD",
        TPC_ERR_LIMIT_EXCEEDED => "TPC_ERR_LIMIT_EXCEEDED",
        TPC_ERR_UNKNOWN_KEY => "TPC_ERR_UNKNOWN_KEY",
        TPC_ERR_DECRYPT_FAILED => "TPC_ERR_DECRYPT_FAILED",
        TPC_ERR_BUFFER_TOO_SMALL => "TPC_ERR_BUFFER_TOO_SMALL",
        TPC_ERR_INTERNAL => "TPC_ERR_INTERNAL",
        other => panic!("status {other} has no name"),
    }
    .to_string()
}

/// The bytes of a buffer the library filled, which is then freed.
fn take_bytes(b: &mut tpc_buffer) -> Vec<u8> {
    let bytes = if b.data.is_null() {
        Vec::new()
    } else {
        // SAFETY: filled by the library with `len` bytes.
        unsafe { std::slice::from_raw_parts(b.data, b.len) }.to_vec()
    };
    // SAFETY: filled by the library (or zeroed).
    unsafe { tpc_buffer_free(b) };
    bytes
}

/// An error message the library filled, which is then freed.
fn take(b: &mut tpc_buffer) -> String {
    String::from_utf8(take_bytes(b)).expect("messages are UTF-8")
}

#[test]
fn conformance_through_the_c_abi() {
    for case in cases() {
        let input = b64(&case["input"]);
        let call = |codec: *const tpc_codec, encode: bool, bytes: &[u8]| -> Outcome {
            let empty = || tpc_buffer {
                data: ptr::null_mut(),
                len: 0,
            };
            let (mut out, mut err) = (empty(), empty());
            // SAFETY: a live codec, `bytes` readable, out and err writable.
            let status = unsafe {
                let f = if encode {
                    tpc_codec_encode
                } else {
                    tpc_codec_decode
                };
                f(codec, bytes.as_ptr(), bytes.len(), &mut out, &mut err)
            };
            match status {
                TPC_OK => Ok(take_bytes(&mut out)),
                s => Err(("call", c_status_name(s), take(&mut err))),
            }
        };
        let encode = case["op"] == "encode";
        match c_codec(&case["codec"]) {
            Err(e) => check(&case, &input, Err(e), |_| unreachable!()),
            Ok(codec) => {
                check(&case, &input, call(codec, encode, &input), |out| {
                    call(codec, false, out)
                });
                // SAFETY: built above, no longer used.
                unsafe { tpc_codec_free(codec) };
            }
        }
    }
}

#[test]
fn the_cases_file_is_what_its_generator_writes() {
    // Regenerating needs the venv's `cryptography`; the test step's Python lint runs it with
    // --check too, so a hand edit of cases.json or a generator change without its output fails.
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/make_cases.py");
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python");
    let status = std::process::Command::new(python)
        .args([script, "--check"])
        .status()
        .unwrap_or_else(|e| panic!("cannot run {python} (scripts/setup.sh makes the venv): {e}"));
    assert!(status.success(), "tests/conformance/cases.json is stale");
}
