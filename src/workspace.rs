//! The advanced tier's workspace: memory and compressor state a caller keeps between encode
//! calls (`tpc_workspace_encode`).

use crate::boundary::{borrow, null, require};
use crate::buffer::{tpc_buffer, tpc_slice};
use crate::codec::{tpc_codec, with_codec};
use crate::status::tpc_status;
use std::ptr;
use temporal_payload_codec_core::{Codec, Workspace};

/// Memory and compressor state a caller keeps between encode calls: see
/// `tpc_workspace_encode`. Not thread-safe: one call at a time (one per thread, or pooled);
/// any codec may use it.
pub struct tpc_workspace {
    inner: Workspace,
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
        require(out, "out")?;
        // SAFETY: a non-NULL `ws` is a live workspace that, by contract, no other call uses now.
        let ws = unsafe { ws.as_mut() }.ok_or_else(|| null("workspace"))?;
        // SAFETY: forwarded from the exported function's contract.
        let input = unsafe { borrow(payloads, len, "payloads") }?;
        let result = c.encode_with(&mut ws.inner, input)?;
        let view = tpc_slice {
            data: if result.is_empty() {
                ptr::null()
            } else {
                result.as_ptr()
            },
            len: result.len(),
        };
        // SAFETY: `out` is non-NULL (checked) and the caller passed it as writable.
        unsafe { out.write(view) };
        Ok(())
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
