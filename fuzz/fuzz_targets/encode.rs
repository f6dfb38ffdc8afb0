//! Encoding as the bindings do it, through the C ABI: `tpc_codec_encode`, `tpc_workspace_encode`
//! with one `tpc_workspace` reused across iterations (as Go and Java keep one per thread),
//! and the scatter-gather `tpc_codec_encode_gather` over the batch's payloads (or, for
//! malformed input, over whatever bytes they are). All three must give the same bytes
//! (for an encrypting codec, bytes that decode the same), or the same error; decoding the
//! result must give what decoding the input gives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Mutex;
use temporal_payload_codec::TPC_ERR_LIMIT_EXCEEDED;
use temporal_payload_codec_fuzz::{
    checked_decode, codec, encode, encode_bound, encode_payloads, frame, parts, slices, Config, Outcome,
    Workspace,
};

static WORKSPACE: Mutex<Option<Workspace>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let config = Config::from_selector(selector);
    let codec = codec(&config);
    let parts = parts(input);
    let framed = frame(&parts);

    if framed != input {
        // Not a plain list of payloads: the framed call alone sees these bytes. Count every
        // two bytes as a payload, the most a Payloads of this size can hold.
        let budget = encode_bound(input.len(), input.len() / 2 + 1);
        let _ = encode(codec, input, budget);
    }
    let budget = encode_bound(framed.len(), parts.len());
    let (whole, _) = encode(codec, &framed, budget);
    let slices = slices(&parts, selector & 0x10 != 0);
    let (gathered, _) = encode_payloads(codec, &slices, budget);
    let with_ws = {
        let mut ws = WORKSPACE.lock().unwrap();
        if selector & 0x20 != 0 {
            *ws = None;
        }
        let ws = ws.get_or_insert_with(Workspace::new);
        ws.encode(codec, &framed, budget).0
    };

    let same = |name: &str, other: &Outcome| match (&whole, other) {
        (Ok(a), Ok(b)) if config.encrypts() => {
            // Fresh nonces: compare what they decode to.
            assert_eq!(a.len(), b.len(), "{name}: encrypted lengths differ");
            assert!(
                checked_decode(codec, &config, a) == checked_decode(codec, &config, b),
                "{name}: decodes differently"
            );
        }
        (Ok(a), Ok(b)) => assert!(a == b, "{name} differs from tpc_codec_encode"),
        (a, b) => assert_eq!(a.as_ref().err(), b.as_ref().err(), "{name}: status differs"),
    };
    same("tpc_codec_encode_gather", &gathered);
    same("tpc_workspace_encode", &with_ws);

    let Ok(encoded) = whole else { return };
    // Encoding adds one layer and decoding peels them all: the same payloads come back,
    // unless the extra layer crossed a limit (nesting depth, the per-call total).
    match (
        checked_decode(codec, &config, &framed),
        checked_decode(codec, &config, &encoded),
    ) {
        (Ok(plain), Ok(round)) => assert!(round == plain, "decode(encode(x)) != decode(x)"),
        (Ok(_), Err(e)) => assert_eq!(
            e.status, TPC_ERR_LIMIT_EXCEEDED,
            "decoding our own encoding: {}",
            e.message
        ),
        (Err(e), Ok(_)) => panic!("decode(x) failed ({}) but decode(encode(x)) succeeded", e.message),
        (Err(_), Err(_)) => {}
    }
});
