//! The memory bound of a decode call, measured with a counting allocator over the hostile
//! families (README, "Limits"):
//!
//!   peak heap <= input + min(output, max_total_decoded_size + pass-through bytes)
//!                + (nested layers only) one copy of the largest inner layer + SLACK
//!
//! where "output" is what the call returns, or would return without limits. The input is the
//! caller's, allocated before the call, so each test measures the heap the call adds.
//!
//! Its own test binary, since the allocator counts the whole process: the tests here take one
//! lock so that no other test's allocations land in a measurement.

use prost::encoding::encode_varint;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use temporal_payload_codec_core::{Codec, CodecBuilder, Compression, ErrorKind};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: forwards every call to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Counted as the larger of the two sizes: glibc moves large blocks with mremap,
            // without holding both.
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// What the call adds to the heap at its peak: the codec's own memory, beyond its input.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let result = f();
    (result, PEAK.load(Ordering::Relaxed) - before)
}

/// Checks a family's peak against its bound, and prints both for BENCHMARKS.md
/// (`cargo test --release --test memory -- --nocapture | grep memory:`).
fn within(family: &str, peak: usize, bound: usize) {
    eprintln!("memory: | {family} | {peak} | {bound} |");
    assert!(peak <= bound, "{family}: peak {peak} bytes, bound {bound}");
}

/// Room for the codec's fixed costs: inflate state and window, error messages, scratch.
const SLACK: usize = 256 << 10;
const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

fn len_field(tag: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    encode_varint(bytes.len() as u64, &mut out);
    out.extend_from_slice(bytes);
    out
}

fn payload(encoding: &[u8], data: &[u8]) -> Vec<u8> {
    let entry = [len_field(0x0a, b"encoding"), len_field(0x12, encoding)].concat();
    [len_field(0x0a, &entry), len_field(0x12, data)].concat()
}

fn payloads<'a>(items: impl IntoIterator<Item = &'a Vec<u8>>) -> Vec<u8> {
    items.into_iter().flat_map(|p| len_field(0x0a, p)).collect()
}

/// Bytes that neither snappy nor zlib shrinks (xorshift).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A codec with small limits, so each family runs in a fraction of a second in a debug build;
/// the shapes, not the sizes, are what the families test. The defaults get the real hostile
/// batches in `hostile_batches_with_the_default_limits`.
fn small_limits(configure: impl FnOnce(&mut CodecBuilder)) -> Codec {
    let mut b = Codec::builder();
    b.max_decoded_size(MIB).unwrap();
    b.max_total_decoded_size(4 * MIB).unwrap();
    b.add_key("k", &[7; 32]).unwrap();
    configure(&mut b);
    b.build().unwrap()
}

fn assert_error(result: temporal_payload_codec_core::Result<Vec<u8>>, kind: ErrorKind, fragment: &str) {
    let err = result.expect_err("the call must fail");
    assert_eq!(err.kind(), kind, "{err}");
    assert!(err.message().contains(fragment), "{err:?} lacks {fragment:?}");
}

#[test]
fn hostile_batches_with_the_default_limits() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let codec = Codec::default();
    // 1000 raw blocks of 4 bytes, each claiming exactly the 64 MiB per-payload maximum.
    let claim = payload(b"binary/snappy", &[0x80, 0x80, 0x80, 0x20]);
    let claims = payloads(std::iter::repeat_n(&claim, 1000));
    // 300 framed streams of 1024 chunks, each only a block header claiming 64 KiB.
    let mut stream = b"\xff\x06\x00\x00sNaPpY".to_vec();
    for _ in 0..1024 {
        stream.extend_from_slice(&[0x00, 7, 0, 0, 0, 0, 0, 0, 0x80, 0x80, 0x04]);
    }
    let framed = payload(b"binary/snappy", &stream);
    let framed_claims = payloads(std::iter::repeat_n(&framed, 300));
    for (name, batch) in [("claims", &claims), ("framed claims", &framed_claims)] {
        let (result, peak) = peak_during(|| codec.decode(batch));
        assert_error(result, ErrorKind::CorruptPayload, "payload 0: snappy");
        within(&format!("{name} (default limits), decode"), peak, SLACK);
        let mut dst = vec![0u8; 4096];
        let (result, peak) = peak_during(|| codec.decode_to(batch, &mut dst).map(|_| Vec::new()));
        assert_error(result, ErrorKind::CorruptPayload, "payload 0: snappy");
        within(
            &format!("{name} (default limits), decode into caller memory"),
            peak,
            SLACK,
        );
    }
}

