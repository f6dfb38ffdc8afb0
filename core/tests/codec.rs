//! Behaviour of the codec through its Rust API: losslessness, chains, bad input, limits,
//! keys, concurrency. Compatibility with the real peers is in tests/reference_python.rs.

use proptest::prelude::*;
use prost::encoding::encode_varint;
use std::collections::HashSet;
use temporal_payload_codec_core::{Codec, Compression, ErrorKind};

const KEY_A: [u8; 32] = [0xA1; 32];
const KEY_B: [u8; 32] = [0xB2; 32];

fn len_field(tag: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    encode_varint(bytes.len() as u64, &mut out);
    out.extend_from_slice(bytes);
    out
}

/// A serialized Payload with the given metadata and data (and optional raw extra fields).
fn payload(metadata: &[(&str, &[u8])], data: &[u8], extra: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in metadata {
        out.extend(len_field(
            0x0a,
            &[len_field(0x0a, k.as_bytes()), len_field(0x12, v)].concat(),
        ));
    }
    if !data.is_empty() {
        out.extend(len_field(0x12, data));
    }
    out.extend_from_slice(extra);
    out
}

fn payloads(items: &[Vec<u8>]) -> Vec<u8> {
    items.iter().flat_map(|p| len_field(0x0a, p)).collect()
}

fn json(data: &[u8]) -> Vec<u8> {
    payload(&[("encoding", b"json/plain")], data, &[])
}

/// `external_payloads` (field 3) with size_bytes = 1234, then an unknown field 15.
const EXTRA_FIELDS: &[u8] = &[0x1a, 0x03, 0x08, 0xd2, 0x09, 0x7a, 0x02, b'h', b'i'];

fn codec(configure: impl FnOnce(&mut temporal_payload_codec_core::CodecBuilder)) -> Codec {
    let mut b = Codec::builder();
    configure(&mut b);
    b.build().unwrap()
}

fn encrypting(compression: Compression, id: &str, key: &[u8; 32]) -> Codec {
    codec(|b| {
        b.compression(compression);
        b.add_key(id, key).unwrap();
        b.encryption_key_id(id);
    })
}

fn all_codecs() -> Vec<Codec> {
    let mut codecs = vec![Codec::default()];
    for c in [
        Compression::None,
        Compression::Snappy,
        Compression::SnappyRaw,
        Compression::Zlib,
    ] {
        codecs.push(codec(|b| {
            b.compression(c);
        }));
        codecs.push(codec(|b| {
            b.compression(c).only_if_smaller(true);
        }));
        codecs.push(encrypting(c, "k", &KEY_A));
    }
    codecs
}

