//! The C ABI, version 2. This is the only module with `unsafe` code: each block says why it is
//! sound.
//!
//! Conventions (see include/temporal_payload_codec.h for the user-facing version):
//! - Fallible calls return a `tpc_status` (0 = OK); results go out through pointers, written
//!   only on success (and, for `TPC_ERR_BUFFER_TOO_SMALL`, the size needed). `err`, when not
//!   NULL, receives a UTF-8 message (not NUL-terminated) on failure, to be released with
//!   `tpc_buffer_free`.
//! - Bytes handed out are owned by the library and released only by `tpc_buffer_free`.
//! - No panic crosses the boundary: every export catches it and returns `TPC_ERR_INTERNAL`.
//! - No global or thread-local mutable state: a `tpc_codec` is immutable and shareable.
//!
//! The exports come in three tiers, as zstd.h lays out its API, in this order in the file and
//! so in the header: simple (the default codec), explicit (a configured `tpc_codec`) and
//! advanced (caller memory, a reusable workspace, scatter-gather; configured codec only),
//! then the few calls common to all. Every export is used by a binding or by a C example the
//! tests run (the README's export table says which).

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
/// A decoded payload would exceed the maximum decoded size, the batch the maximum total
/// decoded size, or layers nest too deeply.
pub const TPC_ERR_LIMIT_EXCEEDED: tpc_status = 5;
/// An encrypted payload names a key id the codec does not hold.
pub const TPC_ERR_UNKNOWN_KEY: tpc_status = 6;
/// Authenticated decryption failed: wrong key, tampered payload, or an unsupported cipher.
pub const TPC_ERR_DECRYPT_FAILED: tpc_status = 7;
/// The caller's buffer is too small for the result: the size needed was written out (see
/// `tpc_codec_decode_into`).
pub const TPC_ERR_BUFFER_TOO_SMALL: tpc_status = 8;
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

/// Bumped on any incompatible change of this header, together with the shared library's
/// SONAME (libtemporal_payload_codec.so.2). Bindings compare it with `tpc_abi_version()` when
/// they load the library.
pub const TPC_ABI_VERSION: u32 = 2;
/// The library version (kept equal to Cargo.toml by a test).
pub const TPC_VERSION_MAJOR: u32 = 0;
pub const TPC_VERSION_MINOR: u32 = 2;
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
/// `tpc_workspace_encode`. Not thread-safe: one call at a time (one per thread, or pooled);
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
/// front of every call that takes a codec.
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

/// Borrows `(ptr, len)` as a slice: `(NULL, 0)` is empty, `(NULL, n > 0)` is an error naming
/// `what`.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` readable bytes that stay valid and unmodified for the
/// returned lifetime.
unsafe fn bytes<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8], Error> {
    match (ptr.is_null(), len) {
        (true, 0) => Ok(&[]),
        (true, _) => Err(null(&format!("{what} pointer with a non-zero length"))),
        // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
        (false, _) => Ok(unsafe { std::slice::from_raw_parts(ptr, len) }),
    }
}

/// Shared body of the four encode/decode exports of the simple and explicit tiers.
///
/// # Safety
/// As for `bytes`; `out` must be NULL or writable.
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
        let input = unsafe { bytes(payloads, len, "payloads") }?;
        let result = if encode {
            codec.encode(input)
        } else {
            codec.decode(input)
        }?;
        // SAFETY: `out` is non-NULL (checked) and the caller passed it as writable.
        unsafe { out.write(to_buffer(result)) };
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Simple tier: the default codec (the reference codec: snappy framing, always wrapped, no
// encryption, default limits). Nothing to configure or free but the result.
// ---------------------------------------------------------------------------------------------

/// Simple tier. Encodes a serialized `temporal.api.common.v1.Payloads` with the default codec
/// (the reference snappy codec) into `*out`. `(NULL, 0)` is an empty input.
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

/// Simple tier. Decodes a serialized Payloads with the default codec into `*out`.
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

// ---------------------------------------------------------------------------------------------
// Explicit tier: a codec configured through a builder. The builder's defaults are the
// default codec's, so a codec built with no setter called gives the reference bytes.
// ---------------------------------------------------------------------------------------------

/// Explicit tier. A new builder with the defaults: snappy framing, always wrap, no keys,
/// 64 MiB maximum decoded size per payload, 256 MiB per call. Release it with
/// `tpc_codec_build` (which consumes it) or `tpc_codec_builder_free`.
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

/// Explicit tier. Option `compression`: one of `TPC_COMPRESSION_*` (default
/// `TPC_COMPRESSION_SNAPPY`).
///
/// # Safety
/// `b` must be NULL or a live builder.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_builder_set_compression(
    b: *mut tpc_codec_builder,
    compression: u32,
) -> tpc_status {
    // SAFETY: same contract as this function's.
    unsafe { with_builder(b, |b| b.compression_code(compression)) }
}

