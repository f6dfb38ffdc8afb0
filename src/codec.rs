//! The explicit tier's codec (`tpc_codec`: encode, decode, free) and the advanced calls on it:
//! decode into caller memory and scatter-gather encode.

use crate::boundary::{borrow, guarded, null, require, Failure};
use crate::buffer::{to_buffer, tpc_buffer, tpc_slice};
use crate::status::{tpc_status, TPC_ERR_BUFFER_TOO_SMALL};
use temporal_payload_codec_core::Codec;

/// A configured codec. Immutable: any number of threads may use one at once.
pub struct tpc_codec {
    inner: Codec,
}

impl tpc_codec {
    /// A codec handed to the caller, who releases it with `tpc_codec_free`.
    pub(crate) fn new(inner: Codec) -> *mut tpc_codec {
        Box::into_raw(Box::new(tpc_codec { inner }))
    }
}

/// Runs `f` on the codec behind `codec` under the boundary's guard, or reports a NULL codec:
/// the shared front of every call that takes a codec.
///
/// # Safety
/// `codec` must be NULL or a live codec from `tpc_codec_build`.
pub(crate) unsafe fn with_codec(
    codec: *const tpc_codec,
    err: *mut tpc_buffer,
    f: impl FnOnce(&Codec) -> Result<(), Failure>,
) -> tpc_status {
    guarded(err, || {
        // SAFETY: a non-NULL `codec` is a live tpc_codec by contract, only read (it is
        // immutable).
        let c = unsafe { codec.as_ref() }.ok_or_else(|| null("codec"))?;
        f(&c.inner)
    })
}

/// Shared body of the four encode/decode exports of the simple and explicit tiers.
///
/// # Safety
/// `payloads` as for `borrow`; `out` must be NULL or writable.
pub(crate) unsafe fn run(
    codec: &Codec,
    encode: bool,
    payloads: *const u8,
    len: usize,
    out: *mut tpc_buffer,
) -> Result<(), Failure> {
    require(out, "out")?;
    // SAFETY: forwarded from the exported function's contract.
    let input = unsafe { borrow(payloads, len, "payloads") }?;
    let result = if encode {
        codec.encode(input)
    } else {
        codec.decode(input)
    }?;
    // SAFETY: `out` is non-NULL (checked) and the caller passed it as writable.
    unsafe { out.write(to_buffer(result)) };
    Ok(())
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
    unsafe { with_codec(codec, err, |c| run(c, true, payloads, len, out)) }
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
    unsafe { with_codec(codec, err, |c| run(c, false, payloads, len, out)) }
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
        require(out_len, "out_len")?;
        // SAFETY: forwarded from the exported function's contract.
        let input = unsafe { borrow(payloads, len, "payloads") }?;
        let dst: &mut [u8] = match (dst.is_null(), dst_cap) {
            (true, 0) => &mut [],
            (true, _) => return Err(null("dst with a non-zero capacity")),
            // SAFETY: non-NULL, and by contract `dst_cap` writable bytes of initialized memory
            // (any values: they are only overwritten), not overlapping the input, and not used
            // by the caller during the call.
            (false, _) => unsafe { std::slice::from_raw_parts_mut(dst, dst_cap) },
        };
        let n = c.decode_to(input, dst)?;
        // SAFETY: `out_len` is non-NULL (checked) and the caller passed it as writable.
        unsafe { out_len.write(n) };
        if n > dst_cap {
            return Err(Failure::new(
                TPC_ERR_BUFFER_TOO_SMALL,
                format!("the result needs {n} bytes; the buffer holds {dst_cap}"),
            ));
        }
        Ok(())
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
unsafe fn parts<'a>(payloads: *const tpc_slice, count: usize) -> Result<Vec<&'a [u8]>, Failure> {
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
            unsafe { borrow(slice.data, slice.len, "data") }.map_err(|f| f.at_payload(i))
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
        require(out, "out")?;
        // SAFETY: forwarded from this function's contract.
        let parts = unsafe { parts(payloads, count) }?;
        let result = c.encode_payloads(&parts)?;
        // SAFETY: `out` is non-NULL (checked) and the caller passed it as writable.
        unsafe { out.write(to_buffer(result)) };
        Ok(())
    };
    // SAFETY: same contract as this function's.
    unsafe { with_codec(codec, err, call) }
}
