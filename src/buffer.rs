//! Bytes across the boundary: `tpc_buffer` (owned by the library, released by
//! `tpc_buffer_free`) and `tpc_slice` (lent by the caller for one call).

use std::ptr;

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

/// Hands `bytes` to the caller; `tpc_buffer_free` takes them back.
pub(crate) fn to_buffer(bytes: Vec<u8>) -> tpc_buffer {
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

/// Common to every tier. Releases the bytes of a buffer the library filled, and zeroes it, so
/// calling it twice, or on a zeroed or NULL buffer, is harmless.
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
