//! The simple tier: the default codec (the reference codec: snappy framing, always wrapped, no
//! encryption, default limits). Nothing to configure or free but the result.

use crate::boundary::guarded;
use crate::buffer::tpc_buffer;
use crate::codec::run;
use crate::status::tpc_status;
use temporal_payload_codec_core::Codec;

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
    guarded(err, || unsafe {
        run(&Codec::default(), true, payloads, len, out)
    })
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
    guarded(err, || unsafe {
        run(&Codec::default(), false, payloads, len, out)
    })
}
