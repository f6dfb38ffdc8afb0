//! The individual layers: each turns one serialized `Payload` into the `data` of a wrapper
//! `Payload` and back. The chain (`crate::chain`) decides which layers run, in what order.

pub mod encryption;
pub mod snappy;
pub mod zlib;

/// Encoding labels, exactly as they appear in the wrapper's `encoding` metadata.
pub const SNAPPY_ENCODING: &[u8] = b"binary/snappy";
pub const ZLIB_ENCODING: &[u8] = b"binary/zlib";
pub const ENCRYPTED_ENCODING: &[u8] = b"binary/encrypted";
/// Metadata key naming the key that encrypted a payload.
pub const KEY_ID_METADATA: &str = "encryption-key-id";

/// The compression layer that encoding adds (decoding reads every one, whatever this is).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// No compression layer.
    None = 0,
    /// `binary/snappy` in the framing format: the reference codec, byte for byte.
    #[default]
    Snappy = 1,
    /// `binary/snappy` as one raw block, as the Go codec-server sample writes it.
    SnappyRaw = 2,
    /// `binary/zlib`, as the Go and Java SDKs' zlib codecs write it.
    Zlib = 3,
}

impl Compression {
    /// The wrapper's `encoding` label, if this compression wraps at all.
    pub(crate) fn label(self) -> Option<&'static [u8]> {
        match self {
            Compression::None => None,
            Compression::Snappy | Compression::SnappyRaw => Some(SNAPPY_ENCODING),
            Compression::Zlib => Some(ZLIB_ENCODING),
        }
    }
}
