//! Any bytes, through every codec configuration of the Rust API (what the codec server calls):
//! decode must return Ok or a clean error, never panic or hold more heap than its bound.
//! Encoding adds one layer and decode peels every known layer, so decode(encode(x)) is
//! decode(x), or a limit error when the extra layer crosses one (depth, per-call total).
#![no_main]

use libfuzzer_sys::fuzz_target;
use temporal_payload_codec_core::{Codec, CodecBuilder, Compression, ErrorKind};
use temporal_payload_codec_fuzz::{
    check_decode_peak, decode_bound, metered, MAX_DECODED_SIZE, MAX_TOTAL_DECODED_SIZE,
};

const KEY: [u8; 32] = [7; 32];

fn codec(selector: u8) -> Codec {
    let mut b = CodecBuilder::new();
    let compression = match selector & 3 {
        0 => Compression::None,
        1 => Compression::Snappy,
        2 => Compression::SnappyRaw,
        _ => Compression::Zlib,
    };
    b.compression(compression).only_if_smaller(selector & 4 != 0);
    b.max_decoded_size(MAX_DECODED_SIZE).unwrap();
    b.max_total_decoded_size(MAX_TOTAL_DECODED_SIZE).unwrap();
    if selector & 8 != 0 {
        b.add_key("fuzz-key", &KEY).unwrap();
        b.encryption_key_id("fuzz-key");
    }
    b.build().unwrap()
}

fn decode(codec: &Codec, keyed: bool, input: &[u8]) -> temporal_payload_codec_core::Result<Vec<u8>> {
    let (result, peak) = metered("Codec::decode", decode_bound(input, None, keyed), || {
        codec.decode(input)
    });
    check_decode_peak(
        "Codec::decode",
        peak,
        input,
        result.as_ref().ok().map(Vec::len),
        keyed,
    );
    result
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let codec = codec(selector);
    let keyed = selector & 8 != 0;
    let plain = decode(&codec, keyed, input);
    let Ok(encoded) = codec.encode(input) else { return };
    match (plain, decode(&codec, keyed, &encoded)) {
        (Ok(plain), Ok(round)) => assert!(round == plain, "decode(encode(x)) != decode(x)"),
        (Ok(_), Err(e)) => assert!(
            e.kind() == ErrorKind::LimitExceeded,
            "decode of our own encoding: {e}"
        ),
        (Err(_), Ok(_)) => panic!("decode(x) failed but decode(encode(x)) succeeded"),
        (Err(_), Err(_)) => {}
    }
});
