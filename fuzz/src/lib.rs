//! What the fuzz targets share: the limits the fuzzed codecs are built with, a heap meter that
//! turns an over-reservation into a crash at the moment it is asked for, and the C ABI calls
//! the bindings make, wrapped so each target reads as its invariants.
//!
//! Every target takes the same input: one selector byte, then a serialized `Payloads`. The
//! low nibble of the selector picks the codec configuration (as the original `codec` target
//! always did, so the committed corpus seeds every target); the high nibble is each target's
//! own (which decode_into capacity to start from, whether a workspace starts fresh, ...).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering::Relaxed};
use std::sync::OnceLock;
use temporal_payload_codec::*;

/// Per payload and layer. Small, so runs stay fast and the limit checks are reachable; the
/// seed generator (fuzz/seeds.py) and scripts/fuzz.sh read both numbers from this file.
pub const MAX_DECODED_SIZE: usize = 1 << 20;
/// Per decode call, every payload and layer counted.
pub const MAX_TOTAL_DECODED_SIZE: usize = 4 << 20;
/// The "small constant" of the decode bound: codec state (an inflate window, the snappy
/// decoder's table), the plan's bookkeeping, an error message. Measured well under this.
pub const DECODE_SLACK: usize = 256 << 10;

const KEY: [u8; 32] = [7; 32];

// ---------------------------------------------------------------------------------------
// The heap meter.
//
// libFuzzer's -malloc_limit_mb sees one allocation at a time and -rss_limit_mb only the
// process, where ASan's shadow and quarantine dwarf a 4 MiB bound. What the core promises is
// per call: peak heap <= input + min(output, limits) + a constant. So every Rust allocation
// is counted here, a call runs under a budget, and the allocation that would cross it aborts
// the process before the allocator is even asked: an overcommitted reservation that Linux
// would grant (and kill the process for later) is caught as surely as one that fails, and a
// fallible reservation cannot quietly turn it into an error status.

struct Meter;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// LIVE when the metered call started, and its ceiling (usize::MAX outside a call).
static START: AtomicUsize = AtomicUsize::new(0);
static CEILING: AtomicUsize = AtomicUsize::new(usize::MAX);
/// The metered call's name, for the abort message: a &'static str in two words.
static CALL_PTR: AtomicPtr<u8> = AtomicPtr::new(ptr::null_mut());
static CALL_LEN: AtomicUsize = AtomicUsize::new(0);

#[global_allocator]
static GLOBAL: Meter = Meter;

impl Meter {
    /// Books `size` more bytes, or aborts if that crosses the ceiling.
    fn book(size: usize) {
        let live = LIVE.fetch_add(size, Relaxed).saturating_add(size);
        PEAK.fetch_max(live, Relaxed);
        let ceiling = CEILING.load(Relaxed);
        if live > ceiling {
            over_budget(size, live, ceiling);
        }
    }
}

// SAFETY: every call is forwarded to System with the same arguments; the counters are only
// bookkeeping and never change what is allocated.
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::book(layout.size());
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            LIVE.fetch_sub(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::book(layout.size());
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            LIVE.fetch_sub(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(p, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Counted as the larger of the two blocks, as tests/memory.rs counts it: glibc moves
        // a large block with mremap, never holding both (ASan copies, but the bound is about
        // production processes, not this one).
        let grows = new_size.saturating_sub(layout.size());
        Self::book(grows);
        // SAFETY: forwarded unchanged.
        let q = unsafe { System.realloc(p, layout, new_size) };
        if q.is_null() {
            LIVE.fetch_sub(grows, Relaxed);
        } else {
            LIVE.fetch_sub(layout.size().saturating_sub(new_size), Relaxed);
        }
        q
    }
}

/// Reports the crossing without allocating (the allocator is where we are) and aborts, which
/// libFuzzer records as a crash with its input.
#[cold]
fn over_budget(size: usize, live: usize, ceiling: usize) -> ! {
    let start = START.load(Relaxed);
    let (p, len) = (CALL_PTR.load(Relaxed), CALL_LEN.load(Relaxed));
    let call = if p.is_null() {
        "?"
    } else {
        // SAFETY: `metered` stores the two halves of a &'static str, and only from the one
        // thread that then allocates under the ceiling.
        unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(p, len)) }
    };
    let mut buf = [0u8; 256];
    let mut w = &mut buf[..];
    let _ = write!(
        w,
        "\n== heap budget exceeded in {call}: an allocation of {size} bytes brings the call's \
         heap to {} bytes over its start, budget {}\n",
        live - start,
        ceiling - start
    );
    let n = 256 - w.len();
    let _ = std::io::stderr().write_all(&buf[..n]);
    std::process::abort();
}

