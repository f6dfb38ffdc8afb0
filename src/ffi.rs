//! The C ABI. This is the only module with `unsafe` code: each block says why it is sound.
//!
//! Conventions (see include/temporal_payload_codec.h for the user-facing version):
//! - Fallible calls return a `tpc_status` (0 = OK); results go out through pointers, written
//!   only on success. `err`, when not NULL, receives a UTF-8 message (not NUL-terminated) on
//!   failure, to be released with `tpc_buffer_free`.
//! - Bytes handed out are owned by the library and released only by `tpc_buffer_free`.
//! - No panic crosses the boundary: every export catches it and returns `TPC_ERR_INTERNAL`.
//! - No global or thread-local mutable state: a `tpc_codec` is immutable and shareable.

#![allow(non_camel_case_types)]

use crate::chain::{Codec, CodecBuilder, Workspace};
use crate::error::{Error, ErrorKind};
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

/// A status code: `TPC_OK` or one of the `TPC_ERR_*` values.
pub type tpc_status = u32;

/// Success.
pub const TPC_OK: tpc_status = 0;
/// A required pointer argument was NULL (or a NULL data pointer came with a non-zero length).
pub const TPC_ERR_NULL_ARGUMENT: tpc_status = 1;
/// An option was out of range, or keys were misconfigured.
pub const TPC_ERR_INVALID_ARGUMENT: tpc_status = 2;
/// The input is not a valid serialized Payloads, or a Payload inside it is malformed.
pub const TPC_ERR_MALFORMED_INPUT: tpc_status = 3;
/// An encoded payload's data cannot be decoded (bad stream, CRC mismatch, bad inner Payload).
pub const TPC_ERR_CORRUPT_PAYLOAD: tpc_status = 4;
/// A decoded payload would exceed the maximum decoded size, or layers nest too deeply.
pub const TPC_ERR_LIMIT_EXCEEDED: tpc_status = 5;
/// An encrypted payload names a key id the codec does not hold.
pub const TPC_ERR_UNKNOWN_KEY: tpc_status = 6;
/// Authenticated decryption failed: wrong key, tampered payload, or an unsupported cipher.
pub const TPC_ERR_DECRYPT_FAILED: tpc_status = 7;
/// A caught panic or an operating-system failure: always worth a bug report.
pub const TPC_ERR_INTERNAL: tpc_status = 255;

/// No compression layer.
pub const TPC_COMPRESSION_NONE: u32 = 0;
/// binary/snappy, framing format: the reference codec (the default).
pub const TPC_COMPRESSION_SNAPPY: u32 = 1;
/// binary/snappy, one raw block: the Go codec-server sample's dialect.
pub const TPC_COMPRESSION_SNAPPY_RAW: u32 = 2;
/// binary/zlib, as the Go and Java SDKs write it.
pub const TPC_COMPRESSION_ZLIB: u32 = 3;

/// Bumped on any incompatible change of this header. Bindings compare it with
/// `tpc_abi_version()` when they load the library.
pub const TPC_ABI_VERSION: u32 = 1;
/// The library version (kept equal to Cargo.toml by a test).
pub const TPC_VERSION_MAJOR: u32 = 0;
pub const TPC_VERSION_MINOR: u32 = 1;
pub const TPC_VERSION_PATCH: u32 = 0;

/// Bytes owned by the library. Release with `tpc_buffer_free`, never with `free()`.
/// An empty buffer is `{NULL, 0}`.
#[repr(C)]
pub struct tpc_buffer {
    pub data: *mut u8,
    pub len: usize,
}

/// Bytes the caller lends for the duration of one call: `len` bytes at `data`. `{NULL, 0}` is
/// empty.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tpc_slice {
    pub data: *const u8,
    pub len: usize,
}

/// Options for a codec. Not thread-safe: configure it from one thread, then build.
pub struct tpc_codec_builder {
    inner: CodecBuilder,
}

/// A configured codec. Immutable: any number of threads may use one at once.
pub struct tpc_codec {
    inner: Codec,
}

