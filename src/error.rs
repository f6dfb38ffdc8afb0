//! Errors: one kind per C status code, plus a message naming what was wrong.
//!
//! Messages name payload indexes, encodings and key ids, never key bytes or payload data,
//! because they end up in logs and in HTTP responses of the codec server.

use std::fmt;

/// What went wrong. The discriminants are the C ABI status codes (a contract: never renumber).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ErrorKind {
    /// A required pointer argument was NULL (C ABI only).
    NullArgument = 1,
    /// A builder option was out of range, or keys were misconfigured.
    InvalidArgument = 2,
    /// The input is not a valid serialized `Payloads`, or a `Payload` inside it is malformed.
    MalformedInput = 3,
    /// An encoded payload's data cannot be decoded (bad snappy/zlib stream, CRC mismatch, ...).
    CorruptPayload = 4,
    /// A decoded payload would exceed the configured maximum size, or layers nest too deep.
    LimitExceeded = 5,
    /// An encrypted payload names a key id this codec does not hold.
    UnknownKey = 6,
    /// Authenticated decryption failed: wrong key, or the payload was tampered with.
    DecryptFailed = 7,
    /// The caller's buffer cannot hold the result (C ABI only: `tpc_codec_decode_into`).
    BufferTooSmall = 8,
    /// A bug: a panic was caught at the C boundary.
    Internal = 255,
}

impl ErrorKind {
    /// The C status code.
    pub fn code(self) -> u32 {
        self as u32
    }

    /// Short static description, also used by `tpc_status_str`.
    pub fn description(self) -> &'static str {
        match self {
            ErrorKind::NullArgument => "null argument",
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::MalformedInput => "malformed input",
            ErrorKind::CorruptPayload => "corrupt payload",
            ErrorKind::LimitExceeded => "limit exceeded",
            ErrorKind::UnknownKey => "unknown key",
            ErrorKind::DecryptFailed => "decryption failed",
            ErrorKind::BufferTooSmall => "buffer too small",
            ErrorKind::Internal => "internal error",
        }
    }
}

/// An error with its kind and a human-readable message.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message without the kind prefix.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prefixes the message with the payload it concerns, so a caller with a batch of 100
    /// payloads knows which one failed.
    pub(crate) fn at_payload(self, index: usize) -> Self {
        Error {
            kind: self.kind,
            message: format!("payload {index}: {}", self.message),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.description(), self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({:?}, {:?})", self.kind, self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn malformed(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::MalformedInput, message)
}

pub(crate) fn corrupt(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::CorruptPayload, message)
}

pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

pub(crate) fn too_large(limit: usize) -> Error {
    Error::new(
        ErrorKind::LimitExceeded,
        format!("decoded size exceeds the maximum of {limit} bytes"),
    )
}

/// The allocator refused a reservation. Reported as a limit, since the caller's remedy is the
/// same: a smaller batch or lower limits.
#[cold]
#[inline(never)]
pub(crate) fn out_of_memory(n: usize) -> Error {
    Error::new(
        ErrorKind::LimitExceeded,
        format!("out of memory: could not reserve {n} more bytes"),
    )
}
