//! Side-by-side benchmark of the core, in one run, reported as ratios (these machines are
//! shared and noisy, so absolute times matter less than the ratios measured together).
//!
//!     cargo bench --bench codec            (writes the markdown tables to stdout)
//!
//! Snappy: this library through its C ABI against (a) snap's FrameEncoder/FrameDecoder, the
//! engine behind cramjam, one instance per payload as cramjam makes, and (b) the floor: a
//! reused raw snap block encoder/decoder on the same payload bytes, no framing, no CRC.
//! Encryption: our encrypt-only codec against aes-gcm's raw seal/open on the same bytes.
//! zlib: our zlib codec (zlib-rs) against C zlib at level 6, the SDKs' level.

#[path = "tools/bench_data.rs"]
#[allow(dead_code)]
mod bench_data;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use bench_data::split;
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::io::{Read, Write};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};
use temporal_payload_codec::*;
use temporal_payload_codec_core::{Codec, Compression};

/// Counts live heap bytes, to report the peak memory of one call.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(now, Relaxed);
        // SAFETY: same layout contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(p, layout) }
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        let now = if new > layout.size() {
            LIVE.fetch_add(new - layout.size(), Relaxed) + new - layout.size()
        } else {
            LIVE.fetch_sub(layout.size() - new, Relaxed) - (layout.size() - new)
        };
        PEAK.fetch_max(now, Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(p, layout, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Median time per call of each contender, measured in interleaved rounds so that a noisy
/// neighbour slows all contenders alike.
fn race(contenders: &mut [&mut dyn FnMut()]) -> Vec<Duration> {
    const ROUNDS: usize = 15;
    const ROUND: Duration = Duration::from_millis(40);
    let mut per_call: Vec<Vec<Duration>> = vec![Vec::new(); contenders.len()];
    let mut iterations = vec![1u32; contenders.len()];
    for (i, f) in contenders.iter_mut().enumerate() {
        let start = Instant::now();
        while start.elapsed() < ROUND / 4 {
            f();
            iterations[i] += 1;
        }
        iterations[i] = (iterations[i] * 4).max(1);
    }
    for _ in 0..ROUNDS {
        for (i, f) in contenders.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..iterations[i] {
                f();
            }
            per_call[i].push(start.elapsed() / iterations[i]);
        }
    }
    per_call
        .into_iter()
        .map(|mut v| {
            v.sort();
            v[v.len() / 2]
        })
        .collect()
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}x", a.as_secs_f64() / b.as_secs_f64())
}

fn empty() -> tpc_buffer {
    tpc_buffer {
        data: ptr::null_mut(),
        len: 0,
    }
}

/// One call through the C ABI, as a binding makes it (including the free).
fn via_c_abi(codec: *const tpc_codec, encode: bool, input: &[u8]) {
    let mut out = empty();
    // SAFETY: valid codec, input and buffer; the buffer is freed right after.
    unsafe {
        let f = if encode {
            tpc_codec_encode
        } else {
            tpc_codec_decode
        };
        assert_eq!(
            f(codec, input.as_ptr(), input.len(), &mut out, ptr::null_mut()),
            TPC_OK
        );
        black_box(out.len);
        tpc_buffer_free(&mut out);
    }
}

/// One encode through a workspace (`tpc_workspace_encode`), as the Go and Java bindings
/// make it: the view is read, nothing is freed.
fn via_workspace(codec: *const tpc_codec, ws: *mut tpc_workspace, input: &[u8]) {
    let mut out = tpc_slice {
        data: ptr::null(),
        len: 0,
    };
    // SAFETY: valid codec, workspace (used by this call only), input and out.
    unsafe {
        assert_eq!(
            tpc_workspace_encode(ws, codec, input.as_ptr(), input.len(), &mut out, ptr::null_mut()),
            TPC_OK
        );
    }
    black_box(out.len);
}