/// Runs `f` with at most `budget` bytes of heap on top of what is live now, and returns its
/// result with the peak it reached over that start.
pub fn metered<R>(name: &'static str, budget: usize, f: impl FnOnce() -> R) -> (R, usize) {
    CALL_PTR.store(name.as_ptr().cast_mut(), Relaxed);
    CALL_LEN.store(name.len(), Relaxed);
    let start = LIVE.load(Relaxed);
    START.store(start, Relaxed);
    PEAK.store(start, Relaxed);
    CEILING.store(start.saturating_add(budget), Relaxed);
    let r = f();
    CEILING.store(usize::MAX, Relaxed);
    (r, PEAK.load(Relaxed).saturating_sub(start))
}

/// The bound on the heap one decode call adds, as tests/memory.rs states it:
///
///   input + min(output, max_total_decoded_size + pass-through bytes)
///     + (zlib only) one payload's output + (nested layers only) one inner layer + 256 KiB
///
/// "Output" is what the call returned, or, when it failed, the most it may have held: the
/// per-call limit plus every input byte passed through. The input term is there because the
/// plan sizes the output of zlib payloads, whose streams do not tell their size, by a guess
/// of four times their bytes (README.md states it so; here the input term plus the layers'
/// 2 MiB cover it, as inputs are at most 256 KiB).
/// Which payloads hold zlib or nested layers the batch's bytes cannot tell (an inner layer is
/// only seen once its outer one is decoded), so a batch that holds any known layer is
/// allowed both terms at their largest, one payload at the per-payload limit.
pub fn decode_bound(input: &[u8], output_len: Option<usize>, keyed: bool) -> usize {
    let most = MAX_TOTAL_DECODED_SIZE + input.len();
    let layered = [&b"binary/snappy"[..], b"binary/zlib"]
        .iter()
        .chain(keyed.then_some(&&b"binary/encrypted"[..]))
        .any(|label| input.windows(label.len()).any(|w| w == *label));
    let layers = if layered { 2 * MAX_DECODED_SIZE } else { 0 };
    input.len() + output_len.map_or(most, |n| n.min(most)) + layers + DECODE_SLACK
}

/// Encode has no decoded-size limit to hold it to: the bound is linear in its input, with the
/// room the encoder reserves per payload for the wrapper (128 bytes, so an empty payload of 2
/// input bytes legitimately costs 64 times that), a compressor's state and an encrypting
/// codec's two staging copies of a payload.
pub fn encode_bound(input_len: usize, count: usize) -> usize {
    4 * input_len + 256 * count + (2 << 20)
}

// ---------------------------------------------------------------------------------------
// Codecs, built once per configuration through the C builder, as a binding builds them.

struct CodecPtr(*mut tpc_codec);
// SAFETY: a built tpc_codec is immutable and documented as shareable between threads.
unsafe impl Send for CodecPtr {}
// SAFETY: as above.
unsafe impl Sync for CodecPtr {}

/// A configuration from the selector's low nibble: bits 0-1 the compression (none, snappy
/// framing, raw snappy, zlib), bit 2 only-if-smaller, bit 3 encryption.
pub struct Config(u8);

