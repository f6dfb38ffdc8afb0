//! Errors: a kind (each has its C status code in the C ABI crate) and a message naming what was wrong.
//!
//! Messages name payload indexes, encodings and key ids, never key bytes or payload data,
//! because they end up in logs and in HTTP responses of the codec server.

use std::fmt;

/// What went wrong. The C ABI gives each kind its status code (`TPC_ERR_*`, in the
/// `temporal-payload-codec` crate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A builder option was out of range, or keys were misconfigured.
    InvalidArgument,
    /// The input is not a valid serialized `Payloads`, or a `Payload` inside it is malformed.
    MalformedInput,
    /// An encoded payload's data cannot be decoded (bad snappy/zlib stream, CRC mismatch, a
    /// length claim its bytes cannot hold, ...).
    CorruptPayload,
    /// A decoded payload would exceed the maximum decoded size, a decode call the maximum
    /// total decoded size, or layers nest too deep; or the allocator refused memory.
    LimitExceeded,
    /// An encrypted payload names a key id this codec does not hold.
    UnknownKey,
    /// Authenticated decryption failed: wrong key, or the payload was tampered with.
    DecryptFailed,
    /// An operating-system failure (the CSPRNG) or a broken internal invariant: a bug.
    Internal,
}

impl ErrorKind {
    /// Short static description, the prefix of [`Error`]'s `Display`.
    pub fn description(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::MalformedInput => "malformed input",
            ErrorKind::CorruptPayload => "corrupt payload",
            ErrorKind::LimitExceeded => "limit exceeded",
            ErrorKind::UnknownKey => "unknown key",
            ErrorKind::DecryptFailed => "decryption failed",
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
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// What went wrong.
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

/// The result of every fallible call of this crate.
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
