//! The C ABI contract, exercised through the exported functions themselves.

use std::ffi::CStr;
use std::ptr;
use temporal_payload_codec::*;
use temporal_payload_codec_core::Codec;

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
        (TPC_ERR_BUFFER_TOO_SMALL, 8, "buffer too small"),
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
    let id = b"k1";
    // SAFETY: valid builder and pointers; the builder is consumed by tpc_codec_build.
    unsafe {
        let b = tpc_codec_builder_new();
        assert_eq!(
            tpc_codec_builder_add_key(b, id.as_ptr(), id.len(), [0u8; 16].as_ptr(), 16),
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
        assert_eq!(
            tpc_codec_builder_set_encryption_key_id(b, id.as_ptr(), id.len()),
            TPC_OK
        );
        assert_eq!(tpc_codec_build(b, &mut codec, &mut err), TPC_ERR_INVALID_ARGUMENT);
        assert!(message(&mut err).contains("never added"));

        // A NULL id or key with a non-zero length is a NULL argument; an id added twice (here
        // the empty one, which is valid) is refused.
        let b = tpc_codec_builder_new();
        assert_eq!(
            tpc_codec_builder_add_key(b, ptr::null(), 2, [0u8; 32].as_ptr(), 32),
            TPC_ERR_NULL_ARGUMENT
        );
        tpc_codec_builder_free(b);
        let b = tpc_codec_builder_new();
        assert_eq!(
            tpc_codec_builder_add_key(b, id.as_ptr(), id.len(), ptr::null(), 32),
            TPC_ERR_NULL_ARGUMENT
        );
        tpc_codec_builder_free(b);
        let b = tpc_codec_builder_new();
        assert_eq!(
            tpc_codec_builder_set_encryption_key_id(b, ptr::null(), 1),
            TPC_ERR_NULL_ARGUMENT
        );
        tpc_codec_builder_free(b);
        let b = tpc_codec_builder_new();
        assert_eq!(
            tpc_codec_builder_add_key(b, ptr::null(), 0, [0u8; 32].as_ptr(), 32),
            TPC_OK
        );
        assert_eq!(
            tpc_codec_builder_add_key(b, b"".as_ptr(), 0, [1u8; 32].as_ptr(), 32),
            TPC_ERR_INVALID_ARGUMENT
        );
        assert_eq!(tpc_codec_build(b, &mut codec, &mut err), TPC_ERR_INVALID_ARGUMENT);
        assert!(message(&mut err).contains("key id \"\" was added twice"));

        let b = tpc_codec_builder_new();
        assert_eq!(
            tpc_codec_builder_set_only_if_smaller(b, 2),
            TPC_ERR_INVALID_ARGUMENT
        );
        assert_eq!(tpc_codec_builder_set_zlib_level(b, 10), TPC_ERR_INVALID_ARGUMENT);
        assert_eq!(
            tpc_codec_builder_set_max_decoded_size(b, 0),
            TPC_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            tpc_codec_builder_set_max_total_decoded_size(b, 0),
            TPC_ERR_INVALID_ARGUMENT
        );
        tpc_codec_builder_free(b);
    }
}