impl Config {
    pub fn from_selector(selector: u8) -> Self {
        Config(selector & 0x0f)
    }
    pub fn encrypts(&self) -> bool {
        self.0 & 8 != 0
    }
}

/// A codec built by [`codec`] and never freed: holding one is what makes the C calls below
/// sound, so the field stays private.
#[derive(Clone, Copy)]
pub struct Handle(*const tpc_codec);

/// The codec for `config`, built on first use and kept for the run.
pub fn codec(config: &Config) -> Handle {
    static CODECS: [OnceLock<CodecPtr>; 16] = [const { OnceLock::new() }; 16];
    Handle(
        CODECS[config.0 as usize]
            .get_or_init(|| CodecPtr(build(config.0)))
            .0,
    )
}

fn build(bits: u8) -> *mut tpc_codec {
    let b = tpc_codec_builder_new();
    // SAFETY: `b` is live until tpc_codec_build consumes it; the key id and the key are
    // readable for their lengths.
    unsafe {
        ok(tpc_codec_builder_set_compression(b, u32::from(bits & 3)));
        ok(tpc_codec_builder_set_only_if_smaller(b, u32::from(bits & 4 != 0)));
        ok(tpc_codec_builder_set_max_decoded_size(b, MAX_DECODED_SIZE));
        ok(tpc_codec_builder_set_max_total_decoded_size(
            b,
            MAX_TOTAL_DECODED_SIZE,
        ));
        if bits & 8 != 0 {
            let id = b"fuzz-key";
            ok(tpc_codec_builder_add_key(
                b,
                id.as_ptr(),
                id.len(),
                KEY.as_ptr(),
                KEY.len(),
            ));
            ok(tpc_codec_builder_set_encryption_key_id(b, id.as_ptr(), id.len()));
        }
        let mut codec = ptr::null_mut();
        ok(tpc_codec_build(b, &mut codec, ptr::null_mut()));
        codec
    }
}

fn ok(status: tpc_status) {
    assert_eq!(status, TPC_OK, "building the fuzz codec failed");
}

// ---------------------------------------------------------------------------------------
// The C ABI calls, one result type for all.

/// A failed call: its status and message.
#[derive(Debug, PartialEq, Eq)]
pub struct Failure {
    pub status: tpc_status,
    pub message: String,
}

pub type Outcome = Result<Vec<u8>, Failure>;

fn empty() -> tpc_buffer {
    tpc_buffer {
        data: ptr::null_mut(),
        len: 0,
    }
}

/// Copies a library buffer out and frees it.
fn take(mut b: tpc_buffer) -> Vec<u8> {
    let v = if b.data.is_null() {
        Vec::new()
    } else {
        // SAFETY: the library filled `b` with `len` readable bytes.
        unsafe { std::slice::from_raw_parts(b.data, b.len) }.to_vec()
    };
    // SAFETY: filled by the library, freed once.
    unsafe { tpc_buffer_free(&mut b) };
    v
}

fn failure(status: tpc_status, err: tpc_buffer) -> Failure {
    let message = String::from_utf8(take(err)).expect("error messages are UTF-8");
    assert!(
        status != TPC_ERR_INTERNAL,
        "internal error (a caught panic?): {message}"
    );
    Failure { status, message }
}

/// A call that fills a library buffer (tpc_codec_encode, tpc_codec_decode, ...), metered;
/// the output stays in the library's buffer until the meter has stopped.
fn buffer_call(
    name: &'static str,
    budget: usize,
    f: impl FnOnce(*mut tpc_buffer, *mut tpc_buffer) -> tpc_status,
) -> (Outcome, usize) {
    let (mut out, mut err) = (empty(), empty());
    let (status, peak) = metered(name, budget, || f(&mut out, &mut err));
    let outcome = match status {
        TPC_OK => Ok(take(out)),
        s => {
            assert!(out.data.is_null(), "{name}: output written on failure");
            Err(failure(s, err))
        }
    };
    (outcome, peak)
}