/// Memory and compressor state a caller keeps between encode calls: see
/// `tpc_codec_encode_with`. Not thread-safe: one call at a time (one per thread, or pooled);
/// any codec may use it.
pub struct tpc_workspace {
    inner: Workspace,
}

fn to_buffer(bytes: Vec<u8>) -> tpc_buffer {
    if bytes.is_empty() {
        return tpc_buffer {
            data: ptr::null_mut(),
            len: 0,
        };
    }
    let boxed = bytes.into_boxed_slice();
    let len = boxed.len();
    tpc_buffer {
        data: Box::into_raw(boxed).cast::<u8>(),
        len,
    }
}

fn write_error(err: *mut tpc_buffer, error: &Error) -> tpc_status {
    if !err.is_null() {
        let message = to_buffer(error.message().as_bytes().to_vec());
        // SAFETY: the caller passed `err` as a writable tpc_buffer (or NULL, checked above).
        unsafe { err.write(message) };
    }
    error.kind().code()
}

/// Runs `f`, turning an error or a panic into a status (and a message into `err`).
fn guarded(err: *mut tpc_buffer, f: impl FnOnce() -> Result<(), Error>) -> tpc_status {
    let outcome = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(Error::new(
            ErrorKind::Internal,
            format!("internal error (a bug, please report it): {what}"),
        ))
    });
    match outcome {
        Ok(()) => TPC_OK,
        Err(e) => write_error(err, &e),
    }
}

fn null(what: &str) -> Error {
    Error::new(ErrorKind::NullArgument, format!("{what} is NULL"))
}

/// Runs `f` on the codec behind `codec`, or reports a NULL one through `err`: the shared
/// front of every `tpc_codec_*` call.
///
/// # Safety
/// `codec` must be NULL or a live codec from `tpc_codec_build`.
unsafe fn with_codec(
    codec: *const tpc_codec,
    err: *mut tpc_buffer,
    f: impl FnOnce(&Codec) -> tpc_status,
) -> tpc_status {
    // SAFETY: a non-NULL `codec` is a live tpc_codec by contract, only read (it is immutable).
    match unsafe { codec.as_ref() } {
        Some(c) => f(&c.inner),
        None => write_error(err, &null("codec")),
    }
}

/// Borrows `(ptr, len)` as a slice: `(NULL, 0)` is empty, `(NULL, n > 0)` is an error.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` readable bytes that stay valid and unmodified for the
/// returned lifetime.
unsafe fn input<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], Error> {
    match (ptr.is_null(), len) {
        (true, 0) => Ok(&[]),
        (true, _) => Err(null("payloads pointer with a non-zero length")),
        // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
        (false, _) => Ok(unsafe { std::slice::from_raw_parts(ptr, len) }),
    }
}

/// Shared body of the four encode/decode exports.
///
/// # Safety
/// As for `input`; `out` must be NULL or writable.
unsafe fn run(
    codec: &Codec,
    encode: bool,
    payloads: *const u8,
    len: usize,
    out: *mut tpc_buffer,
    err: *mut tpc_buffer,
) -> tpc_status {
    guarded(err, || {
        if out.is_null() {
            return Err(null("out"));
        }
        // SAFETY: forwarded from the exported function's contract.
        let bytes = unsafe { input(payloads, len) }?;
        let result = if encode {
            codec.encode(bytes)
        } else {
            codec.decode(bytes)
        }?;
        // SAFETY: `out` is non-NULL (checked) and the caller passed it as writable.
        unsafe { out.write(to_buffer(result)) };
        Ok(())
    })
}

/// Encodes a serialized `temporal.api.common.v1.Payloads` with the default codec (the
/// reference snappy codec) into `*out`. `(NULL, 0)` is an empty input.
///
/// # Safety
/// `payloads` must point to `len` readable bytes (or be NULL with `len` 0); `out` and `err`
/// must be NULL or point to writable `tpc_buffer`s.
#[no_mangle]
pub unsafe extern "C" fn tpc_encode(
    payloads: *const u8,
    len: usize,
    out: *mut tpc_buffer,
    err: *mut tpc_buffer,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe { run(&Codec::default(), true, payloads, len, out, err) }
}