#[test]
fn a_configured_codec_encrypts_and_limits() {
    let mut err = empty();
    let id = b"prod-2026";
    let key = [0x42u8; 32];
    // SAFETY: valid builder, codec and buffers throughout.
    unsafe {
        let b = tpc_codec_builder_new();
        assert_eq!(tpc_codec_builder_set_compression(b, TPC_COMPRESSION_ZLIB), TPC_OK);
        assert_eq!(
            tpc_codec_builder_add_key(b, id.as_ptr(), id.len(), key.as_ptr(), key.len()),
            TPC_OK
        );
        assert_eq!(
            tpc_codec_builder_set_encryption_key_id(b, id.as_ptr(), id.len()),
            TPC_OK
        );
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

        let big = Codec::default()
            .encode(&[&[0x0a, 0xc8, 0x01, 0x12, 0xc5, 0x01][..], &[b'a'; 197]].concat())
            .unwrap();
        assert_eq!(
            tpc_codec_decode(codec, big.as_ptr(), big.len(), &mut dec, &mut err),
            TPC_ERR_LIMIT_EXCEEDED
        );
        assert!(message(&mut err).contains("payload 0"));
        tpc_codec_free(codec);

        // The per-call limit: two payloads of 200 bytes fit in 450, three do not, and the
        // message names the payload at which the total crossed it, in every decode call.
        let b = tpc_codec_builder_new();
        assert_eq!(tpc_codec_builder_set_max_total_decoded_size(b, 450), TPC_OK);
        assert_eq!(tpc_codec_build(b, &mut codec, &mut err), TPC_OK);
        let one = [&[0x0a, 0xc8, 0x01, 0x12, 0xc5, 0x01][..], &[b'a'; 197]].concat();
        let two = Codec::default()
            .encode(&[one.clone(), one.clone()].concat())
            .unwrap();
        assert_eq!(
            tpc_codec_decode(codec, two.as_ptr(), two.len(), &mut dec, &mut err),
            TPC_OK
        );
        tpc_buffer_free(&mut dec);
        let three = Codec::default()
            .encode(&[one.clone(), one.clone(), one].concat())
            .unwrap();
        assert_eq!(
            tpc_codec_decode(codec, three.as_ptr(), three.len(), &mut dec, &mut err),
            TPC_ERR_LIMIT_EXCEEDED
        );
        assert!(message(&mut err)
            .starts_with("payload 2: the decoded batch exceeds the per-call maximum of 450 bytes"));
        let mut dst = [0u8; 4096];
        let mut n = 0usize;
        assert_eq!(
            tpc_codec_decode_into(
                codec,
                three.as_ptr(),
                three.len(),
                dst.as_mut_ptr(),
                dst.len(),
                &mut n,
                &mut err
            ),
            TPC_ERR_LIMIT_EXCEEDED
        );
        assert!(message(&mut err).starts_with("payload 2:"));
        tpc_codec_free(codec);
    }
}

/// Builds a codec through the C builder: `compression`, and AES-256-GCM with a fixed key when
/// `encrypt` is set.
fn c_codec(compression: u32, encrypt: bool) -> *mut tpc_codec {
    let id = b"k";
    let key = [0x5au8; 32];
    let mut codec: *mut tpc_codec = ptr::null_mut();
    // SAFETY: a fresh builder, consumed by build; valid id and key.
    unsafe {
        let b = tpc_codec_builder_new();
        assert_eq!(tpc_codec_builder_set_compression(b, compression), TPC_OK);
        if encrypt {
            assert_eq!(
                tpc_codec_builder_add_key(b, id.as_ptr(), id.len(), key.as_ptr(), key.len()),
                TPC_OK
            );
            assert_eq!(
                tpc_codec_builder_set_encryption_key_id(b, id.as_ptr(), id.len()),
                TPC_OK
            );
        }
        assert_eq!(tpc_codec_build(b, &mut codec, ptr::null_mut()), TPC_OK);
    }
    codec
}

fn c_call(
    f: unsafe extern "C" fn(
        *const tpc_codec,
        *const u8,
        usize,
        *mut tpc_buffer,
        *mut tpc_buffer,
    ) -> tpc_status,
    codec: *const tpc_codec,
    input: &[u8],
) -> Result<Vec<u8>, tpc_status> {
    let (mut out, mut err) = (empty(), empty());
    // SAFETY: valid codec, input and buffers; both freed here.
    unsafe {
        let st = f(codec, input.as_ptr(), input.len(), &mut out, &mut err);
        let result = if st == TPC_OK { Ok(bytes(&out)) } else { Err(st) };
        tpc_buffer_free(&mut out);
        tpc_buffer_free(&mut err);
        result
    }
}

