//! Instructions per payload for decoding the 100 x 200 B batch, under callgrind (which counts
//! instructions, so the figure is stable on a noisy shared machine). Two modes:
//!
//!   ours    the default codec's decode of the encoded batch through `tpc_codec_decode`
//!   floor   a reused raw snappy block decoder on the same payloads (no framing, no CRC)
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
use temporal_payload_codec::ffi::{tpc_buffer, tpc_buffer_free, tpc_decode, TPC_OK};
use temporal_payload_codec::Codec;

fn empty() -> tpc_buffer {
    tpc_buffer {
        data: std::ptr::null_mut(),
        len: 0,
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(100);
    let batch = bench_data::batch(100, 200);
    let encoded = Codec::default().encode(&batch).expect("encode the batch");
    match mode.as_str() {
        "ours" => {
            for _ in 0..=rounds {
                let (mut out, mut err) = (empty(), empty());
                // SAFETY: `encoded` is a live slice; `out` and `err` are writable buffers that
                // are freed right after.
                let status = unsafe { tpc_decode(encoded.as_ptr(), encoded.len(), &mut out, &mut err) };
                assert_eq!(status, TPC_OK);
                black_box(out.len);
                // SAFETY: both were filled (or left empty) by the library.
                unsafe {
                    tpc_buffer_free(&mut out);
                    tpc_buffer_free(&mut err);
                }
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
            eprintln!("usage: decode_instructions ours|floor [ROUNDS]");
            std::process::exit(2);
        }
    }
}