/// Decodes a serialized Payloads with the default codec into `*out`.
///
/// # Safety
/// As for `tpc_encode`.
#[no_mangle]
pub unsafe extern "C" fn tpc_decode(
    payloads: *const u8,
    len: usize,
    out: *mut tpc_buffer,
    err: *mut tpc_buffer,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe { run(&Codec::default(), false, payloads, len, out, err) }
}

/// Encodes a serialized Payloads with `codec` into `*out`. Thread-safe.
///
/// # Safety
/// `codec` must be NULL or a live codec from `tpc_codec_build`; the rest as for `tpc_encode`.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_encode(
    codec: *const tpc_codec,
    payloads: *const u8,
    len: usize,
    out: *mut tpc_buffer,
    err: *mut tpc_buffer,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe { with_codec(codec, err, |c| run(c, true, payloads, len, out, err)) }
}

/// Decodes a serialized Payloads with `codec` into `*out`. Thread-safe.
///
/// # Safety
/// As for `tpc_codec_encode`.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_decode(
    codec: *const tpc_codec,
    payloads: *const u8,
    len: usize,
    out: *mut tpc_buffer,
    err: *mut tpc_buffer,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe { with_codec(codec, err, |c| run(c, false, payloads, len, out, err)) }
}

/// Borrows a `tpc_slice` array as the parts of a scatter-gather encode.
///
/// # Safety
/// `payloads` must be NULL or point to `count` readable `tpc_slice`s, each of which must be
/// `(NULL, 0)` or point to `len` readable bytes, all valid and unmodified for the returned
/// lifetime.
unsafe fn parts<'a>(payloads: *const tpc_slice, count: usize) -> Result<Vec<&'a [u8]>, Error> {
    let slices: &[tpc_slice] = match (payloads.is_null(), count) {
        (true, 0) => &[],
        (true, _) => return Err(null("payloads array with a non-zero count")),
        // SAFETY: non-NULL, and by contract `count` readable tpc_slices, valid and
        // unmodified for the returned lifetime.
        (false, _) => unsafe { std::slice::from_raw_parts(payloads, count) },
    };
    slices
        .iter()
        .enumerate()
        .map(|(i, slice)| {
            // SAFETY: by contract each slice is (NULL, 0) or `len` readable bytes that stay
            // valid and unmodified for the returned lifetime, which is all `input` needs.
            unsafe { input(slice.data, slice.len) }.map_err(|_| {
                Error::new(
                    ErrorKind::NullArgument,
                    format!("payload {i}: data pointer with a non-zero length is NULL"),
                )
            })
        })
        .collect()
}

/// Shared body of the two scatter-gather encode exports.
///
/// # Safety
/// `payloads` must be NULL or point to `count` readable `tpc_slice`s, each of which must be
/// `(NULL, 0)` or point to `len` readable bytes, all valid and unmodified during the call;
/// `out` and `err` NULL or writable.
unsafe fn run_encode_payloads(
    codec: &Codec,
    payloads: *const tpc_slice,
    count: usize,
    out: *mut tpc_buffer,
    err: *mut tpc_buffer,
) -> tpc_status {
    guarded(err, || {
        if out.is_null() {
            return Err(null("out"));
        }
        // SAFETY: forwarded from this function's contract.
        let parts = unsafe { parts(payloads, count) }?;
        let result = codec.encode_payloads(&parts)?;
        // SAFETY: `out` is non-NULL (checked) and the caller passed it as writable.
        unsafe { out.write(to_buffer(result)) };
        Ok(())
    })
}