/// Decodes through `tpc_codec_decode_into` the way its documentation says to: ask for the
/// size, then retry with what it reports until the result fits. Returns the result and the
/// number of calls made.
fn decode_into_loop(codec: *const tpc_codec, input: &[u8]) -> Result<(Vec<u8>, usize), tpc_status> {
    let mut dst: Vec<u8> = Vec::new();
    for calls in 1..=4 {
        let mut n = usize::MAX;
        let mut err = empty();
        // SAFETY: valid codec and input; `dst` is `dst.len()` initialized writable bytes (or
        // NULL with 0 on the first call), not overlapping the input.
        let st = unsafe {
            let p = if dst.is_empty() {
                ptr::null_mut()
            } else {
                dst.as_mut_ptr()
            };
            tpc_codec_decode_into(codec, input.as_ptr(), input.len(), p, dst.len(), &mut n, &mut err)
        };
        if st == TPC_ERR_BUFFER_TOO_SMALL {
            let text = message(&mut err);
            assert!(text.contains(&format!("needs {n} bytes")), "{text}");
            assert!(n > dst.len(), "the size needed is more than was given");
            // Filled with a pattern, not zeroes, to show prior contents do not matter.
            dst = vec![0xa5; n];
            continue;
        }
        if st != TPC_OK {
            assert!(!message(&mut err).is_empty(), "a failure comes with a message");
            return Err(st);
        }
        assert!(err.data.is_null(), "err untouched on success");
        assert!(n <= dst.len());
        dst.truncate(n);
        return Ok((dst, calls));
    }
    panic!("tpc_codec_decode_into did not settle within 4 calls");
}

#[test]
fn decode_into_gives_what_decode_gives() {
    let plain = sample();
    let big_plain = Codec::builder()
        .build()
        .unwrap()
        .decode(
            &[
                &[0x0a, 0xcd, 0x02][..],
                b"\x0a\x16\x0a\x08encoding\x12\x0ajson/plain\x12\xb2\x02",
                &[b'x'; 306][..],
            ]
            .concat(),
        )
        .unwrap();
    let batch = [plain.clone(), big_plain, plain.clone(), Vec::new()].concat();
    let codecs = [
        (c_codec(TPC_COMPRESSION_SNAPPY, false), "snappy"),
        (c_codec(TPC_COMPRESSION_SNAPPY_RAW, false), "snappy-raw"),
        (c_codec(TPC_COMPRESSION_ZLIB, false), "zlib"),
        (c_codec(TPC_COMPRESSION_NONE, true), "encrypted"),
        (c_codec(TPC_COMPRESSION_SNAPPY, true), "snappy+encrypted"),
        (c_codec(TPC_COMPRESSION_ZLIB, true), "zlib+encrypted"),
    ];
    for &(codec, name) in &codecs {
        for input in [&plain[..], &batch[..], &[][..]] {
            let encoded = c_call(tpc_codec_encode, codec, input).unwrap();
            let expected = c_call(tpc_codec_decode, codec, &encoded).unwrap();
            assert_eq!(expected, input, "{name}: decode round-trips");
            let (got, calls) = decode_into_loop(codec, &encoded).unwrap();
            assert_eq!(got, expected, "{name}");
            // One layer whose header tells its size: a query and a decode. zlib, or two layers
            // (the outer header tells only the inner wrapper's size): at most one retry more.
            let single = ["snappy", "snappy-raw", "encrypted"].contains(&name);
            assert!(calls <= if single { 2 } else { 3 }, "{name}: {calls} calls");
        }
    }
    // Nested encodings (zlib inside snappy) are peeled too, within the documented retries.
    let zlib = codecs[2].0;
    let snappy = codecs[0].0;
    let nested = c_call(
        tpc_codec_encode,
        snappy,
        &c_call(tpc_codec_encode, zlib, &batch).unwrap(),
    )
    .unwrap();
    let expected = c_call(tpc_codec_decode, snappy, &nested).unwrap();
    assert_eq!(expected, batch);
    let (got, calls) = decode_into_loop(snappy, &nested).unwrap();
    assert_eq!(got, expected);
    assert!(calls <= 3, "{calls} calls");
    for (codec, _) in codecs {
        // SAFETY: built above, no longer used.
        unsafe { tpc_codec_free(codec) };
    }
}