#[test]
fn plausible_claims_over_the_call_limit_are_refused_before_reserving() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let codec = small_limits(|_| {});
    // Real blocks whose headers truthfully claim the per-payload maximum: their claims add up
    // past the per-call maximum at the fifth, found from the headers before decoding any.
    let inner = payload(b"binary/plain", &vec![0u8; MIB - 64]);
    let block = snap::raw::Encoder::new().compress_vec(&inner).unwrap();
    let item = payload(b"binary/snappy", &block);
    let batch = payloads(std::iter::repeat_n(&item, 64));
    let (result, peak) = peak_during(|| codec.decode(&batch));
    assert_error(
        result,
        ErrorKind::LimitExceeded,
        "payload 4: the decoded batch exceeds the per-call maximum of 4194304 bytes",
    );
    within("plausible claims past the call limit", peak, SLACK);
    // Under the per-call maximum, the same payloads decode.
    let (result, peak) = peak_during(|| codec.decode(&payloads(std::iter::repeat_n(&item, 3))));
    let out = result.unwrap();
    assert_eq!(out, payloads(std::iter::repeat_n(&inner, 3)));
    within("3 claims at the payload limit, honest", peak, out.len() + SLACK);
}

#[test]
fn zlib_expansion_stops_at_the_call_limit() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let codec = small_limits(|_| {});
    // Honest streams of 768 KiB each: 5 fit in 4 MiB, the sixth crosses.
    let inner = payload(b"binary/plain", &vec![0u8; 768 * KIB - 64]);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, &inner).unwrap();
    let item = payload(b"binary/zlib", &z.finish().unwrap());
    let batch = payloads(std::iter::repeat_n(&item, 64));
    let (result, peak) = peak_during(|| codec.decode(&batch));
    assert_error(
        result,
        ErrorKind::LimitExceeded,
        "payload 5: the decoded batch exceeds",
    );
    within(
        "zlib expansion past the call limit, decode",
        peak,
        4 * MIB + SLACK,
    );
    let mut dst = vec![0u8; 64];
    let (result, peak) = peak_during(|| codec.decode_to(&batch, &mut dst).map(|_| Vec::new()));
    assert_error(result, ErrorKind::LimitExceeded, "payload 5:");
    within(
        "zlib expansion past the call limit, into caller memory",
        peak,
        4 * MIB + SLACK,
    );
    // The honest large case within the limits still decodes.
    let few = payloads(std::iter::repeat_n(&item, 5));
    let (result, peak) = peak_during(|| codec.decode(&few));
    let out = result.unwrap();
    assert_eq!(out, payloads(std::iter::repeat_n(&inner, 5)));
    // A zlib stream does not tell its size: room grows by at most one payload's output.
    within(
        "5 zlib payloads within the limits, honest",
        peak,
        out.len() + inner.len() + SLACK,
    );
}

/// `data` wrapped in `layers` layers, alternating zlib and snappy, the outermost snappy.
fn nested(data: &[u8], layers: usize) -> Vec<u8> {
    let mut batch = payloads([&payload(b"binary/plain", data)]);
    for i in 0..layers {
        let compression = if (layers - i) % 2 == 1 {
            Compression::Snappy
        } else {
            Compression::Zlib
        };
        let mut b = Codec::builder();
        b.compression(compression);
        batch = b.build().unwrap().encode(&batch).unwrap();
    }
    batch
}

#[test]
fn nested_layers_count_every_layer() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let codec = small_limits(|_| {});
    // Noise does not shrink, so each of the 8 layers decodes to about 400 KiB: 3.2 MiB in all.
    let data = noise(400 * KIB, 1);
    let batch = nested(&data, 8);
    let (result, peak) = peak_during(|| codec.decode(&batch));
    let out = result.unwrap();
    assert_eq!(out, payloads([&payload(b"binary/plain", &data)]));
    let largest_inner = 401 * KIB;
    within("8 nested layers, honest", peak, out.len() + largest_inner + SLACK);
    // With a call limit of 2 MiB, the 3.2 MiB of layer output is refused, although the
    // nesting limit and the decoded payload's size allow it.
    let (result, peak) =
        peak_during(|| small_limits(|b| b.max_total_decoded_size(2 * MIB).unwrap()).decode(&batch));
    assert_error(
        result,
        ErrorKind::LimitExceeded,
        "payload 0: the decoded batch exceeds",
    );
    within(
        "8 nested layers past a 2 MiB call limit",
        peak,
        2 * MIB + largest_inner + SLACK,
    );
    // A ninth layer is refused by the nesting limit.
    let (result, _) = peak_during(|| codec.decode(&nested(b"x", 9)));
    assert_error(result, ErrorKind::LimitExceeded, "more than 8 nested encodings");
}