/// Encodes a batch given as one serialized `temporal.api.common.v1.Payload` per slice with the
/// default codec: see `tpc_codec_encode_payloads`.
///
/// # Safety
/// As for `tpc_codec_encode_payloads`.
#[no_mangle]
pub unsafe extern "C" fn tpc_encode_payloads(
    payloads: *const tpc_slice,
    count: usize,
    out: *mut tpc_buffer,
    err: *mut tpc_buffer,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe { run_encode_payloads(&Codec::default(), payloads, count, out, err) }
}

/// Scatter-gather encode: `payloads[0 .. count]` each hold one serialized
/// `temporal.api.common.v1.Payload`, so the caller need not frame them into one `Payloads`.
/// `*out` receives exactly what `tpc_codec_encode` gives for the framed batch (the same
/// bytes, except that encryption draws fresh nonces). `(NULL, 0)` slices are empty payloads;
/// `payloads` may be NULL when `count` is 0. A slice that is not a valid Payload is
/// `TPC_ERR_MALFORMED_INPUT`, its message naming the payload index. Thread-safe.
///
/// # Safety
/// `codec` must be NULL or a live codec; `payloads` NULL (with `count` 0) or `count` readable
/// `tpc_slice`s, each `(NULL, 0)` or pointing to `len` readable bytes, valid and unmodified
/// during the call; `out` and `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_encode_payloads(
    codec: *const tpc_codec,
    payloads: *const tpc_slice,
    count: usize,
    out: *mut tpc_buffer,
    err: *mut tpc_buffer,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe { with_codec(codec, err, |c| run_encode_payloads(c, payloads, count, out, err)) }
}

/// Shared body of the two decode-into exports.
///
/// # Safety
/// As for `input`; `dst` must be NULL with `dst_cap` 0, or point to `dst_cap` writable bytes
/// that do not overlap the input; `out_len` must be NULL or writable.
unsafe fn run_decode_into(
    codec: &Codec,
    payloads: *const u8,
    len: usize,
    dst: *mut u8,
    dst_cap: usize,
    out_len: *mut usize,
    err: *mut tpc_buffer,
) -> tpc_status {
    guarded(err, || {
        if out_len.is_null() {
            return Err(null("out_len"));
        }
        // SAFETY: forwarded from the exported function's contract.
        let bytes = unsafe { input(payloads, len) }?;
        let dst: &mut [u8] = match (dst.is_null(), dst_cap) {
            (true, 0) => &mut [],
            (true, _) => return Err(null("dst with a non-zero capacity")),
            // SAFETY: non-NULL, and by contract `dst_cap` writable bytes of initialized memory
            // (any values: they are only overwritten), not overlapping the input, and not used
            // by the caller during the call.
            (false, _) => unsafe { std::slice::from_raw_parts_mut(dst, dst_cap) },
        };
        let n = codec.decode_to(bytes, dst)?;
        // SAFETY: `out_len` is non-NULL (checked) and the caller passed it as writable.
        unsafe { out_len.write(n) };
        Ok(())
    })
}

/// Decodes a serialized Payloads with the default codec into the caller's buffer: see
/// `tpc_codec_decode_into`.
///
/// # Safety
/// As for `tpc_codec_decode_into`.
#[no_mangle]
pub unsafe extern "C" fn tpc_decode_into(
    payloads: *const u8,
    len: usize,
    dst: *mut u8,
    dst_cap: usize,
    out_len: *mut usize,
    err: *mut tpc_buffer,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe { run_decode_into(&Codec::default(), payloads, len, dst, dst_cap, out_len, err) }
}