/// Where an input's bytes start: never NULL, so a zero length goes through as `(ptr, 0)`.
fn at(bytes: &[u8]) -> *const u8 {
    bytes.as_ptr()
}

pub fn decode(codec: Handle, input: &[u8], budget: usize) -> (Outcome, usize) {
    // SAFETY: a live codec; `input` readable; out/err writable.
    buffer_call("tpc_codec_decode", budget, |out, err| unsafe {
        tpc_codec_decode(codec.0, at(input), input.len(), out, err)
    })
}

pub fn encode(codec: Handle, input: &[u8], budget: usize) -> (Outcome, usize) {
    // SAFETY: as for decode.
    buffer_call("tpc_codec_encode", budget, |out, err| unsafe {
        tpc_codec_encode(codec.0, at(input), input.len(), out, err)
    })
}

/// The batch as the `tpc_slice`s a binding passes, borrowing the parts they point into (only
/// [`slices`] makes one, which is what makes the calls that read them sound).
pub struct Slices<'a> {
    list: Vec<tpc_slice>,
    _parts: PhantomData<&'a [u8]>,
}

/// An empty part is `(NULL, 0)` when `null_empty`, else a non-NULL pointer with length 0,
/// both of which the contract allows.
pub fn slices<'a>(parts: &[&'a [u8]], null_empty: bool) -> Slices<'a> {
    let list = parts
        .iter()
        .map(|p| tpc_slice {
            data: if p.is_empty() && null_empty {
                ptr::null()
            } else {
                p.as_ptr()
            },
            len: p.len(),
        })
        .collect();
    Slices {
        list,
        _parts: PhantomData,
    }
}

pub fn encode_payloads(codec: Handle, parts: &Slices, budget: usize) -> (Outcome, usize) {
    // SAFETY: a live codec; `parts` are readable slices of live bytes; out/err writable.
    buffer_call("tpc_codec_encode_gather", budget, |out, err| unsafe {
        tpc_codec_encode_gather(codec.0, parts.list.as_ptr(), parts.list.len(), out, err)
    })
}

/// One decode_into call with `dst` (NULL when empty): the status, `*out_len`, and the peak.
pub fn decode_into_once(
    codec: Handle,
    input: &[u8],
    dst: &mut [u8],
    budget: usize,
) -> (Result<usize, Failure>, usize) {
    let dst_ptr = if dst.is_empty() {
        ptr::null_mut()
    } else {
        dst.as_mut_ptr()
    };
    let mut n = usize::MAX;
    let mut err = empty();
    // SAFETY: a live codec; `input` readable; `dst` is `dst.len()` writable initialized bytes
    // not overlapping `input` (it is our own Vec); n and err writable.
    let (status, peak) = metered("tpc_codec_decode_into", budget, || unsafe {
        tpc_codec_decode_into(
            codec.0,
            at(input),
            input.len(),
            dst_ptr,
            dst.len(),
            &mut n,
            &mut err,
        )
    });
    let outcome = match status {
        TPC_OK => {
            assert!(n <= dst.len(), "TPC_OK with {n} bytes for a buffer of {}", dst.len());
            Ok(n)
        }
        TPC_ERR_BUFFER_TOO_SMALL => {
            assert!(n > dst.len(), "BUFFER_TOO_SMALL asking for {n} bytes with {}", dst.len());
            drop(failure(TPC_ERR_BUFFER_TOO_SMALL, err));
            Ok(n)
        }
        s => Err(failure(s, err)),
    };
    (outcome, peak)
}

/// A workspace kept for the whole run, as bindings keep one per thread.
pub struct Workspace(*mut tpc_workspace);

impl Workspace {
    pub fn new() -> Self {
        Workspace(tpc_workspace_new())
    }

    /// Bytes it holds between calls.
    pub fn capacity(&self) -> usize {
        // SAFETY: live, and no call is using it.
        unsafe { tpc_workspace_capacity(self.0) }
    }