/// Explicit tier. Option `only_if_smaller`: when 1, a payload that compression does not make
/// strictly smaller is kept unwrapped (the Go and Java zlib codecs' behaviour). Default 0:
/// always wrap, as the reference codec does. Other values are `TPC_ERR_INVALID_ARGUMENT`.
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

/// Explicit tier. Option `zlib_level`: 0 to 9 (default 6, as the SDKs).
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

/// Explicit tier. Option `max_decoded_size`: the most bytes one payload may decode to, per
/// layer (default 64 MiB; at least 1).
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

/// Explicit tier. Option `max_total_decoded_size`: the most bytes one decode call may
/// produce, all payloads and all their layers counted (default 256 MiB; at least 1).
/// Crossing it is `TPC_ERR_LIMIT_EXCEEDED`.
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

/// Explicit tier. Option `keys`: adds a 32-byte AES-256 key under the id
/// `key_id[0 .. key_id_len]`. An id is any bytes, the empty id included (the Go sample's
/// codec server writes `encryption-key-id: ""`). Decoding picks keys by the id a payload
/// names; an id added twice is `TPC_ERR_INVALID_ARGUMENT`. Both are copied.
///
/// # Safety
/// `b` must be NULL or a live builder; `key_id` must point to `key_id_len` readable bytes (or
/// be NULL with `key_id_len` 0); `key` likewise with `key_len`.
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_builder_add_key(
    b: *mut tpc_codec_builder,
    key_id: *const u8,
    key_id_len: usize,
    key: *const u8,
    key_len: usize,
) -> tpc_status {
    let add = |b: &mut CodecBuilder| {
        // SAFETY: by contract, `key_id_len` and `key_len` readable bytes (or NULL and 0).
        let id = unsafe { bytes(key_id, key_id_len, "key_id") }?;
        // SAFETY: as above.
        let key = unsafe { bytes(key, key_len, "key") }?;
        b.add_key(id, key)
    };
    // SAFETY: same contract as this function's.
    unsafe { with_builder(b, add) }
}

/// Explicit tier. Option `encryption_key_id`: names the key that encrypts
/// (`key_id[0 .. key_id_len]`, any bytes, the empty id included); encryption is on exactly
/// when this was called. The key may be added before or after this call; `tpc_codec_build`
/// fails if it never was.
///
/// # Safety
/// `b` must be NULL or a live builder; `key_id` must point to `key_id_len` readable bytes (or
/// be NULL with `key_id_len` 0).
#[no_mangle]
pub unsafe extern "C" fn tpc_codec_builder_set_encryption_key_id(
    b: *mut tpc_codec_builder,
    key_id: *const u8,
    key_id_len: usize,
) -> tpc_status {
    let set = |b: &mut CodecBuilder| {
        // SAFETY: by contract, `key_id_len` readable bytes (or NULL and 0).
        let id = unsafe { bytes(key_id, key_id_len, "key_id") }?;
        b.encryption_key_id(id);
        Ok(())
    };
    // SAFETY: same contract as this function's.
    unsafe { with_builder(b, set) }
}

/// Explicit tier. Builds a codec into `*out`. Always consumes `b`, even on failure. Fails with
/// the first error any setter reported, or if the encryption key was never added.
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