/// Decodes a serialized Payloads with `codec` into the caller's buffer `dst` of `dst_cap`
/// bytes, so the result needs no library-owned buffer and no copy. Thread-safe.
///
/// On `TPC_OK`, `*out_len` is the decoded length. If `*out_len <= dst_cap`, the result is
/// `dst[0 .. *out_len]`. Otherwise `dst` was too small, its contents are unspecified, and
/// `*out_len` is the size to call again with. `(NULL, 0)` as `dst` asks for that size: for
/// snappy, encrypted and plain payloads it is read from the headers without decoding. When a
/// payload holds zlib or nested encodings, the headers tell too little: the size reported
/// can be short, and the library then decodes fully to learn the exact one, which a second
/// retry receives. So: loop until `*out_len <= dst_cap`.
///
/// # Safety
/// `codec` must be NULL or a live codec; `payloads` as for `tpc_encode`; `dst` must be NULL
/// with `dst_cap` 0, or point to `dst_cap` writable bytes of initialized memory (zeroed or
/// previously written: their values are ignored) that do not overlap `payloads`; `out_len`
/// must be writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_decode_into(
    codec: *const tpc_codec,
    payloads: *const u8,
    len: usize,
    dst: *mut u8,
    dst_cap: usize,
    out_len: *mut usize,
    err: *mut tpc_buffer,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe {
        with_codec(codec, err, |c| {
            run_decode_into(c, payloads, len, dst, dst_cap, out_len, err)
        })
    }
}

/// The input of an encode: a framed `Payloads`, or scatter-gather parts.
enum Batch {
    Framed(*const u8, usize),
    Parts(*const tpc_slice, usize),
}

/// Shared body of the four encode-with-workspace exports.
///
/// # Safety
/// As for `input` (framed) or `parts` (scatter-gather); `ws` must be NULL or a live workspace
/// no other call is using; `out` NULL or writable.
unsafe fn run_encode_with(
    codec: &Codec,
    ws: *mut tpc_workspace,
    batch: Batch,
    out: *mut tpc_slice,
    err: *mut tpc_buffer,
) -> tpc_status {
    guarded(err, || {
        if out.is_null() {
            return Err(null("out"));
        }
        // SAFETY: a non-NULL `ws` is a live workspace that, by contract, no other call uses now.
        let ws = unsafe { ws.as_mut() }.ok_or_else(|| null("workspace"))?;
        let result = match batch {
            // SAFETY: forwarded from the exported function's contract.
            Batch::Framed(payloads, len) => {
                codec.encode_with(&mut ws.inner, unsafe { input(payloads, len) }?)?
            }
            // SAFETY: forwarded from the exported function's contract.
            Batch::Parts(payloads, count) => {
                codec.encode_payloads_with(&mut ws.inner, &unsafe { parts(payloads, count) }?)?
            }
        };
        let view = match result.len() {
            0 => tpc_slice {
                data: ptr::null(),
                len: 0,
            },
            n => tpc_slice {
                data: result.as_ptr(),
                len: n,
            },
        };
        // SAFETY: `out` is non-NULL (checked) and the caller passed it as writable.
        unsafe { out.write(view) };
        Ok(())
    })
}

/// Encodes with the default codec into `ws`'s memory: see `tpc_codec_encode_with`.
///
/// # Safety
/// As for `tpc_codec_encode_with`.
#[no_mangle]
pub unsafe extern "C" fn tpc_encode_with(
    ws: *mut tpc_workspace,
    payloads: *const u8,
    len: usize,
    out: *mut tpc_slice,
    err: *mut tpc_buffer,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe { run_encode_with(&Codec::default(), ws, Batch::Framed(payloads, len), out, err) }
}

/// Encodes like `tpc_codec_encode`, into memory the workspace `ws` keeps from call to call:
/// on `TPC_OK`, `*out` views the result, valid until the next call with `ws` or
/// `tpc_workspace_free(ws)`; it is not freed by the caller. The bytes are the same as
/// `tpc_codec_encode` gives. Why: a fresh output per call for a large batch costs fresh pages,
/// which the allocator returns to the kernel and the next call faults in again (about a sixth
/// of a 1 MiB payload's encode). The codec is shared as usual; `ws` serves one call at a time.
///
/// # Safety
/// `codec` must be NULL or a live codec; `ws` NULL or a live workspace no other call is using;
/// `payloads` as for `tpc_encode`; `out` NULL or a writable `tpc_slice`; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_encode_with(
    codec: *const tpc_codec,
    ws: *mut tpc_workspace,
    payloads: *const u8,
    len: usize,
    out: *mut tpc_slice,
    err: *mut tpc_buffer,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe {
        with_codec(codec, err, |c| {
            run_encode_with(c, ws, Batch::Framed(payloads, len), out, err)
        })
    }
}