fn build(configure: impl FnOnce(*mut tpc_codec_builder)) -> *mut tpc_codec {
    let mut codec = ptr::null_mut();
    // SAFETY: a fresh builder, consumed by build.
    unsafe {
        let b = tpc_codec_builder_new();
        configure(b);
        assert_eq!(tpc_codec_build(b, &mut codec, ptr::null_mut()), TPC_OK);
    }
    codec
}

fn peak_of(f: impl FnOnce()) -> usize {
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    f();
    PEAK.load(Relaxed) - base
}

fn snappy_tables() {
    let default = build(|_| {});
    println!("### Snappy (default codec) through the C ABI\n");
    println!("| batch | ours encode | ours encode, workspace | floor encode | ours/floor | workspace/floor | FrameEncoder | ours/FrameEncoder | ours decode | floor decode | ours/floor | FrameDecoder | ours/FrameDecoder | peak heap / (in+out), encode · decode |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let ws = tpc_workspace_new();
    for (count, size) in bench_data::BATCHES {
        let batch = bench_data::batch(count, size);
        let items = split(&batch);
        let encoded = Codec::default().encode(&batch).unwrap();
        let mut raw_enc = snap::raw::Encoder::new();
        let mut raw_dec = snap::raw::Decoder::new();
        let mut scratch = vec![0u8; snap::raw::max_compress_len(size) + 64];
        let blocks: Vec<Vec<u8>> = items.iter().map(|p| raw_enc.compress_vec(p).unwrap()).collect();
        let framed: Vec<Vec<u8>> = items
            .iter()
            .map(|p| {
                let mut w = snap::write::FrameEncoder::new(Vec::new());
                w.write_all(p).unwrap();
                w.into_inner().unwrap()
            })
            .collect();

        let enc = race(&mut [
            &mut || via_c_abi(default, true, &batch),
            &mut || {
                for p in &items {
                    black_box(raw_enc.compress(p, &mut scratch).unwrap());
                }
            },
            &mut || {
                for p in &items {
                    let mut w = snap::write::FrameEncoder::new(Vec::new());
                    w.write_all(p).unwrap();
                    black_box(w.into_inner().unwrap());
                }
            },
            &mut || via_workspace(default, ws, &batch),
        ]);
        let dec = race(&mut [
            &mut || via_c_abi(default, false, &encoded),
            &mut || {
                for b in &blocks {
                    black_box(raw_dec.decompress(b, &mut scratch).unwrap());
                }
            },
            &mut || {
                for f in &framed {
                    let mut out = Vec::new();
                    snap::read::FrameDecoder::new(&f[..])
                        .read_to_end(&mut out)
                        .unwrap();
                    black_box(out);
                }
            },
        ]);
        let peak_enc = peak_of(|| via_c_abi(default, true, &batch));
        let peak_dec = peak_of(|| via_c_abi(default, false, &encoded));
        let io = (batch.len() + encoded.len()) as f64;
        println!(
            "| {count} x {size} B | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} · {:.2} |",
            us(enc[0]),
            us(enc[3]),
            us(enc[1]),
            ratio(enc[0], enc[1]),
            ratio(enc[3], enc[1]),
            us(enc[2]),
            ratio(enc[0], enc[2]),
            us(dec[0]),
            us(dec[1]),
            ratio(dec[0], dec[1]),
            us(dec[2]),
            ratio(dec[0], dec[2]),
            peak_enc as f64 / io,
            peak_dec as f64 / io,
        );
    }
    // SAFETY: built above, no longer used.
    unsafe {
        tpc_codec_free(default);
        tpc_workspace_free(ws);
    }
}

fn encryption_table() {
    let key = [0x11u8; 32];
    let id = b"bench";
    let codec = build(|b| {
        // SAFETY: live builder, valid key and id.
        unsafe {
            tpc_codec_builder_set_compression(b, TPC_COMPRESSION_NONE);
            tpc_codec_builder_add_key(b, id.as_ptr(), id.len(), key.as_ptr(), key.len());
            tpc_codec_builder_set_encryption_key_id(b, id.as_ptr(), id.len());
        }
    });
    let cipher = Aes256Gcm::new_from_slice(&key).unwrap();
    println!("\n### Encryption only (AES-256-GCM) through the C ABI vs aes-gcm's raw seal/open\n");
    println!("| payload | ours encrypt | raw seal | ratio | ours decrypt | raw open | ratio | ours encrypt throughput |");
    println!("|---|---|---|---|---|---|---|---|");
    for size in [65536usize, 1 << 20] {
        let batch = bench_data::batch(1, size);
        let plain = split(&batch).remove(0);
        let mut sealed = Vec::new();
        let mut out = empty();
        // SAFETY: valid codec and buffers.
        unsafe {
            assert_eq!(
                tpc_codec_encode(codec, batch.as_ptr(), batch.len(), &mut out, ptr::null_mut()),
                TPC_OK
            );
            sealed.extend_from_slice(std::slice::from_raw_parts(out.data, out.len));
            tpc_buffer_free(&mut out);
        }
        let mut buf = plain.clone();
        let nonce = Nonce::from([7u8; 12]);
        let tag = cipher
            .encrypt_inout_detached(&nonce, &[], (&mut buf[..]).into())
            .unwrap();
        let ciphertext = buf.clone();
        let t = race(&mut [
            &mut || via_c_abi(codec, true, &batch),
            &mut || {
                let mut b = plain.clone();
                black_box(
                    cipher
                        .encrypt_inout_detached(&nonce, &[], (&mut b[..]).into())
                        .unwrap(),
                );
            },
            &mut || via_c_abi(codec, false, &sealed),
            &mut || {
                let mut b = ciphertext.clone();
                cipher
                    .decrypt_inout_detached(&nonce, &[], (&mut b[..]).into(), &Tag::from(tag))
                    .unwrap();
                black_box(b);
            },
        ]);
        println!(
            "| {} KiB | {} | {} | {} | {} | {} | {} | {:.0} MB/s |",
            size / 1024,
            us(t[0]),
            us(t[1]),
            ratio(t[0], t[1]),
            us(t[2]),
            us(t[3]),
            ratio(t[2], t[3]),
            size as f64 / t[0].as_secs_f64() / 1e6
        );
    }
    // SAFETY: built above, no longer used.
    unsafe { tpc_codec_free(codec) };
}

/// C zlib, the library the Java SDK (java.util.zip) and Python's zlib module use.
fn c_zlib_compress(input: &[u8], level: i32) -> Vec<u8> {
    let mut out_len = input.len() as libz_sys::uLong + input.len() as libz_sys::uLong / 1000 + 64;
    let mut out = vec![0u8; out_len as usize];
    // SAFETY: buffers sized as zlib's compressBound requires.
    let rc = unsafe {
        libz_sys::compress2(
            out.as_mut_ptr(),
            &mut out_len,
            input.as_ptr(),
            input.len() as libz_sys::uLong,
            level,
        )
    };
    assert_eq!(rc, libz_sys::Z_OK);
    out.truncate(out_len as usize);
    out
}

fn c_zlib_uncompress(input: &[u8], size: usize) -> Vec<u8> {
    let mut out = vec![0u8; size];
    let mut out_len = size as libz_sys::uLong;
    // SAFETY: `out` holds `size` bytes, the known decompressed size.
    let rc = unsafe {
        libz_sys::uncompress(
            out.as_mut_ptr(),
            &mut out_len,
            input.as_ptr(),
            input.len() as libz_sys::uLong,
        )
    };
    assert_eq!(rc, libz_sys::Z_OK);
    out
}

fn zlib_table() {
    let codec = build(|b| {
        // SAFETY: live builder.
        unsafe { tpc_codec_builder_set_compression(b, TPC_COMPRESSION_ZLIB) };
    });
    let ours = {
        let mut b = Codec::builder();
        b.compression(Compression::Zlib);
        b.build().unwrap()
    };
    println!(
        "\n### zlib: ours (zlib-rs, level 6) through the C ABI vs C zlib level 6 on the same payload bytes\n"
    );
    println!("| batch | ours encode | C zlib compress | ratio | ours decode | C zlib uncompress | ratio | compressed size ours / C zlib |");
    println!("|---|---|---|---|---|---|---|---|");
    for (count, size) in bench_data::BATCHES {
        let batch = bench_data::batch(count, size);
        let items = split(&batch);
        let encoded = ours.encode(&batch).unwrap();
        let c_compressed: Vec<Vec<u8>> = items.iter().map(|p| c_zlib_compress(p, 6)).collect();
        let c_size: usize = c_compressed.iter().map(Vec::len).sum();
        let t = race(&mut [
            &mut || via_c_abi(codec, true, &batch),
            &mut || {
                for p in &items {
                    black_box(c_zlib_compress(p, 6));
                }
            },
            &mut || via_c_abi(codec, false, &encoded),
            &mut || {
                for (c, p) in c_compressed.iter().zip(&items) {
                    black_box(c_zlib_uncompress(c, p.len()));
                }
            },
        ]);
        println!(
            "| {count} x {size} B | {} | {} | {} | {} | {} | {} | {} / {} |",
            us(t[0]),
            us(t[1]),
            ratio(t[0], t[1]),
            us(t[2]),
            us(t[3]),
            ratio(t[2], t[3]),
            split(&encoded)
                .iter()
                .map(|p| bench_data::data_of(p).len())
                .sum::<usize>(),
            c_size,
        );
    }
    // SAFETY: built above, no longer used.
    unsafe { tpc_codec_free(codec) };
}

fn main() {
    // `cargo test --benches` runs this with --bench absent: keep that a quick smoke run.
    if !std::env::args().any(|a| a == "--bench") {
        let batch = bench_data::batch(3, 4096);
        let codec = Codec::default();
        assert_eq!(codec.decode(&codec.encode(&batch).unwrap()).unwrap(), batch);
        println!("bench smoke run: ok (run `cargo bench --bench codec` for the tables)");
        return;
    }
    // One large buffer freed, as any process that ran a while has: glibc adapts its mmap and
    // trim thresholds to the first large free, and without one the FrameEncoder baseline paid
    // a brk call per payload in one build of this same code and none in another.
    drop(black_box(vec![1u8; 2 << 20]));
    snappy_tables();
    encryption_table();
    zlib_table();
    crc_table();
}

/// The framing format's CRC-32C: crc-fast (what the library runs) against the crc32c crate
/// (what it ran before), on the chunk sizes the batches produce.
fn crc_table() {
    println!("\n### CRC-32C per framing chunk: crc-fast (ours) vs the crc32c crate\n");
    println!("| chunk | crc-fast | crc32c | crc32c / crc-fast | crc-fast throughput |");
    println!("|---|---|---|---|---|");
    for size in [200usize, 4096, 65536] {
        let chunk = bench_data::batch(1, size);
        let chunk = &chunk[..size];
        let fast = || crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, black_box(chunk)) as u32;
        assert_eq!(fast(), crc32c::crc32c(chunk), "the two engines disagree");
        // 64 checksums per call, so the timer's own cost stays out of the 200 B figure.
        let t = race(&mut [
            &mut || {
                for _ in 0..64 {
                    black_box(fast());
                }
            },
            &mut || {
                for _ in 0..64 {
                    black_box(crc32c::crc32c(black_box(chunk)));
                }
            },
        ]);
        println!(
            "| {size} B | {:.1} ns | {:.1} ns | {} | {:.1} GB/s |",
            t[0].as_secs_f64() * 1e9 / 64.0,
            t[1].as_secs_f64() * 1e9 / 64.0,
            ratio(t[1], t[0]),
            size as f64 * 64.0 / t[0].as_secs_f64() / 1e9
        );
    }
}