/// Splits a serialized Payloads into its elements, for inspecting encoder output.
fn elements(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        assert_eq!(bytes[0], 0x0a);
        bytes = &bytes[1..];
        let len = prost::encoding::decode_varint(&mut bytes).unwrap() as usize;
        out.push(bytes[..len].to_vec());
        bytes = &bytes[len..];
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_codec_round_trips_losslessly(
        datas in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..3000), 0..6),
        extra in any::<bool>(),
        repeat in any::<bool>(),
    ) {
        let items: Vec<Vec<u8>> = datas
            .iter()
            .map(|d| {
                let d = if repeat { d.repeat(20) } else { d.clone() };
                payload(&[("encoding", b"binary/plain"), ("x-trace", b"abc")], &d, if extra { EXTRA_FIELDS } else { &[] })
            })
            .collect();
        let input = payloads(&items);
        for codec in all_codecs() {
            let encoded = codec.encode(&input).unwrap();
            prop_assert_eq!(elements(&encoded).len(), items.len());
            prop_assert_eq!(codec.decode(&encoded).unwrap(), input.clone(), "{:?}", codec);
            prop_assert_eq!(decode_to_loop(&codec, &encoded), Ok(input.clone()), "{:?}", codec);
        }
    }

    /// The encoder compresses in place behind room for the wrapper's header and moves the data
    /// when the header comes out shorter or longer; sizes here straddle the one-, two- and
    /// three-byte lengths where that happens, with incompressible and compressible data.
    #[test]
    fn default_encode_is_snap_framing_in_the_reference_wrapper(
        datas in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..2000), 0..6),
        repeat in 1usize..40,
    ) {
        let items: Vec<Vec<u8>> = datas.iter().map(|d| json(&d.repeat(repeat))).collect();
        let wrapped: Vec<Vec<u8>> = items
            .iter()
            .map(|p| {
                let mut framed = Vec::new();
                {
                    use std::io::Write;
                    let mut w = snap::write::FrameEncoder::new(&mut framed);
                    w.write_all(p).unwrap();
                }
                payload(&[("encoding", b"binary/snappy")], &framed, &[])
            })
            .collect();
        prop_assert_eq!(Codec::default().encode(&payloads(&items)).unwrap(), payloads(&wrapped));
    }

    #[test]
    fn encode_payloads_equals_encode_of_the_framed_batch(
        datas in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..3000), 0..6),
        repeat in any::<bool>(),
    ) {
        let items: Vec<Vec<u8>> = datas
            .iter()
            .map(|d| payload(&[("encoding", b"binary/plain")], &d.repeat(if repeat { 20 } else { 1 }), &[]))
            .collect();
        let parts: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
        let input = payloads(&items);
        for codec in all_codecs() {
            let framed = codec.encode(&input).unwrap();
            let scattered = codec.encode_payloads(&parts).unwrap();
            if framed == codec.encode(&input).unwrap() {
                prop_assert_eq!(&scattered, &framed, "{:?}", codec);
            } else {
                // Encryption: fresh nonces, so compare what both decode to.
                prop_assert_eq!(scattered.len(), framed.len());
                prop_assert_eq!(codec.decode(&scattered).unwrap(), input.clone(), "{:?}", codec);
            }
        }
    }

    #[test]
    fn encode_payloads_refuses_what_encode_refuses(
        parts in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..4),
    ) {
        let slices: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let input = payloads(&parts);
        let codec = Codec::default();
        let framed = codec.encode(&input).map_err(|e| (e.kind(), e.message().to_owned()));
        let scattered = codec.encode_payloads(&slices).map_err(|e| (e.kind(), e.message().to_owned()));
        prop_assert_eq!(scattered, framed);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        for codec in all_codecs() {
            let _ = codec.encode(&bytes);
            // decode_to must agree with decode, success or failure, with any buffer size.
            let expected = codec.decode(&bytes).map_err(|e| e.kind());
            prop_assert_eq!(decode_to_loop(&codec, &bytes), expected);
            let mut small = vec![0u8; bytes.len() / 2];
            if let Ok(n) = codec.decode_to(&bytes, &mut small) {
                if n <= small.len() {
                    prop_assert_eq!(Ok(small[..n].to_vec()), codec.decode(&bytes).map_err(|e| e.kind()));
                }
            }
        }
    }
}

/// `Codec::decode_to` as its documentation says to call it: ask for the size, then retry
/// with what it reports until the result fits (at most twice more).
fn decode_to_loop(codec: &Codec, input: &[u8]) -> Result<Vec<u8>, ErrorKind> {
    let mut dst = Vec::new();
    for _ in 0..3 {
        let n = codec.decode_to(input, &mut dst).map_err(|e| e.kind())?;
        if n <= dst.len() {
            dst.truncate(n);
            return Ok(dst);
        }
        dst = vec![0x5a; n];
    }
    panic!("decode_to did not settle within 3 calls");
}

#[test]
fn unknown_fields_and_external_payloads_survive_byte_for_byte() {
    let input = payloads(&[payload(&[("encoding", b"json/plain")], b"{}", EXTRA_FIELDS)]);
    for codec in all_codecs() {
        let encoded = codec.encode(&input).unwrap();
        assert_eq!(codec.decode(&encoded).unwrap(), input);
    }
}

#[test]
fn empty_payloads_and_empty_payload() {
    assert_eq!(Codec::default().encode(&[]).unwrap(), Vec::<u8>::new());
    // One empty Payload: wrapped with no data field, as the reference does.
    let encoded = Codec::default().encode(&[0x0a, 0x00]).unwrap();
    assert_eq!(
        elements(&encoded),
        vec![payload(&[("encoding", b"binary/snappy")], b"", &[])]
    );
    assert_eq!(Codec::default().decode(&encoded).unwrap(), vec![0x0a, 0x00]);
}

#[test]
fn other_encodings_pass_through_decode_untouched() {
    let odd = payload(&[("encoding", b"binary/snappyX")], b"\xff\xff", EXTRA_FIELDS);
    let input = payloads(&[json(b"1"), odd, payload(&[], b"no metadata", &[])]);
    assert_eq!(Codec::default().decode(&input).unwrap(), input);
}

#[test]
fn layers_are_peeled_repeatedly_up_to_the_limit() {
    let mut bytes = payloads(&[json(b"\"deep\"")]);
    let original = bytes.clone();
    for _ in 0..temporal_payload_codec_core::MAX_LAYERS {
        bytes = Codec::default().encode(&bytes).unwrap();
    }
    assert_eq!(Codec::default().decode(&bytes).unwrap(), original);
    bytes = Codec::default().encode(&bytes).unwrap();
    let err = Codec::default().decode(&bytes).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
}