/// Scatter-gather encode with the default codec into `ws`'s memory: see
/// `tpc_codec_encode_payloads_with`.
///
/// # Safety
/// As for `tpc_codec_encode_payloads_with`.
#[no_mangle]
pub unsafe extern "C" fn tpc_encode_payloads_with(
    ws: *mut tpc_workspace,
    payloads: *const tpc_slice,
    count: usize,
    out: *mut tpc_slice,
    err: *mut tpc_buffer,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe { run_encode_with(&Codec::default(), ws, Batch::Parts(payloads, count), out, err) }
}

/// `tpc_codec_encode_payloads` (one serialized Payload per slice) into the workspace's
/// memory, as `tpc_codec_encode_with` does for a framed batch: on `TPC_OK`, `*out` views the
/// result until the next call with `ws` or its free.
///
/// # Safety
/// `codec` must be NULL or a live codec; `ws` NULL or a live workspace no other call is using;
/// `payloads` as for `tpc_codec_encode_payloads`; `out` NULL or a writable `tpc_slice`; `err`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_encode_payloads_with(
    codec: *const tpc_codec,
    ws: *mut tpc_workspace,
    payloads: *const tpc_slice,
    count: usize,
    out: *mut tpc_slice,
    err: *mut tpc_buffer,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe {
        with_codec(codec, err, |c| {
            run_encode_with(c, ws, Batch::Parts(payloads, count), out, err)
        })
    }
}

/// A new, empty workspace for `tpc_codec_encode_with` and `tpc_codec_encode_payloads_with`. It holds the memory of its largest
/// result until `tpc_workspace_free`, so free one that served an unusually large batch.
#[no_mangle]
pub extern "C" fn tpc_workspace_new() -> *mut tpc_workspace {
    Box::into_raw(Box::new(tpc_workspace {
        inner: Workspace::new(),
    }))
}

/// Bytes of buffer memory `ws` holds between calls (0 for NULL), for pools that drop
/// workspaces above a size.
///
/// # Safety
/// `ws` must be NULL or a live workspace no call is using.
#[no_mangle]
pub unsafe extern "C" fn tpc_workspace_capacity(ws: *const tpc_workspace) -> usize {
    // SAFETY: a non-NULL `ws` is live by contract and only read.
    unsafe { ws.as_ref() }.map_or(0, |ws| ws.inner.capacity())
}

/// Releases a workspace and its memory; views it gave out become invalid. NULL is ignored.
///
/// # Safety
/// `ws` must be NULL or a live workspace no call is using, not used again.
#[no_mangle]
pub unsafe extern "C" fn tpc_workspace_free(ws: *mut tpc_workspace) {
    if !ws.is_null() {
        // SAFETY: a live workspace from tpc_workspace_new, released once by contract.
        drop(unsafe { Box::from_raw(ws) });
    }
}

/// A new builder with the defaults: snappy framing, always wrap, no keys, 64 MiB max decoded
/// size. Release it with `tpc_codec_build` (which consumes it) or `tpc_codec_builder_free`.
#[no_mangle]
pub extern "C" fn tpc_codec_builder_new() -> *mut tpc_codec_builder {
    Box::into_raw(Box::new(tpc_codec_builder {
        inner: CodecBuilder::new(),
    }))
}

/// Applies `f` to a builder. A failed setter also poisons the builder, so that
/// `tpc_codec_build` fails with the first error and its message.
///
/// # Safety
/// `b` must be NULL or a live builder not used by another thread at the same time.
unsafe fn with_builder(
    b: *mut tpc_codec_builder,
    f: impl FnOnce(&mut CodecBuilder) -> Result<(), Error>,
) -> tpc_status {
    guarded(ptr::null_mut(), || {
        // SAFETY: by contract `b` is NULL or a live builder used by this thread only.
        let builder = unsafe { b.as_mut() }.ok_or_else(|| null("builder"))?;
        f(&mut builder.inner)
    })
}