/// Explicit tier. Releases a builder that was never built. NULL is ignored.
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

/// Explicit tier. Encodes a serialized Payloads with `codec` into `*out`. Thread-safe. A NULL
/// `codec` is `TPC_ERR_NULL_ARGUMENT` (build one with no options for the default codec).
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

/// Explicit tier. Decodes a serialized Payloads with `codec` into `*out`. Thread-safe.
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

/// Explicit tier. Releases a codec (its keys are wiped). NULL is ignored. No call may be
/// using it.
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

// ---------------------------------------------------------------------------------------------
// Advanced tier, configured codec only: decode into caller memory, encode into a reusable
// workspace, scatter-gather encode. Each saves a copy or an allocation for bindings whose
// runtime pays for them; the explicit tier gives the same bytes.
// ---------------------------------------------------------------------------------------------

/// Advanced tier. Decodes a serialized Payloads with `codec` into the caller's buffer `dst`
/// of `dst_cap` bytes, so the result needs no library-owned buffer and no copy. Thread-safe.
///
/// On `TPC_OK`, the result is `dst[0 .. *out_len]`. On `TPC_ERR_BUFFER_TOO_SMALL`, `dst` was
/// too small, its contents are unspecified, and `*out_len` is the size needed. `(NULL, 0)` as
/// `dst` asks for that size: for snappy, encrypted and plain payloads it is read from the
/// headers without decoding. When a payload holds nested encodings, the headers tell too
/// little, and a second `TPC_ERR_BUFFER_TOO_SMALL` can follow with the exact size (learnt by
/// decoding fully); zlib payloads are decoded fully to answer, so their size is exact at once.
/// The one pattern, which ends after at most two retries:
///
/// ```c
/// size_t need = 0;
/// tpc_status s = tpc_codec_decode_into(codec, in, in_len, NULL, 0, &need, &err);
/// while (s == TPC_ERR_BUFFER_TOO_SMALL) {
///     buf = realloc(buf, need);
///     s = tpc_codec_decode_into(codec, in, in_len, buf, need, &need, &err);
/// }
/// ```
///
/// `err` receives a message for `TPC_ERR_BUFFER_TOO_SMALL` too, like for every failure.
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
    let call = |c: &Codec| {
        guarded(err, || {
            if out_len.is_null() {
                return Err(null("out_len"));
            }
            // SAFETY: forwarded from the exported function's contract.
            let input = unsafe { bytes(payloads, len, "payloads") }?;
            let dst: &mut [u8] = match (dst.is_null(), dst_cap) {
                (true, 0) => &mut [],
                (true, _) => return Err(null("dst with a non-zero capacity")),
                // SAFETY: non-NULL, and by contract `dst_cap` writable bytes of initialized
                // memory (any values: they are only overwritten), not overlapping the
                // input, and not used by the caller during the call.
                (false, _) => unsafe { std::slice::from_raw_parts_mut(dst, dst_cap) },
            };
            let n = c.decode_to(input, dst)?;
            // SAFETY: `out_len` is non-NULL (checked) and the caller passed it as writable.
            unsafe { out_len.write(n) };
            if n > dst_cap {
                return Err(Error::new(
                    ErrorKind::BufferTooSmall,
                    format!("the result needs {n} bytes; the buffer holds {dst_cap}"),
                ));
            }
            Ok(())
        })
    };
    // SAFETY: same contract as this function's.
    unsafe { with_codec(codec, err, call) }
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
            // valid and unmodified for the returned lifetime, which is all `bytes` needs.
            unsafe { bytes(slice.data, slice.len, "data") }.map_err(|e| e.at_payload(i))
        })
        .collect()
}