    /// `tpc_workspace_encode`; the view is copied out once the meter has stopped.
    pub fn encode(&mut self, codec: Handle, input: &[u8], budget: usize) -> (Outcome, usize) {
        let ws = self.0;
        // SAFETY: a live codec and workspace, used by this call only; `input` readable.
        self.view_call("tpc_workspace_encode", budget, |view, err| unsafe {
            tpc_workspace_encode(ws, codec.0, at(input), input.len(), view, err)
        })
    }

    fn view_call(
        &mut self,
        name: &'static str,
        budget: usize,
        f: impl FnOnce(*mut tpc_slice, *mut tpc_buffer) -> tpc_status,
    ) -> (Outcome, usize) {
        let mut view = tpc_slice {
            data: ptr::null(),
            len: usize::MAX,
        };
        let mut err = empty();
        let (status, peak) = metered(name, budget, || f(&mut view, &mut err));
        let outcome = match status {
            TPC_OK if view.len == 0 => Ok(Vec::new()),
            TPC_OK => {
                assert!(
                    self.capacity() >= view.len,
                    "{name}: the view is larger than the workspace"
                );
                // SAFETY: on success the view is `len` readable bytes of the workspace, valid
                // until its next call; copied before that.
                Ok(unsafe { std::slice::from_raw_parts(view.data, view.len) }.to_vec())
            }
            s => Err(failure(s, err)),
        };
        (outcome, peak)
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        // SAFETY: live, not used again.
        unsafe { tpc_workspace_free(self.0) };
    }
}

// SAFETY: a workspace may move between threads; it serves one call at a time, which the
// Mutex the targets keep it in ensures.
unsafe impl Send for Workspace {}

// ---------------------------------------------------------------------------------------
// The batch, as the scatter-gather calls see it.

/// Cuts `input` into the values of its leading `Payloads.payloads` fields (tag 0x0a), reading
/// only lengths; whatever follows the first other field, or a length that overruns, becomes
/// one more part as it is. So the parts are real payloads for well-formed input and arbitrary
/// bytes otherwise, which the scatter-gather calls must refuse just as the framed ones do.
pub fn parts(input: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = input;
    while let Some((&0x0a, after)) = rest.split_first() {
        let Some((len, after)) = varint(after) else { break };
        let Some(value) = usize::try_from(len).ok().and_then(|n| after.get(..n)) else {
            break;
        };
        parts.push(value);
        rest = &after[value.len()..];
    }
    if !rest.is_empty() {
        parts.push(rest);
    }
    parts
}

fn varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut n = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((n, &bytes[i + 1..]));
        }
    }
    None
}

/// The serialized `Payloads` holding `parts` as its payloads: what a binding would otherwise
/// build before calling tpc_codec_encode.
pub fn frame(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.push(0x0a);
        let mut n = p.len();
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
        out.extend_from_slice(p);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Checked calls: metered against their bound, failing the run past it.

/// `tpc_codec_decode`, held to [`decode_bound`]: to the limits while it runs (the meter
/// aborts at the first allocation past them), and to the output it returned afterwards.
pub fn checked_decode(codec: Handle, config: &Config, input: &[u8]) -> Outcome {
    let keyed = config.encrypts();
    let (outcome, peak) = decode(codec, input, decode_bound(input, None, keyed));
    let output = outcome.as_ref().ok().map(Vec::len);
    check_decode_peak("tpc_codec_decode", peak, input, output, keyed);
    outcome
}

/// Fails the run when a decode call's peak heap broke the bound for the output it gave.
pub fn check_decode_peak(name: &str, peak: usize, input: &[u8], output_len: Option<usize>, keyed: bool) {
    let bound = decode_bound(input, output_len, keyed);
    assert!(
        peak <= bound,
        "{name}: peak heap {peak} bytes over the bound {bound} (input {} bytes, output {output_len:?})",
        input.len()
    );
}
