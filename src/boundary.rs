//! What every export shares at the boundary: the failure a call reports (a status and its
//! message), the guard that turns errors and panics into statuses, and borrowing the memory a
//! caller lends. Nothing here is exported.

use crate::buffer::{to_buffer, tpc_buffer};
use crate::status::{status_of, tpc_status, TPC_ERR_INTERNAL, TPC_ERR_NULL_ARGUMENT, TPC_OK};
use std::panic::{catch_unwind, AssertUnwindSafe};
use temporal_payload_codec_core::Error;

/// A failed call: the status it returns and the message `err` receives.
pub(crate) struct Failure {
    pub(crate) status: tpc_status,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(status: tpc_status, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
        }
    }

    /// The message prefixed with the payload it concerns, as the core names payloads.
    pub(crate) fn at_payload(self, index: usize) -> Self {
        Failure::new(self.status, format!("payload {index}: {}", self.message))
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::new(status_of(e.kind()), e.message())
    }
}

/// A required pointer that was NULL.
pub(crate) fn null(what: &str) -> Failure {
    Failure::new(TPC_ERR_NULL_ARGUMENT, format!("{what} is NULL"))
}

/// Fails with a NULL-argument failure naming `what` when `p` is NULL: the check every output
/// pointer gets before any work is done.
pub(crate) fn require<T>(p: *mut T, what: &str) -> Result<(), Failure> {
    if p.is_null() {
        return Err(null(what));
    }
    Ok(())
}

/// Writes `failure`'s message to `err` (when not NULL) and returns its status.
pub(crate) fn report(err: *mut tpc_buffer, failure: Failure) -> tpc_status {
    if !err.is_null() {
        // SAFETY: the caller passed `err` as a writable tpc_buffer (or NULL, checked above).
        unsafe { err.write(to_buffer(failure.message.into_bytes())) };
    }
    failure.status
}

/// Runs `f`, turning a panic into an internal failure: no panic crosses the boundary.
pub(crate) fn catch<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(Failure::new(
            TPC_ERR_INTERNAL,
            format!("internal error (a bug, please report it): {what}"),
        ))
    })
}

/// Runs `f`, turning an error or a panic into a status (and a message into `err`).
pub(crate) fn guarded(err: *mut tpc_buffer, f: impl FnOnce() -> Result<(), Failure>) -> tpc_status {
    match catch(f) {
        Ok(()) => TPC_OK,
        Err(failure) => report(err, failure),
    }
}

/// Borrows `(ptr, len)` as a slice: `(NULL, 0)` is empty, `(NULL, n > 0)` is an error naming
/// `what`.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` readable bytes that stay valid and unmodified for the
/// returned lifetime.
pub(crate) unsafe fn borrow<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8], Failure> {
    match (ptr.is_null(), len) {
        (true, 0) => Ok(&[]),
        (true, _) => Err(null(&format!("{what} pointer with a non-zero length"))),
        // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
        (false, _) => Ok(unsafe { std::slice::from_raw_parts(ptr, len) }),
    }
}
