//! Instructions per payload for decoding the 100 x 200 B batch, under callgrind (which counts
//! instructions, so the figure is stable on a noisy shared machine). Three modes:
//!
//!   ours    the default codec's decode of the encoded batch (`Codec::decode`, what the C
//!           ABI's `tpc_decode` runs)
//!   floor   a reused raw snappy block decoder on the same payloads (no framing, no CRC)
//!   encode  the default codec's encode of the batch (`Codec::encode`), to check that an
//!           encoder change costs small payloads nothing
//!
//! Each mode runs ROUNDS times after one warm-up round, so the per-payload figure is
//! (Ir of ROUNDS=R2 - Ir of ROUNDS=R1) / ((R2 - R1) * 100): setup and process start cancel out.
//!
//!   cargo build --release --example decode_instructions
//!   for r in 100 300; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/decode_instructions ours $r 2>&1 | grep 'refs:'; done
//! (and the same with `floor`).

#[path = "bench_data.rs"]
#[allow(dead_code)]
mod bench_data;

use std::hint::black_box;
use temporal_payload_codec_core::Codec;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(100);
    let batch = bench_data::batch(100, 200);
    let encoded = Codec::default().encode(&batch).expect("encode the batch");
    match mode.as_str() {
        "ours" => {
            let codec = Codec::default();
            for _ in 0..=rounds {
                black_box(codec.decode(&encoded).expect("decode"));
            }
        }
        "encode" => {
            let codec = Codec::default();
            for _ in 0..=rounds {
                black_box(codec.encode(&batch).expect("encode"));
            }
        }
        "floor" => {
            let mut enc = snap::raw::Encoder::new();
            let blocks: Vec<Vec<u8>> = (0..100)
                .map(|i| enc.compress_vec(&bench_data::payload(i, 200)).unwrap())
                .collect();
            let mut dec = snap::raw::Decoder::new();
            let mut scratch = vec![0u8; 256];
            for _ in 0..=rounds {
                for b in &blocks {
                    black_box(dec.decompress(b, &mut scratch).unwrap());
                }
            }
        }
        _ => {
            eprintln!("usage: decode_instructions ours|floor|encode [ROUNDS]");
            std::process::exit(2);
        }
    }
}