#[test]
fn malformed_input_is_refused_on_encode_and_decode() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated length", vec![0x0a, 0x05, 0x01]),
        ("bad wire type", vec![0x0f]),
        (
            "payload with truncated field",
            payloads(&[json(b"ok"), vec![0x12, 0x09, 0x00]]),
        ),
        (
            "payload with bad metadata entry",
            payloads(&[vec![0x0a, 0x02, 0x0a, 0x09]]),
        ),
    ];
    for (name, input) in cases {
        for result in [Codec::default().encode(&input), Codec::default().decode(&input)] {
            let err = result.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::MalformedInput, "{name}: {err}");
        }
    }
    let err = Codec::default()
        .encode(&payloads(&[json(b"ok"), vec![0x12, 0x09, 0x00]]))
        .unwrap_err();
    assert!(err.message().starts_with("payload 1:"), "names the index: {err}");
}

#[test]
fn corrupt_wrappers_name_the_payload_and_the_fault() {
    let good = Codec::default()
        .encode(&payloads(&[json(b"x"), json(&[b'y'; 500])]))
        .unwrap();
    let mut corrupted = good.clone();
    let last = corrupted.len() - 3;
    corrupted[last] ^= 0xff;
    let err = Codec::default().decode(&corrupted).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptPayload);
    assert!(err.message().starts_with("payload 1:"), "{err}");
    assert!(err.message().contains("snappy"), "{err}");

    // Snappy data that decodes, but to something that is not a Payload.
    let not_a_payload = payloads(&[payload(
        &[("encoding", b"binary/snappy")],
        &snap::raw::Encoder::new().compress_vec(&[0x12, 0x50]).unwrap(),
        &[],
    )]);
    let err = Codec::default().decode(&not_a_payload).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptPayload, "{err}");

    let bad_zlib = payloads(&[payload(&[("encoding", b"binary/zlib")], b"nonsense", &[])]);
    assert_eq!(
        Codec::default().decode(&bad_zlib).unwrap_err().kind(),
        ErrorKind::CorruptPayload
    );
}

#[test]
fn max_decoded_size_applies_to_every_layer() {
    let big = payloads(&[json(&vec![b'z'; 50_000])]);
    for compression in [Compression::Snappy, Compression::SnappyRaw, Compression::Zlib] {
        let encoded = codec(|b| {
            b.compression(compression);
        })
        .encode(&big)
        .unwrap();
        let small = codec(|b| {
            b.max_decoded_size(10_000).unwrap();
        });
        assert_eq!(
            small.decode(&encoded).unwrap_err().kind(),
            ErrorKind::LimitExceeded,
            "{compression:?}"
        );
    }
    let sealed = encrypting(Compression::None, "k", &KEY_A).encode(&big).unwrap();
    let small = codec(|b| {
        b.add_key("k", &KEY_A).unwrap();
        b.max_decoded_size(10_000).unwrap();
    });
    assert_eq!(
        small.decode(&sealed).unwrap_err().kind(),
        ErrorKind::LimitExceeded
    );
}

#[test]
fn compression_then_encryption_with_exact_metadata() {
    let input = payloads(&[json(&[b'q'; 2000])]);
    let encoded = encrypting(Compression::Zlib, "current", &KEY_A)
        .encode(&input)
        .unwrap();
    let outer = elements(&encoded).remove(0);
    let expected_prefix = payload(
        &[
            ("encoding", b"binary/encrypted"),
            ("encryption-key-id", b"current"),
        ],
        b"",
        &[],
    );
    assert!(
        outer.starts_with(&expected_prefix),
        "metadata is exactly encoding + key id"
    );
    // The sealed layer is smaller than the input: compression ran first.
    assert!(outer.len() < 2000);
    let only_compressed = codec(|b| {
        b.compression(Compression::Zlib);
    });
    let zlib_prefix = payload(&[("encoding", b"binary/zlib")], b"", &[]);
    assert!(elements(&only_compressed.encode(&input).unwrap())[0].starts_with(&zlib_prefix));
}

#[test]
fn only_if_smaller_keeps_incompressible_payloads() {
    let tiny = payloads(&[json(b"1")]);
    for compression in [Compression::Snappy, Compression::Zlib] {
        let keep = codec(|b| {
            b.compression(compression).only_if_smaller(true);
        });
        assert_eq!(keep.encode(&tiny).unwrap(), tiny, "{compression:?}");
        let always = codec(|b| {
            b.compression(compression);
        });
        assert_ne!(always.encode(&tiny).unwrap(), tiny);
    }
}