#[test]
fn decode_into_too_small_exact_and_roomy_buffers() {
    let codec = c_codec(TPC_COMPRESSION_SNAPPY, false);
    let input = [sample(), sample()].concat();
    let encoded = c_call(tpc_codec_encode, codec, &input).unwrap();
    for cap in [1, input.len() - 1, input.len(), input.len() + 100] {
        let mut dst = vec![0u8; cap];
        let mut n = 0;
        // SAFETY: valid codec, input, `cap` writable bytes, and out_len.
        let st = unsafe {
            tpc_codec_decode_into(
                codec,
                encoded.as_ptr(),
                encoded.len(),
                dst.as_mut_ptr(),
                cap,
                &mut n,
                ptr::null_mut(),
            )
        };
        let expected = if cap < input.len() {
            TPC_ERR_BUFFER_TOO_SMALL
        } else {
            TPC_OK
        };
        assert_eq!(st, expected, "cap {cap}: too small is its own status");
        assert_eq!(n, input.len(), "cap {cap}: the size (needed) comes back");
        if cap >= n {
            assert_eq!(&dst[..n], &input[..]);
        }
    }
    // SAFETY: built above, no longer used.
    unsafe { tpc_codec_free(codec) };
}

#[test]
fn decode_into_refuses_what_decode_refuses() {
    let codec = c_codec(TPC_COMPRESSION_SNAPPY, false);
    let inner = sample();
    let good = c_call(tpc_codec_encode, codec, &inner).unwrap();
    // A snappy layer that decodes to bytes which are not a Payload (field 0): refused as
    // corrupt, by both functions, with a buffer of the right size or none.
    let not_a_payload = {
        // The bytes 02 01 00 (field 0: not a valid Payload) as a snappy layer's content.
        let mut framed = Vec::new();
        let mut enc = snap::write::FrameEncoder::new(&mut framed);
        std::io::Write::write_all(&mut enc, &[0x02, 0x01, 0x00]).unwrap();
        drop(enc);
        let mut payload = b"\x0a\x19\x0a\x08encoding\x12\x0dbinary/snappy\x12".to_vec();
        payload.push(framed.len() as u8);
        payload.extend(&framed);
        let mut out = vec![0x0a, payload.len() as u8];
        out.extend(payload);
        out
    };
    let mut bad_crc = good.clone();
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 0x40;
    for (input, status) in [
        (&not_a_payload[..], TPC_ERR_CORRUPT_PAYLOAD),
        (&bad_crc[..], TPC_ERR_CORRUPT_PAYLOAD),
        (&b"\xff"[..], TPC_ERR_MALFORMED_INPUT),
    ] {
        assert_eq!(c_call(tpc_codec_decode, codec, input), Err(status));
        assert_eq!(decode_into_loop(codec, input), Err(status));
        let mut dst = vec![0u8; 4096];
        let mut n = 0;
        // SAFETY: valid codec, input, buffer and out_len.
        let st = unsafe {
            tpc_codec_decode_into(
                codec,
                input.as_ptr(),
                input.len(),
                dst.as_mut_ptr(),
                dst.len(),
                &mut n,
                ptr::null_mut(),
            )
        };
        assert_eq!(st, status);
    }
    let mut err = empty();
    let mut n = 0;
    // SAFETY: exercising the documented NULL handling.
    unsafe {
        assert_eq!(
            tpc_codec_decode_into(
                codec,
                good.as_ptr(),
                good.len(),
                ptr::null_mut(),
                0,
                ptr::null_mut(),
                &mut err
            ),
            TPC_ERR_NULL_ARGUMENT
        );
        assert!(message(&mut err).contains("out_len"));
        assert_eq!(
            tpc_codec_decode_into(
                codec,
                good.as_ptr(),
                good.len(),
                ptr::null_mut(),
                8,
                &mut n,
                &mut err
            ),
            TPC_ERR_NULL_ARGUMENT
        );
        assert!(message(&mut err).contains("dst"));
        assert_eq!(
            tpc_codec_decode_into(
                ptr::null(),
                good.as_ptr(),
                good.len(),
                ptr::null_mut(),
                0,
                &mut n,
                &mut err
            ),
            TPC_ERR_NULL_ARGUMENT
        );
        assert!(message(&mut err).contains("codec"));
        tpc_codec_free(codec);
    }
}