/// Advanced tier. Scatter-gather encode: `payloads[0 .. count]` each hold one serialized
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
pub unsafe extern "C" fn tpc_codec_encode_gather(
    codec: *const tpc_codec,
    payloads: *const tpc_slice,
    count: usize,
    out: *mut tpc_buffer,
    err: *mut tpc_buffer,
) -> tpc_status {
    let call = |c: &Codec| {
        guarded(err, || {
            if out.is_null() {
                return Err(null("out"));
            }
            // SAFETY: forwarded from this function's contract.
            let parts = unsafe { parts(payloads, count) }?;
            let result = c.encode_payloads(&parts)?;
            // SAFETY: `out` is non-NULL (checked) and the caller passed it as writable.
            unsafe { out.write(to_buffer(result)) };
            Ok(())
        })
    };
    // SAFETY: same contract as this function's.
    unsafe { with_codec(codec, err, call) }
}

/// Advanced tier. A new, empty workspace for `tpc_workspace_encode`. It holds the memory of
/// its largest result until `tpc_workspace_free`, so free one that served an unusually large
/// batch.
#[no_mangle]
pub extern "C" fn tpc_workspace_new() -> *mut tpc_workspace {
    Box::into_raw(Box::new(tpc_workspace {
        inner: Workspace::new(),
    }))
}

/// Advanced tier. Encodes like `tpc_codec_encode` with `codec`, into memory the workspace
/// `ws` keeps from call to call: on `TPC_OK`, `*out` views the result, valid until the next
/// call with `ws` or `tpc_workspace_free(ws)`; it is not freed by the caller. The bytes are
/// the same as `tpc_codec_encode` gives. Why: a fresh output per call for a large batch costs
/// fresh pages, which the allocator returns to the kernel and the next call faults in again
/// (about a sixth of a 1 MiB payload's encode). The codec is shared as usual; `ws` serves one
/// call at a time.
///
/// # Safety
/// `ws` must be NULL or a live workspace no other call is using; `codec` NULL or a live
/// codec; `payloads` as for `tpc_encode`; `out` NULL or a writable `tpc_slice`; `err` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn tpc_workspace_encode(
    ws: *mut tpc_workspace,
    codec: *const tpc_codec,
    payloads: *const u8,
    len: usize,
    out: *mut tpc_slice,
    err: *mut tpc_buffer,
) -> tpc_status {
    let call = |c: &Codec| {
        guarded(err, || {
            if out.is_null() {
                return Err(null("out"));
            }
            // SAFETY: a non-NULL `ws` is a live workspace that, by contract, no other call
            // uses now.
            let ws = unsafe { ws.as_mut() }.ok_or_else(|| null("workspace"))?;
            // SAFETY: forwarded from the exported function's contract.
            let input = unsafe { bytes(payloads, len, "payloads") }?;
            let result = c.encode_with(&mut ws.inner, input)?;
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
    };
    // SAFETY: same contract as this function's.
    unsafe { with_codec(codec, err, call) }
}

/// Advanced tier. Bytes of buffer memory `ws` holds between calls (0 for NULL), for pools
/// that drop workspaces above a size.
///
/// # Safety
/// `ws` must be NULL or a live workspace no call is using.
#[no_mangle]
pub unsafe extern "C" fn tpc_workspace_capacity(ws: *const tpc_workspace) -> usize {
    // SAFETY: a non-NULL `ws` is live by contract and only read.
    unsafe { ws.as_ref() }.map_or(0, |ws| ws.inner.capacity())
}

/// Advanced tier. Releases a workspace and its memory; views it gave out become invalid.
/// NULL is ignored.
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

// ---------------------------------------------------------------------------------------------
// Common to every tier.
// ---------------------------------------------------------------------------------------------

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
        TPC_ERR_BUFFER_TOO_SMALL => c"buffer too small",
        TPC_ERR_INTERNAL => c"internal error",
        _ => c"unknown status",
    };
    text.as_ptr()
}

/// The library version, e.g. "0.2.0" (static, NUL-terminated).
#[no_mangle]
pub extern "C" fn tpc_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version this library implements; equal to `TPC_ABI_VERSION` of a matching header.
/// Bindings refuse a library whose ABI version is not theirs.
#[no_mangle]
pub extern "C" fn tpc_abi_version() -> u32 {
    TPC_ABI_VERSION
}
