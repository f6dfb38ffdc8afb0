//! The C ABI contract, exercised through the exported functions themselves.

use std::ffi::{CStr, CString};
use std::ptr;
use temporal_payload_codec::ffi::*;

fn empty() -> tpc_buffer {
    tpc_buffer {
        data: ptr::null_mut(),
        len: 0,
    }
}

fn bytes(b: &tpc_buffer) -> Vec<u8> {
    if b.data.is_null() {
        return Vec::new();
    }
    // SAFETY: the library filled `b` with `len` bytes.
    unsafe { std::slice::from_raw_parts(b.data, b.len) }.to_vec()
}

fn message(err: &mut tpc_buffer) -> String {
    let text = String::from_utf8(bytes(err)).unwrap();
    // SAFETY: filled by the library.
    unsafe { tpc_buffer_free(err) };
    text
}

/// A serialized Payloads holding one json/plain payload.
fn sample() -> Vec<u8> {
    let payload = b"\x0a\x16\x0a\x08encoding\x12\x0ajson/plain\x12\x07\"hello\"";
    let mut out = vec![0x0a, payload.len() as u8];
    out.extend_from_slice(payload);
    out
}

#[test]
fn committed_header_matches_what_cbindgen_generates() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/temporal_payload_codec.h"));
    let committed = include_str!("../include/temporal_payload_codec.h");
    assert!(
        generated == committed,
        "include/temporal_payload_codec.h is stale: run `TPC_UPDATE_HEADER=1 cargo build` and commit it"
    );
}

#[test]
fn version_constants_match_cargo_toml() {
    assert_eq!(TPC_VERSION_MAJOR.to_string(), env!("CARGO_PKG_VERSION_MAJOR"));
    assert_eq!(TPC_VERSION_MINOR.to_string(), env!("CARGO_PKG_VERSION_MINOR"));
    assert_eq!(TPC_VERSION_PATCH.to_string(), env!("CARGO_PKG_VERSION_PATCH"));
    // SAFETY: static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(tpc_version()) }.to_str().unwrap();
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
    assert_eq!(tpc_abi_version(), TPC_ABI_VERSION);
}

#[test]
fn status_numbers_are_the_contract() {
    let expected = [
        (TPC_OK, 0, "ok"),
        (TPC_ERR_NULL_ARGUMENT, 1, "null argument"),
        (TPC_ERR_INVALID_ARGUMENT, 2, "invalid argument"),
        (TPC_ERR_MALFORMED_INPUT, 3, "malformed input"),
        (TPC_ERR_CORRUPT_PAYLOAD, 4, "corrupt payload"),
        (TPC_ERR_LIMIT_EXCEEDED, 5, "limit exceeded"),
        (TPC_ERR_UNKNOWN_KEY, 6, "unknown key"),
        (TPC_ERR_DECRYPT_FAILED, 7, "decryption failed"),
        (TPC_ERR_INTERNAL, 255, "internal error"),
        (1234, 1234, "unknown status"),
    ];
    for (status, number, text) in expected {
        assert_eq!(status, number);
        // SAFETY: static NUL-terminated string, never NULL.
        assert_eq!(
            unsafe { CStr::from_ptr(tpc_status_str(status)) }
                .to_str()
                .unwrap(),
            text
        );
    }
    assert_eq!(
        (
            TPC_COMPRESSION_NONE,
            TPC_COMPRESSION_SNAPPY,
            TPC_COMPRESSION_SNAPPY_RAW,
            TPC_COMPRESSION_ZLIB
        ),
        (0, 1, 2, 3)
    );
}

#[test]
fn round_trip_through_the_default_functions() {
    let input = sample();
    let (mut enc, mut dec, mut err) = (empty(), empty(), empty());
    // SAFETY: valid pointers and lengths throughout.
    unsafe {
        assert_eq!(
            tpc_encode(input.as_ptr(), input.len(), &mut enc, &mut err),
            TPC_OK
        );
        assert!(err.data.is_null(), "err untouched on success");
        assert_ne!(bytes(&enc), input);
        assert_eq!(tpc_decode(enc.data, enc.len, &mut dec, &mut err), TPC_OK);
        assert_eq!(bytes(&dec), input);
        tpc_buffer_free(&mut enc);
        tpc_buffer_free(&mut dec);
        assert!(enc.data.is_null() && enc.len == 0, "free zeroes the buffer");
        tpc_buffer_free(&mut enc); // a second free is harmless
        tpc_buffer_free(ptr::null_mut());
    }
}

#[test]
fn null_and_empty_inputs() {
    let (mut out, mut err) = (empty(), empty());
    // SAFETY: exercising the documented NULL handling.
    unsafe {
        assert_eq!(tpc_encode(ptr::null(), 0, &mut out, &mut err), TPC_OK);
        assert_eq!(out.len, 0, "(NULL, 0) is an empty Payloads");
        assert_eq!(
            tpc_encode(ptr::null(), 5, &mut out, &mut err),
            TPC_ERR_NULL_ARGUMENT
        );
        assert!(message(&mut err).contains("NULL"));
        let input = sample();
        assert_eq!(
            tpc_decode(input.as_ptr(), input.len(), ptr::null_mut(), &mut err),
            TPC_ERR_NULL_ARGUMENT
        );
        assert!(message(&mut err).contains("out"));
        assert_eq!(
            tpc_codec_encode(ptr::null(), input.as_ptr(), input.len(), &mut out, &mut err),
            TPC_ERR_NULL_ARGUMENT
        );
        assert!(message(&mut err).contains("codec"));
        // err itself may be NULL.
        assert_eq!(
            tpc_decode(b"\xff".as_ptr(), 1, &mut out, ptr::null_mut()),
            TPC_ERR_MALFORMED_INPUT
        );
        assert!(out.data.is_null(), "out is written only on success");
        assert_eq!(
            tpc_codec_builder_set_compression(ptr::null_mut(), 1),
            TPC_ERR_NULL_ARGUMENT
        );
        let mut codec: *mut tpc_codec = ptr::null_mut();
        assert_eq!(
            tpc_codec_build(ptr::null_mut(), &mut codec, &mut err),
            TPC_ERR_NULL_ARGUMENT
        );
        message(&mut err);
        tpc_codec_free(ptr::null_mut());
        tpc_codec_builder_free(ptr::null_mut());
    }
}

