//! One third of `benches/engines/run.sh`: the raw snappy engines alone, without framing, CRC,
//! protobuf or any binding. This one times the Rust `snap` crate (what the core runs).
//!
//! Usage: cargo run --release --example engine_snap -- BATCH_DIR ROUNDS
//! For each batch, every serialized payload cut into 64 KiB pieces (the framing format's
//! chunks) is compressed and decompressed as raw blocks with reused encoder, decoder and
//! buffers; each round times the whole batch, and the best round is printed as
//! `engine<TAB>batch<TAB>compress_ns<TAB>decompress_ns`.

#[path = "bench_data.rs"]
#[allow(dead_code)]
mod bench_data;

use std::hint::black_box;
use std::time::Instant;

/// The serialized payloads of a serialized `Payloads`, cut into framing-sized pieces.
fn chunks(batch: &[u8]) -> Vec<Vec<u8>> {
    bench_data::split(batch)
        .iter()
        .flat_map(|payload| payload.chunks(65536).map(<[u8]>::to_vec))
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (dir, rounds) = match &args[..] {
        [_, dir, rounds] => (dir, rounds.parse::<usize>().expect("ROUNDS is a number")),
        _ => panic!("usage: engine_snap BATCH_DIR ROUNDS"),
    };
    for name in ["100x200", "16x4096", "4x65536", "1x1048576"] {
        let batch = std::fs::read(format!("{dir}/batch-{name}.bin")).expect("bench_data's output");
        let pieces = chunks(&batch);
        let mut enc = snap::raw::Encoder::new();
        let mut dec = snap::raw::Decoder::new();
        let mut scratch = vec![0u8; snap::raw::max_compress_len(65536)];
        let mut back = vec![0u8; 65536];
        let blocks: Vec<Vec<u8>> = pieces.iter().map(|p| enc.compress_vec(p).unwrap()).collect();
        let (mut best_c, mut best_d) = (u128::MAX, u128::MAX);
        for _ in 0..rounds {
            let t = Instant::now();
            for p in &pieces {
                black_box(enc.compress(p, &mut scratch).unwrap());
            }
            best_c = best_c.min(t.elapsed().as_nanos());
            let t = Instant::now();
            for b in &blocks {
                black_box(dec.decompress(b, &mut back).unwrap());
            }
            best_d = best_d.min(t.elapsed().as_nanos());
        }
        println!("snap\t{name}\t{best_c}\t{best_d}");
    }
}
