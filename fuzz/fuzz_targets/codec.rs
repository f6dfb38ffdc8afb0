//! Any bytes, through every codec configuration: decode must return Ok or a clean error, never
//! panic or over-allocate. Encoding adds one layer and decode peels every known layer, so
//! decode(encode(x)) is decode(x), or a depth-limit error when x already has the maximum.
#![no_main]

use libfuzzer_sys::fuzz_target;
use temporal_payload_codec::{Codec, CodecBuilder, Compression, ErrorKind};

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
    // A small limit, so the fuzzer reaches the limit checks and never allocates much.
    b.max_decoded_size(1 << 20).unwrap();
    if selector & 8 != 0 {
        b.add_key("fuzz-key", &KEY).unwrap();
        b.encryption_key("fuzz-key").unwrap();
    }
    b.build().unwrap()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let codec = codec(selector);
    let plain = codec.decode(input);
    let Ok(encoded) = codec.encode(input) else { return };
    match (plain, codec.decode(&encoded)) {
        (Ok(plain), Ok(round)) => assert!(round == plain, "decode(encode(x)) != decode(x)"),
        (Ok(_), Err(e)) => assert!(
            e.kind() == ErrorKind::LimitExceeded,
            "decode of our own encoding: {e}"
        ),
        (Err(_), Ok(_)) => panic!("decode(x) failed but decode(encode(x)) succeeded"),
        (Err(_), Err(_)) => {}
    }
});
