//! Status codes, compression numbers and versions: the numbers of the contract, and the
//! calls that describe them (common to every tier).

use std::ffi::{c_char, CStr};
use temporal_payload_codec_core::{Compression, ErrorKind};

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

/// The status the C ABI gives an error kind of the core.
pub(crate) fn status_of(kind: ErrorKind) -> tpc_status {
    match kind {
        ErrorKind::InvalidArgument => TPC_ERR_INVALID_ARGUMENT,
        ErrorKind::MalformedInput => TPC_ERR_MALFORMED_INPUT,
        ErrorKind::CorruptPayload => TPC_ERR_CORRUPT_PAYLOAD,
        ErrorKind::LimitExceeded => TPC_ERR_LIMIT_EXCEEDED,
        ErrorKind::UnknownKey => TPC_ERR_UNKNOWN_KEY,
        ErrorKind::DecryptFailed => TPC_ERR_DECRYPT_FAILED,
        _ => TPC_ERR_INTERNAL,
    }
}

/// The compression a `TPC_COMPRESSION_*` number names.
pub(crate) fn compression_of(code: u32) -> Option<Compression> {
    match code {
        TPC_COMPRESSION_NONE => Some(Compression::None),
        TPC_COMPRESSION_SNAPPY => Some(Compression::Snappy),
        TPC_COMPRESSION_SNAPPY_RAW => Some(Compression::SnappyRaw),
        TPC_COMPRESSION_ZLIB => Some(Compression::Zlib),
        _ => None,
    }
}

/// Common to every tier. A static description of a status code; never NULL, also for unknown
/// codes.
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

/// Common to every tier. The library version, e.g. "0.2.0" (static, NUL-terminated).
#[no_mangle]
pub extern "C" fn tpc_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Common to every tier. The ABI version this library implements; equal to `TPC_ABI_VERSION`
/// of a matching header. Bindings refuse a library whose ABI version is not theirs.
#[no_mangle]
pub extern "C" fn tpc_abi_version() -> u32 {
    TPC_ABI_VERSION
}