/// Calls `tpc_codec_encode_gather` on `parts`, returning the output or the status and message.
fn encode_parts(codec: *const tpc_codec, parts: &[tpc_slice]) -> Result<Vec<u8>, (tpc_status, String)> {
    let (mut out, mut err) = (empty(), empty());
    let array = if parts.is_empty() {
        ptr::null()
    } else {
        parts.as_ptr()
    };
    // SAFETY: valid codec (or NULL, refused), slices and buffers.
    let st = unsafe { tpc_codec_encode_gather(codec, array, parts.len(), &mut out, &mut err) };
    if st != TPC_OK {
        assert!(out.data.is_null(), "out is written only on success");
        return Err((st, message(&mut err)));
    }
    assert!(err.data.is_null(), "err untouched on success");
    let result = bytes(&out);
    // SAFETY: filled by the library.
    unsafe { tpc_buffer_free(&mut out) };
    Ok(result)
}

/// The slices of each serialized Payload in a serialized Payloads (borrowing `framed`).
fn slices_of(framed: &[u8]) -> Vec<tpc_slice> {
    let mut rest = framed;
    let mut out = Vec::new();
    while !rest.is_empty() {
        assert_eq!(rest[0], 0x0a, "the test batches hold field 1 only");
        rest = &rest[1..];
        let len = prost::encoding::decode_varint(&mut rest).unwrap() as usize;
        let (p, tail) = rest.split_at(len);
        out.push(tpc_slice {
            data: if p.is_empty() { ptr::null() } else { p.as_ptr() },
            len: p.len(),
        });
        rest = tail;
    }
    out
}

#[test]
fn encode_gather_gives_what_encode_gives_for_the_framed_batch() {
    let plain = sample();
    let big = [
        &[0x0a, 0xcd, 0x02][..],
        b"\x0a\x16\x0a\x08encoding\x12\x0ajson/plain\x12\xb2\x02",
        &[b'x'; 306][..],
    ]
    .concat();
    // The empty Payload (0a 00) comes as a (NULL, 0) slice.
    let batch = [plain.clone(), big, b"\x0a\x00".to_vec(), plain.clone()].concat();
    let only_if_smaller = {
        let mut codec: *mut tpc_codec = ptr::null_mut();
        // SAFETY: a fresh builder, consumed by build.
        unsafe {
            let b = tpc_codec_builder_new();
            assert_eq!(tpc_codec_builder_set_compression(b, TPC_COMPRESSION_ZLIB), TPC_OK);
            assert_eq!(tpc_codec_builder_set_only_if_smaller(b, 1), TPC_OK);
            assert_eq!(tpc_codec_build(b, &mut codec, ptr::null_mut()), TPC_OK);
        }
        codec
    };
    let codecs = [
        (c_codec(TPC_COMPRESSION_NONE, false), "none", false),
        (c_codec(TPC_COMPRESSION_SNAPPY, false), "snappy", false),
        (c_codec(TPC_COMPRESSION_SNAPPY_RAW, false), "snappy-raw", false),
        (c_codec(TPC_COMPRESSION_ZLIB, false), "zlib", false),
        (only_if_smaller, "zlib only-if-smaller", false),
        (c_codec(TPC_COMPRESSION_NONE, true), "encrypted", true),
        (c_codec(TPC_COMPRESSION_SNAPPY, true), "snappy+encrypted", true),
        (c_codec(TPC_COMPRESSION_ZLIB, true), "zlib+encrypted", true),
    ];
    for &(codec, name, encrypted) in &codecs {
        for input in [&plain[..], &batch[..], &[][..]] {
            let parts = slices_of(input);
            let got = encode_parts(codec, &parts).unwrap();
            let framed = c_call(tpc_codec_encode, codec, input).unwrap();
            if encrypted {
                // Fresh nonces each call: compare what both decode to.
                assert!(input.is_empty() || got != framed, "{name}: nonces differ");
                assert_eq!(got.len(), framed.len(), "{name}");
                let got = c_call(tpc_codec_decode, codec, &got).unwrap();
                assert_eq!(got, input, "{name}");
                assert_eq!(got, c_call(tpc_codec_decode, codec, &framed).unwrap(), "{name}");
            } else {
                assert_eq!(got, framed, "{name}: byte for byte");
            }
        }
    }
    // A codec built with no options is the default codec: the same bytes as tpc_encode.
    let default = {
        let mut codec: *mut tpc_codec = ptr::null_mut();
        // SAFETY: a fresh builder, consumed by build.
        unsafe {
            assert_eq!(
                tpc_codec_build(tpc_codec_builder_new(), &mut codec, ptr::null_mut()),
                TPC_OK
            )
        };
        codec
    };
    for input in [&plain[..], &batch[..], &[][..]] {
        let mut expected = empty();
        // SAFETY: valid input and buffer.
        unsafe {
            assert_eq!(
                tpc_encode(input.as_ptr(), input.len(), &mut expected, ptr::null_mut()),
                TPC_OK
            );
        }
        assert_eq!(
            encode_parts(default, &slices_of(input)).unwrap(),
            bytes(&expected)
        );
        // SAFETY: filled by the library.
        unsafe { tpc_buffer_free(&mut expected) };
    }
    for (codec, _, _) in codecs {
        // SAFETY: built above, no longer used.
        unsafe { tpc_codec_free(codec) };
    }
    // SAFETY: built above, no longer used.
    unsafe { tpc_codec_free(default) };
}