/// Sets the maximum decoded size of one payload, per layer (default 64 MiB; at least 1).
///
/// # Safety
/// `b` must be NULL or a live builder.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_builder_set_max_decoded_size(
    b: *mut tpc_codec_builder,
    max_bytes: usize,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe { with_builder(b, |b| b.max_decoded_size(max_bytes)) }
}

/// Sets the most bytes one decode call may produce, all payloads and all their layers counted
/// (default 256 MiB; at least 1). Crossing it is `TPC_ERR_LIMIT_EXCEEDED`.
///
/// # Safety
/// `b` must be NULL or a live builder.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_builder_set_max_total_decoded_size(
    b: *mut tpc_codec_builder,
    max_bytes: usize,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe { with_builder(b, |b| b.max_total_decoded_size(max_bytes)) }
}

/// Sets the compression: one of `TPC_COMPRESSION_*` (default `TPC_COMPRESSION_SNAPPY`).
///
/// # Safety
/// `b` must be NULL or a live builder.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_builder_set_compression(
    b: *mut tpc_codec_builder,
    algorithm: u32,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe { with_builder(b, |b| b.compression_code(algorithm)) }
}

/// When `on` is 1, a payload that compression does not make strictly smaller is kept
/// unwrapped (the Go and Java zlib codecs' behaviour). Default 0: always wrap, as the
/// reference codec does. Other values are `TPC_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// `b` must be NULL or a live builder.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_builder_set_only_if_smaller(
    b: *mut tpc_codec_builder,
    on: u32,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe {
        with_builder(b, |b| match on {
            0 | 1 => {
                b.only_if_smaller(on == 1);
                Ok(())
            }
            _ => Err(crate::error::invalid(format!(
                "only_if_smaller must be 0 or 1, not {on}"
            ))),
        })
    }
}

/// Sets the zlib level, 0 to 9 (default 6, as the SDKs).
///
/// # Safety
/// `b` must be NULL or a live builder.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_builder_set_zlib_level(
    b: *mut tpc_codec_builder,
    level: u32,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe { with_builder(b, |b| b.zlib_level(level)) }
}

/// Reads a NUL-terminated UTF-8 key id.
///
/// # Safety
/// `id` must be NULL or point to a NUL-terminated string.
unsafe fn read_key_id<'a>(id: *const c_char) -> Result<&'a str, Error> {
    if id.is_null() {
        return Err(null("key_id"));
    }
    // SAFETY: non-NULL and NUL-terminated by contract.
    unsafe { CStr::from_ptr(id) }
        .to_str()
        .map_err(|_| crate::error::invalid("key id is not valid UTF-8"))
}

/// Adds a 32-byte AES-256 key under `key_id` (a non-empty NUL-terminated UTF-8 string).
/// Decoding picks keys by the id a payload names; the bytes are copied.
///
/// # Safety
/// `b` must be NULL or a live builder; `key_id` NULL or NUL-terminated; `key` must point to
/// `key_len` readable bytes (or be NULL with `key_len` 0).
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_builder_add_key(
    b: *mut tpc_codec_builder,
    key_id: *const c_char,
    key: *const u8,
    key_len: usize,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe {
        with_builder(b, |b| {
            let id = read_key_id(key_id)?;
            let bytes = if key.is_null() {
                if key_len > 0 {
                    return Err(null("key with a non-zero length"));
                }
                &[][..]
            } else {
                std::slice::from_raw_parts(key, key_len)
            };
            b.add_key(id, bytes)
        })
    }
}