#[test]
fn key_rotation_old_keys_decrypt_new_key_encrypts() {
    let input = payloads(&[json(b"\"rotated\"")]);
    let old = encrypting(Compression::Snappy, "2025", &KEY_A)
        .encode(&input)
        .unwrap();
    let rotated = codec(|b| {
        b.add_key("2025", &KEY_A).unwrap();
        b.add_key("2026", &KEY_B).unwrap();
        b.encryption_key_id("2026");
        b.compression(Compression::Zlib);
    });
    assert_eq!(rotated.decode(&old).unwrap(), input);
    let new = rotated.encode(&input).unwrap();
    assert!(new.windows(4).any(|w| w == b"2026"));
    assert_eq!(rotated.decode(&new).unwrap(), input);

    let only_old = codec(|b| {
        b.add_key("2025", &KEY_A).unwrap();
    });
    let err = only_old.decode(&new).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownKey);
    assert!(err.message().contains("\"2026\""), "names the id: {err}");

    let wrong_bytes = codec(|b| {
        b.add_key("2026", &KEY_A).unwrap();
    });
    assert_eq!(
        wrong_bytes.decode(&new).unwrap_err().kind(),
        ErrorKind::DecryptFailed
    );
}

#[test]
fn tampering_with_any_byte_fails_cleanly() {
    let input = payloads(&[json(b"\"tamper me\"")]);
    let c = encrypting(Compression::Snappy, "key-1", &KEY_A);
    let encoded = c.encode(&input).unwrap();
    let outer = elements(&encoded).remove(0);
    let data_at = outer.len() - (12 + 16 + elements(&Codec::default().encode(&input).unwrap())[0].len());
    for i in 0..outer.len() {
        let mut bad = outer.clone();
        bad[i] ^= 0x01;
        let result = c.decode(&payloads(&[bad]));
        let in_key_id = outer[..data_at]
            .windows(5)
            .position(|w| w == b"key-1")
            .map(|p| (p..p + 5).contains(&i));
        match result {
            Err(e) => assert!(
                matches!(
                    e.kind(),
                    ErrorKind::DecryptFailed | ErrorKind::UnknownKey | ErrorKind::MalformedInput
                ),
                "byte {i}: {e}"
            ),
            // Flipping a bit of the metadata key or label may turn the payload into one we do
            // not decrypt: it must then come back untouched, never as wrong plaintext.
            Ok(out) => assert_ne!(
                out, input,
                "byte {i} (key id: {in_key_id:?}) decoded to the plaintext"
            ),
        }
    }
}

#[test]
fn java_sample_cipher_metadata() {
    let input = payloads(&[json(b"\"java\"")]);
    let sealed = elements(&encrypting(Compression::None, "j", &KEY_A).encode(&input).unwrap()).remove(0);
    let data = &sealed[sealed.len() - (12 + 16 + elements(&input)[0].len())..];
    let reader = codec(|b| {
        b.add_key("j", &KEY_A).unwrap();
    });
    let with_cipher = |cipher: &[u8]| {
        payloads(&[payload(
            &[
                ("encoding", b"binary/encrypted"),
                ("encryption-key-id", b"j"),
                ("encryption-cipher", cipher),
            ],
            data,
            &[],
        )])
    };
    assert_eq!(reader.decode(&with_cipher(b"AES/GCM/NoPadding")).unwrap(), input);
    let err = reader.decode(&with_cipher(b"AES/CBC/PKCS5Padding")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DecryptFailed);
    assert!(err.message().contains("AES/CBC/PKCS5Padding"));
}

#[test]
fn nonces_never_repeat() {
    let input = payloads(&vec![json(b"same"); 100]);
    let c = encrypting(Compression::None, "n", &KEY_A);
    let mut seen = HashSet::new();
    for _ in 0..100 {
        for p in elements(&c.encode(&input).unwrap()) {
            let nonce_at = p.len() - (12 + 16 + json(b"same").len());
            assert!(seen.insert(p[nonce_at..nonce_at + 12].to_vec()), "nonce repeated");
        }
    }
    assert_eq!(seen.len(), 10_000);
}

#[test]
fn one_codec_hammered_from_eight_threads() {
    let c = encrypting(Compression::Snappy, "t", &KEY_A);
    let inputs: Vec<Vec<u8>> = (0..8)
        .map(|t| payloads(&vec![json(&vec![b'a' + t as u8; 3000]); 5]))
        .collect();
    std::thread::scope(|s| {
        for input in &inputs {
            let c = &c;
            s.spawn(move || {
                for _ in 0..300 {
                    let encoded = c.encode(input).unwrap();
                    assert_eq!(&c.decode(&encoded).unwrap(), input);
                }
            });
        }
    });
}