#[test]
fn encode_gather_null_and_malformed_parts() {
    let codec = c_codec(TPC_COMPRESSION_SNAPPY, false);
    let plain = sample();
    let good = slices_of(&plain)[0];
    let (mut out, mut err) = (empty(), empty());
    // SAFETY: exercising the documented NULL handling.
    unsafe {
        // NULL array with count 0: an empty batch.
        assert_eq!(
            tpc_codec_encode_gather(codec, ptr::null(), 0, &mut out, &mut err),
            TPC_OK
        );
        assert!(out.data.is_null() && out.len == 0);
        assert_eq!(
            tpc_codec_encode_gather(codec, ptr::null(), 2, &mut out, &mut err),
            TPC_ERR_NULL_ARGUMENT
        );
        assert!(message(&mut err).contains("NULL"));
        assert_eq!(
            tpc_codec_encode_gather(codec, ptr::null(), 1, &mut out, ptr::null_mut()),
            TPC_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            tpc_codec_encode_gather(codec, &good, 1, ptr::null_mut(), &mut err),
            TPC_ERR_NULL_ARGUMENT
        );
        assert!(message(&mut err).contains("out"));
        assert_eq!(
            tpc_codec_encode_gather(ptr::null(), &good, 1, &mut out, &mut err),
            TPC_ERR_NULL_ARGUMENT
        );
        assert!(message(&mut err).contains("codec"));
        assert!(out.data.is_null(), "out is written only on success");
    }
    // (NULL, n > 0) in a slice: a NULL argument naming the payload.
    let null_data = tpc_slice {
        data: ptr::null(),
        len: 3,
    };
    let (status, text) = encode_parts(codec, &[good, good, null_data]).unwrap_err();
    assert_eq!(status, TPC_ERR_NULL_ARGUMENT);
    assert!(text.contains("payload 2") && text.contains("NULL"), "{text}");
    // A part that is not a Payload (field 0; a truncated field): malformed, naming its index,
    // as tpc_codec_encode names the index in a framed batch.
    for bad in [&b"\x02\x01\x00"[..], &b"\x12\x05ab"[..]] {
        let bad_slice = tpc_slice {
            data: bad.as_ptr(),
            len: bad.len(),
        };
        let (status, text) = encode_parts(codec, &[good, bad_slice, good]).unwrap_err();
        assert_eq!(status, TPC_ERR_MALFORMED_INPUT);
        assert!(text.starts_with("payload 1: "), "{text}");
        let mut framed = plain.clone();
        framed.extend([0x0a, bad.len() as u8]);
        framed.extend(bad);
        let mut err = empty();
        // SAFETY: valid codec, input and buffers.
        let st = unsafe { tpc_codec_encode(codec, framed.as_ptr(), framed.len(), &mut out, &mut err) };
        assert_eq!(st, TPC_ERR_MALFORMED_INPUT);
        let framed_text = message(&mut err);
        assert!(framed_text.starts_with("payload 1: "), "{framed_text}");
        let (_, text) = encode_parts(codec, &[good, bad_slice]).unwrap_err();
        assert_eq!(text, framed_text, "the same message as for the framed batch");
    }
    // SAFETY: built above, no longer used.
    unsafe { tpc_codec_free(codec) };
}

