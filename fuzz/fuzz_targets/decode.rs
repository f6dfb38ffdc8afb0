//! Decoding as the bindings do it, through the C ABI: `tpc_codec_decode`, and
//! `tpc_codec_decode_into` with the size-query-and-retry loop the Go binding runs, starting
//! from the capacity the selector's high nibble picks. Both must agree byte for byte (or on
//! the status and message), the loop must settle within the calls the header promises, and
//! no call may add more heap than README.md's bound (fuzz/src/lib.rs, `decode_bound`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use temporal_payload_codec::TPC_OK;
use temporal_payload_codec_fuzz::{
    check_decode_peak, checked_decode, codec, decode_bound, decode_into_once, Config, Failure,
};

/// The first capacity to offer: mostly the documented (NULL, 0) query, otherwise sizes
/// around the real result, so the "too small" and "more than enough" paths run too.
fn first_capacity(mode: u8, decoded: Option<usize>) -> usize {
    let n = decoded.unwrap_or(64);
    match mode & 7 {
        0 | 1 => 0,
        2 => n.saturating_sub(1),
        3 => n,
        4 => n + 1,
        5 => n / 2,
        6 => 64,
        _ => n + 4096,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let config = Config::from_selector(selector);
    let codec = codec(&config);
    let plain = checked_decode(codec, &config, input);

    let keyed = config.encrypts();
    let budget = decode_bound(input, None, keyed);
    let mut dst = vec![0xa5; first_capacity(selector >> 4, plain.as_ref().ok().map(Vec::len))];
    // The header's promise: one query and one decode, and one retry more when a payload holds
    // zlib or nested layers, whose size the headers cannot tell.
    let mut calls = 0;
    let into: Result<Vec<u8>, Failure> = loop {
        calls += 1;
        let (result, peak) = decode_into_once(codec, input, &mut dst, budget);
        let fits = |&n: &usize| n <= dst.len();
        let output = result.as_ref().ok().copied().filter(fits);
        check_decode_peak("tpc_codec_decode_into", peak, input, output, keyed);
        match result {
            Ok(n) if n > dst.len() => {
                assert!(
                    calls < 3,
                    "decode_into still asks for more after {calls} calls ({n} bytes)"
                );
                // Initialized memory, as the contract asks, with values the decode must
                // overwrite rather than keep.
                dst = vec![0x5a; n];
            }
            Ok(n) => break Ok(dst[..n].to_vec()),
            Err(e) => {
                assert!(e.status != TPC_OK);
                break Err(e);
            }
        }
    };
    assert!(
        into == plain,
        "decode_into and decode disagree: {:?} vs {:?}",
        into.as_ref().map(Vec::len),
        plain.as_ref().map(Vec::len)
    );
});