#[test]
fn builder_errors_poison_the_build_with_a_message() {
    let mut err = empty();
    let id = CString::new("k1").unwrap();
    // SAFETY: valid builder and pointers; the builder is consumed by tpc_codec_build.
    unsafe {
        let b = tpc_codec_builder_new();
        assert_eq!(
            tpc_codec_builder_add_key(b, id.as_ptr(), [0u8; 16].as_ptr(), 16),
            TPC_ERR_INVALID_ARGUMENT
        );
        assert_eq!(tpc_codec_builder_set_compression(b, 9), TPC_ERR_INVALID_ARGUMENT);
        let mut codec: *mut tpc_codec = ptr::null_mut();
        assert_eq!(tpc_codec_build(b, &mut codec, &mut err), TPC_ERR_INVALID_ARGUMENT);
        assert!(codec.is_null());
        let text = message(&mut err);
        assert!(
            text.contains("16 bytes") && text.contains("k1"),
            "first error reported: {text}"
        );

        let b = tpc_codec_builder_new();
        assert_eq!(tpc_codec_builder_set_encryption_key(b, id.as_ptr()), TPC_OK);
        assert_eq!(tpc_codec_build(b, &mut codec, &mut err), TPC_ERR_INVALID_ARGUMENT);
        assert!(message(&mut err).contains("never added"));

        let b = tpc_codec_builder_new();
        assert_eq!(
            tpc_codec_builder_add_key(b, ptr::null(), [0u8; 32].as_ptr(), 32),
            TPC_ERR_NULL_ARGUMENT
        );
        tpc_codec_builder_free(b);

        let b = tpc_codec_builder_new();
        let bad_utf8 = [0xffu8, 0];
        assert_eq!(
            tpc_codec_builder_add_key(b, bad_utf8.as_ptr().cast(), [0u8; 32].as_ptr(), 32),
            TPC_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            tpc_codec_builder_set_only_if_smaller(b, 2),
            TPC_ERR_INVALID_ARGUMENT
        );
        assert_eq!(tpc_codec_builder_set_zlib_level(b, 10), TPC_ERR_INVALID_ARGUMENT);
        assert_eq!(
            tpc_codec_builder_set_max_decoded_size(b, 0),
            TPC_ERR_INVALID_ARGUMENT
        );
        tpc_codec_builder_free(b);
    }
}

#[test]
fn a_configured_codec_encrypts_and_limits() {
    let mut err = empty();
    let id = CString::new("prod-2026").unwrap();
    let key = [0x42u8; 32];
    // SAFETY: valid builder, codec and buffers throughout.
    unsafe {
        let b = tpc_codec_builder_new();
        assert_eq!(tpc_codec_builder_set_compression(b, TPC_COMPRESSION_ZLIB), TPC_OK);
        assert_eq!(
            tpc_codec_builder_add_key(b, id.as_ptr(), key.as_ptr(), key.len()),
            TPC_OK
        );
        assert_eq!(tpc_codec_builder_set_encryption_key(b, id.as_ptr()), TPC_OK);
        assert_eq!(tpc_codec_builder_set_max_decoded_size(b, 100), TPC_OK);
        let mut codec: *mut tpc_codec = ptr::null_mut();
        assert_eq!(tpc_codec_build(b, &mut codec, &mut err), TPC_OK);

        let input = sample();
        let (mut enc, mut dec) = (empty(), empty());
        assert_eq!(
            tpc_codec_encode(codec, input.as_ptr(), input.len(), &mut enc, &mut err),
            TPC_OK
        );
        let encoded = bytes(&enc);
        assert!(encoded.windows(16).any(|w| w == b"binary/encrypted"));
        assert!(encoded.windows(9).any(|w| w == b"prod-2026"));
        assert_eq!(
            tpc_codec_decode(codec, enc.data, enc.len, &mut dec, &mut err),
            TPC_OK
        );
        assert_eq!(bytes(&dec), input);
        tpc_buffer_free(&mut dec);

        // The default codec holds no keys: it passes encrypted payloads through untouched.
        assert_eq!(tpc_decode(enc.data, enc.len, &mut dec, &mut err), TPC_OK);
        assert_eq!(bytes(&dec), encoded);
        tpc_buffer_free(&mut dec);
        tpc_buffer_free(&mut enc);

        let big = temporal_payload_codec::Codec::default()
            .encode(&[&[0x0a, 0xc8, 0x01, 0x12, 0xc5, 0x01][..], &[b'a'; 197]].concat())
            .unwrap();
        assert_eq!(
            tpc_codec_decode(codec, big.as_ptr(), big.len(), &mut dec, &mut err),
            TPC_ERR_LIMIT_EXCEEDED
        );
        assert!(message(&mut err).contains("payload 0"));
        tpc_codec_free(codec);
    }
}