/// Runs one encode-into-a-workspace call, `call(out, err)`, and copies the viewed result out
/// before the workspace is used again.
fn take_view(
    call: impl FnOnce(&mut tpc_slice, &mut tpc_buffer) -> tpc_status,
) -> Result<Vec<u8>, (tpc_status, String)> {
    let mut out = tpc_slice {
        data: ptr::null(),
        len: 0,
    };
    let mut err = empty();
    let st = call(&mut out, &mut err);
    if st != TPC_OK {
        return Err((st, message(&mut err)));
    }
    if out.data.is_null() {
        assert_eq!(out.len, 0);
        return Ok(Vec::new());
    }
    // SAFETY: on success `out` views `len` bytes of the workspace, valid until its next use.
    Ok(unsafe { std::slice::from_raw_parts(out.data, out.len) }.to_vec())
}

/// Encodes through `tpc_workspace_encode`.
fn encode_with(
    codec: *const tpc_codec,
    ws: *mut tpc_workspace,
    input: &[u8],
) -> Result<Vec<u8>, (tpc_status, String)> {
    // SAFETY: a live codec (or NULL, refused), a live workspace (or NULL, refused) used by
    // this call only, valid input.
    take_view(|out, err| unsafe { tpc_workspace_encode(ws, codec, input.as_ptr(), input.len(), out, err) })
}

fn zlib_codec(level: u32) -> *mut tpc_codec {
    let mut codec: *mut tpc_codec = ptr::null_mut();
    // SAFETY: a fresh builder, consumed by build.
    unsafe {
        let b = tpc_codec_builder_new();
        assert_eq!(tpc_codec_builder_set_compression(b, TPC_COMPRESSION_ZLIB), TPC_OK);
        assert_eq!(tpc_codec_builder_set_zlib_level(b, level), TPC_OK);
        assert_eq!(tpc_codec_build(b, &mut codec, ptr::null_mut()), TPC_OK);
    }
    codec
}

/// A Payloads of `count` json/plain payloads of `size` bytes of compressible text.
fn text_batch(count: usize, size: usize) -> Vec<u8> {
    let text: Vec<u8> = b"{\"order\":12345,\"item\":\"widget\",\"qty\":7} "
        .iter()
        .copied()
        .cycle()
        .take(size)
        .collect();
    let mut payload = b"\x0a\x16\x0a\x08encoding\x12\x0ajson/plain\x12".to_vec();
    prost::encoding::encode_varint(size as u64, &mut payload);
    payload.extend_from_slice(&text);
    let mut element = vec![0x0a];
    prost::encoding::encode_varint(payload.len() as u64, &mut element);
    element.extend_from_slice(&payload);
    element.repeat(count)
}

#[test]
fn one_workspace_gives_what_encode_gives_across_calls_and_codecs() {
    let ws = tpc_workspace_new();
    let codecs = [
        c_codec(TPC_COMPRESSION_SNAPPY, false),
        zlib_codec(1),
        zlib_codec(9),
        c_codec(TPC_COMPRESSION_SNAPPY_RAW, false),
        c_codec(TPC_COMPRESSION_NONE, false),
    ];
    // Large, then small, then large again: a shrinking result must not keep stale bytes.
    let batches = [
        text_batch(1, 1 << 20),
        sample(),
        Vec::new(),
        text_batch(16, 4096),
        text_batch(3, 70_000),
    ];
    for &codec in &codecs {
        for batch in &batches {
            let expected = c_call(tpc_codec_encode, codec, batch).unwrap();
            assert_eq!(encode_with(codec, ws, batch).unwrap(), expected);
        }
    }
    // SAFETY: live workspace, not in use.
    let held = unsafe { tpc_workspace_capacity(ws) };
    assert!(held >= (1 << 20) / 4, "held {held} bytes after a 1 MiB batch");
    // SAFETY: live codecs and workspace, released once.
    unsafe {
        for codec in codecs {
            tpc_codec_free(codec);
        }
        tpc_workspace_free(ws);
        tpc_workspace_free(ptr::null_mut());
        assert_eq!(tpc_workspace_capacity(ptr::null()), 0);
    }
}

