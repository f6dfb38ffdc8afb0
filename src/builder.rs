//! The explicit tier's builder: `tpc_codec_builder` and its setters, one per option of the one
//! vocabulary (README), and `tpc_codec_build`.

use crate::boundary::{borrow, catch, guarded, null, report, Failure};
use crate::buffer::tpc_buffer;
use crate::codec::tpc_codec;
use crate::status::{compression_of, tpc_status, TPC_ERR_INVALID_ARGUMENT, TPC_OK};
use std::ptr;
use temporal_payload_codec_core::CodecBuilder;

/// Options for a codec. Not thread-safe: configure it from one thread, then build.
pub struct tpc_codec_builder {
    inner: CodecBuilder,
    /// The first setter's failure, which `tpc_codec_build` reports.
    first_error: Option<Failure>,
}

/// Explicit tier. A new builder with the defaults: snappy framing, always wrap, no keys,
/// 64 MiB maximum decoded size per payload, 256 MiB per call. Release it with
/// `tpc_codec_build` (which consumes it) or `tpc_codec_builder_free`.
#[no_mangle]
pub extern "C" fn tpc_codec_builder_new() -> *mut tpc_codec_builder {
    Box::into_raw(Box::new(tpc_codec_builder {
        inner: CodecBuilder::new(),
        first_error: None,
    }))
}

/// Applies `f` to a builder. A failed setter also poisons the builder, so that
/// `tpc_codec_build` fails with the first error and its message.
///
/// # Safety
/// `b` must be NULL or a live builder not used by another thread at the same time.
unsafe fn with_builder(
    b: *mut tpc_codec_builder,
    f: impl FnOnce(&mut CodecBuilder) -> Result<(), Failure>,
) -> tpc_status {
    // SAFETY: by contract `b` is NULL or a live builder used by this thread only.
    let Some(builder) = (unsafe { b.as_mut() }) else {
        return report(ptr::null_mut(), null("builder"));
    };
    match catch(|| f(&mut builder.inner)) {
        Ok(()) => TPC_OK,
        Err(failure) => {
            let status = failure.status;
            builder.first_error.get_or_insert(failure);
            status
        }
    }
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
    unsafe {
        with_builder(b, |b| {
            let c = compression_of(compression).ok_or_else(|| {
                Failure::new(
                    TPC_ERR_INVALID_ARGUMENT,
                    format!("unknown compression algorithm {compression} (expected 0 to 3)"),
                )
            })?;
            b.compression(c);
            Ok(())
        })
    }
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
            _ => Err(Failure::new(
                TPC_ERR_INVALID_ARGUMENT,
                format!("only_if_smaller must be 0 or 1, not {on}"),
            )),
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
    unsafe { with_builder(b, |b| Ok(b.zlib_level(level)?)) }
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
    unsafe { with_builder(b, |b| Ok(b.max_decoded_size(max_bytes)?)) }
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
    unsafe { with_builder(b, |b| Ok(b.max_total_decoded_size(max_bytes)?)) }
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
        let id = unsafe { borrow(key_id, key_id_len, "key_id") }?;
        // SAFETY: as above.
        let key = unsafe { borrow(key, key_len, "key") }?;
        Ok(b.add_key(id, key)?)
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
        let id = unsafe { borrow(key_id, key_id_len, "key_id") }?;
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
        if let Some(failure) = builder.first_error {
            return Err(failure);
        }
        let codec = builder.inner.build()?;
        // SAFETY: `out` is non-NULL (checked) and writable by contract.
        unsafe { out.write(tpc_codec::new(codec)) };
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