#[test]
fn a_million_empty_payloads_cost_no_more_than_their_bytes() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let codec = small_limits(|_| {});
    let batch = [0x0au8, 0x00].repeat(1_000_000);
    let (result, peak) = peak_during(|| codec.decode(&batch));
    let out = result.unwrap();
    assert_eq!(out, batch);
    within("10^6 empty payloads, decode", peak, out.len() + SLACK);
    let (result, peak) = peak_during(|| Codec::default().encode(&batch));
    let out = result.unwrap();
    // Encode reserves room for incompressible data plus a wrapper per payload before it
    // starts: an empty payload's wrapper is about 30 bytes, room is reserved for 75.
    within("10^6 empty payloads, encode", peak, 80 * 1_000_000 + SLACK);
    let back = Codec::default().decode(&out).unwrap();
    assert_eq!(back, batch);
}

#[test]
fn a_mixed_batch_is_bounded_by_its_limit() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let codec = small_limits(|b| {
        b.encryption_key_id("k");
    });
    let plain = payload(b"json/plain", &noise(300 * KIB, 2));
    let mut honest = Vec::new();
    for compression in [
        Compression::Snappy,
        Compression::SnappyRaw,
        Compression::Zlib,
        Compression::None,
    ] {
        let c = small_limits(|b| {
            b.compression(compression);
            b.encryption_key_id("k");
        });
        honest.push(c.encode(&payloads([&plain])).unwrap());
    }
    let passthrough = payloads([&plain]);
    let honest_batch = [honest.concat(), passthrough.clone()].concat();
    let (result, peak) = peak_during(|| codec.decode(&honest_batch));
    let out = result.unwrap();
    assert_eq!(out, payloads(std::iter::repeat_n(&plain, 5)));
    // Each encrypted payload holds a compressed one: its inner layer is peeled from a copy.
    let largest_inner = plain.len() + KIB;
    within("mixed batch, honest", peak, out.len() + largest_inner + SLACK);
    // The same, then a zlib stream that inflates past what is left of the call's budget.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, &payload(b"binary/plain", &vec![0u8; MIB - 64])).unwrap();
    let bomb = payloads([&payload(b"binary/zlib", &z.finish().unwrap())]);
    let batch = [
        honest_batch.clone(),
        bomb.clone(),
        bomb.clone(),
        bomb.clone(),
        bomb,
    ]
    .concat();
    let (result, peak) = peak_during(|| codec.decode(&batch));
    assert_error(
        result,
        ErrorKind::LimitExceeded,
        "payload 6: the decoded batch exceeds",
    );
    within(
        "mixed batch ending in zlib bombs",
        peak,
        4 * MIB + passthrough.len() + largest_inner + SLACK,
    );
}

/// The output's first size is a guess when zlib streams do not tell theirs; past it the output
/// grows by what each write needs, not by doubling. Three streams of 1 MiB then a small one
/// (a fuzz finding, fuzz/seeds.py keeps it): doubling the full 3 MiB output to write the fourth element's few header
/// bytes reserved 6 MiB for a 3 MiB result.
#[test]
fn growing_past_the_first_guess_does_not_double_the_output() {
    let _one = ONE_AT_A_TIME.lock().unwrap();
    let codec = small_limits(|_| {});
    let zlib = |inner: &[u8]| {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut z, inner).unwrap();
        payload(b"binary/zlib", &z.finish().unwrap())
    };
    // Exactly the per-payload limit: its inflate room ends a few bytes past it, too few for
    // the next element's header.
    let big = payload(b"binary/plain", &vec![0u8; MIB - 30]);
    assert_eq!(big.len(), MIB);
    let small = payload(b"binary/plain", &[1u8; 1000]);
    let (big_z, small_z) = (zlib(&big), zlib(&small));
    let batch = payloads([&big_z, &big_z, &big_z, &small_z]);
    let (result, peak) = peak_during(|| codec.decode(&batch));
    let out = result.unwrap();
    assert_eq!(out, payloads([&big, &big, &big, &small]));
    // The zlib term: one payload's output, as its room grows without knowing its size.
    within(
        "zlib streams past the output's first guess",
        peak,
        out.len() + 4 * batch.len() + MIB + SLACK,
    );
}