/// Names the key that encrypts; encryption is on exactly when a key is named. The key may be
/// added before or after this call; `tpc_codec_build` fails if it never was.
///
/// # Safety
/// `b` must be NULL or a live builder; `key_id` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_builder_set_encryption_key(
    b: *mut tpc_codec_builder,
    key_id: *const c_char,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe { with_builder(b, |b| b.encryption_key(read_key_id(key_id)?)) }
}

/// Builds a codec into `*out`. Always consumes `b`, even on failure. Fails with the first
/// error any setter reported, or if the encryption key was never added.
///
/// # Safety
/// `b` must be NULL or a live builder, not used again after this call; `out` and `err` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_build(
    b: *mut tpc_codec_builder,
    out: *mut *mut tpc_codec,
    err: *mut tpc_buffer,
) -> tpc_status {
    guarded(err, || {
        if b.is_null() {
            return Err(null("builder"));
        }
        // SAFETY: a live builder allocated by tpc_codec_builder_new; we take ownership.
        let builder = unsafe { Box::from_raw(b) };
        if out.is_null() {
            return Err(null("out"));
        }
        let codec = builder.inner.build()?;
        // SAFETY: `out` is non-NULL (checked) and writable by contract.
        unsafe { out.write(Box::into_raw(Box::new(tpc_codec { inner: codec }))) };
        Ok(())
    })
}

/// Releases a builder that was never built. NULL is ignored.
///
/// # Safety
/// `b` must be NULL or a live builder, not used again.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_builder_free(b: *mut tpc_codec_builder) {
    if !b.is_null() {
        // SAFETY: a live builder from tpc_codec_builder_new, released once by contract.
        drop(unsafe { Box::from_raw(b) });
    }
}

/// Releases a codec (its keys are wiped). NULL is ignored. No call may be using it.
///
/// # Safety
/// `c` must be NULL or a live codec, not used again.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_free(c: *mut tpc_codec) {
    if !c.is_null() {
        // SAFETY: a live codec from tpc_codec_build, released once by contract.
        drop(unsafe { Box::from_raw(c) });
    }
}

/// Releases the bytes of a buffer the library filled, and zeroes it, so calling it twice, or on
/// a zeroed or NULL buffer, is harmless.
///
/// # Safety
/// `b` must be NULL or point to a tpc_buffer that is zeroed or was filled by this library.
#[no_mangle]
pub unsafe extern "C" fn tpc_buffer_free(b: *mut tpc_buffer) {
    // SAFETY: by contract `b` is NULL or a valid tpc_buffer.
    let Some(buffer) = (unsafe { b.as_mut() }) else {
        return;
    };
    if !buffer.data.is_null() {
        // SAFETY: data/len came from `to_buffer`, i.e. from a Box<[u8]> of exactly `len` bytes.
        drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(buffer.data, buffer.len)) });
    }
    buffer.data = ptr::null_mut();
    buffer.len = 0;
}

/// A static description of a status code; never NULL, also for unknown codes.
#[no_mangle]
pub extern "C" fn tpc_status_str(status: u32) -> *const c_char {
    let text: &'static CStr = match status {
        TPC_OK => c"ok",
        TPC_ERR_NULL_ARGUMENT => c"null argument",
        TPC_ERR_INVALID_ARGUMENT => c"invalid argument",
        TPC_ERR_MALFORMED_INPUT => c"malformed input",
        TPC_ERR_CORRUPT_PAYLOAD => c"corrupt payload",
        TPC_ERR_LIMIT_EXCEEDED => c"limit exceeded",
        TPC_ERR_UNKNOWN_KEY => c"unknown key",
        TPC_ERR_DECRYPT_FAILED => c"decryption failed",
        TPC_ERR_INTERNAL => c"internal error",
        _ => c"unknown status",
    };
    text.as_ptr()
}

/// The library version, e.g. "0.1.0" (static, NUL-terminated).
#[no_mangle]
pub extern "C" fn tpc_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version this library implements; equal to `TPC_ABI_VERSION` of a matching header.
#[no_mangle]
pub extern "C" fn tpc_abi_version() -> u32 {
    TPC_ABI_VERSION
}