#[test]
fn encode_with_errors_leave_the_workspace_usable() {
    let ws = tpc_workspace_new();
    let codec = c_codec(TPC_COMPRESSION_SNAPPY, true);
    let (st, msg) = encode_with(codec, ws, b"\x0a\x05\x0a").unwrap_err();
    assert_eq!(st, TPC_ERR_MALFORMED_INPUT, "{msg}");
    let (st, msg) = encode_with(codec, ptr::null_mut(), &sample()).unwrap_err();
    assert_eq!((st, msg.as_str()), (TPC_ERR_NULL_ARGUMENT, "workspace is NULL"));
    let mut err = empty();
    // SAFETY: NULL `out` is refused before anything is read or written.
    let st = unsafe { tpc_workspace_encode(ws, codec, ptr::null(), 0, ptr::null_mut(), &mut err) };
    assert_eq!(
        (st, message(&mut err).as_str()),
        (TPC_ERR_NULL_ARGUMENT, "out is NULL")
    );
    let (st, msg) = encode_with(ptr::null(), ws, &sample()).unwrap_err();
    assert_eq!((st, msg.as_str()), (TPC_ERR_NULL_ARGUMENT, "codec is NULL"));
    let (st, msg) = encode_with(codec, ws, &[0x0a, 0x05]).unwrap_err();
    assert_eq!(st, TPC_ERR_MALFORMED_INPUT, "{msg}");
    // Still usable, and encrypting (fresh nonces): it must decode back.
    let encoded = encode_with(codec, ws, &sample()).unwrap();
    assert_eq!(c_call(tpc_codec_decode, codec, &encoded).unwrap(), sample());
    // SAFETY: live codec and workspace, released once.
    unsafe {
        tpc_codec_free(codec);
        tpc_workspace_free(ws);
    }
}

#[test]
fn the_empty_key_id_is_an_id() {
    // Temporal's Go encryption sample writes `encryption-key-id: ""`: an id given as (NULL, 0)
    // or as an empty string encrypts and decrypts, and the payload says so.
    let key = [0x17u8; 32];
    let mut codec: *mut tpc_codec = ptr::null_mut();
    let mut err = empty();
    // SAFETY: a fresh builder, consumed by build; valid key.
    unsafe {
        let b = tpc_codec_builder_new();
        assert_eq!(
            tpc_codec_builder_add_key(b, b"".as_ptr(), 0, key.as_ptr(), key.len()),
            TPC_OK
        );
        assert_eq!(tpc_codec_builder_set_encryption_key_id(b, ptr::null(), 0), TPC_OK);
        assert_eq!(tpc_codec_build(b, &mut codec, &mut err), TPC_OK);
    }
    let encoded = c_call(tpc_codec_encode, codec, &sample()).unwrap();
    let empty_id = b"\x0a\x15\x0a\x11encryption-key-id\x12\x00";
    assert!(
        encoded.windows(empty_id.len()).any(|w| w == empty_id),
        "{encoded:?}"
    );
    assert_eq!(c_call(tpc_codec_decode, codec, &encoded).unwrap(), sample());
    // SAFETY: built above, no longer used.
    unsafe { tpc_codec_free(codec) };
}

#[test]
fn the_soname_and_the_header_carry_one_abi_version() {
    let build = include_str!("../build.rs");
    assert!(
        build.contains(&format!("const ABI_VERSION: u32 = {TPC_ABI_VERSION};")),
        "build.rs's SONAME version must equal TPC_ABI_VERSION ({TPC_ABI_VERSION})"
    );
    let header = include_str!("../include/temporal_payload_codec.h");
    assert!(header.contains(&format!("#define TPC_ABI_VERSION {TPC_ABI_VERSION}\n")));
    assert!(header.contains(&format!("libtemporal_payload_codec.so.{TPC_ABI_VERSION}")));
}
