//! The codec: which layers run on encode (compress, then encrypt), and peeling every layer
//! this library knows on decode, whatever it is configured to encode with, so that a change of
//! algorithm or a key rotation never strands old workflow histories.
//!
//! This file holds the [`Codec`] itself, its [`Workspace`] and the state both share;
//! `builder.rs` configures a codec, `encode.rs` and `decode.rs` hold the two directions, and
//! `output.rs` where decoding writes (a `Vec` of ours or the caller's buffer) and how output
//! memory grows.

mod builder;
mod decode;
mod encode;
mod output;

pub use builder::CodecBuilder;

use crate::codec::encryption::{shown_id, Key};
use crate::codec::{snappy, zlib, Compression};
use crate::wire::SerializedMetadata;
use std::fmt;

/// Default maximum decoded size of one payload, per layer.
pub const DEFAULT_MAX_DECODED_SIZE: usize = 64 << 20;
/// Default maximum of all bytes one decode call produces, every payload and every layer
/// counted: four payloads at the per-payload maximum. Temporal's own gRPC limit is 4 MiB per
/// message by default and a history event's payloads rarely pass a few MiB, so an honest call
/// stays far below it, while a batch of bombs stops at a size any worker host can hold.
pub const DEFAULT_MAX_TOTAL_DECODED_SIZE: usize = 256 << 20;
/// More nested layers than this are refused: we write at most two, and a deeper stack is
/// either a loop of re-encoding or an attack.
pub const MAX_LAYERS: usize = 8;

/// A configured codec. Immutable once built: share it between threads freely.
pub struct Codec {
    compression: Compression,
    /// The metadata of the wrapper around compressed data, serialized once at build; None
    /// without compression.
    wrapper_metadata: Option<SerializedMetadata>,
    only_if_smaller: bool,
    zlib_level: u32,
    keys: Vec<Key>,
    encrypt_with: Option<usize>,
    max_decoded_size: usize,
    max_total_decoded_size: usize,
}

impl Default for Codec {
    /// The reference codec: snappy framing format, always wrapped, no encryption.
    fn default() -> Self {
        CodecBuilder::default()
            .build()
            .expect("the default configuration is valid")
    }
}

/// Shows the configuration and key ids, never key material.
impl fmt::Debug for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Codec")
            .field("compression", &self.compression)
            .field("only_if_smaller", &self.only_if_smaller)
            .field("zlib_level", &self.zlib_level)
            .field(
                "key_ids",
                &self.keys.iter().map(|k| DebugId(k.id())).collect::<Vec<_>>(),
            )
            .field(
                "encryption_key_id",
                &self.encrypt_with.map(|i| DebugId(self.keys[i].id())),
            )
            .field("max_decoded_size", &self.max_decoded_size)
            .field("max_total_decoded_size", &self.max_total_decoded_size)
            .finish()
    }
}

/// Memory and compressor state one caller keeps between encode calls ([`Codec::encode_with`]),
/// one call at a time; any codec may use it.
///
/// Why: encoding a large batch allocates an output about the batch's size. With a fresh one
/// per call, glibc hands large freed blocks back to the kernel and every call faults the pages
/// in again (about a sixth of a 1 MiB payload's encode, measured from Go). A workspace keeps its
/// largest output's memory until it is dropped, so drop one that served an unusually large batch.
#[derive(Default)]
pub struct Workspace {
    scratch: Scratch,
    out: Vec<u8>,
}

impl Workspace {
    /// An empty workspace; it grows to its largest result's size.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes of buffer memory held between calls: the output, and the scratch an encrypting
    /// codec stages each compressed payload in (compressor state, under 1 MiB, not counted).
    pub fn capacity(&self) -> usize {
        self.out.capacity() + self.scratch.data.capacity() + self.scratch.layer.capacity()
    }
}

impl fmt::Debug for Workspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workspace")
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

/// Working state: compressor instances and scratch buffers reused across the payloads of a
/// call (and across calls, in a [`Workspace`]), so small payloads do not allocate each.
#[derive(Default)]
struct Scratch {
    compressors: Compressors,
    inflate: zlib::Decompressor,
    data: Vec<u8>,
    layer: Vec<u8>,
}

/// Compressor instances, created on first use and kept for the rest of the call (or the
/// workspace's life).
#[derive(Default)]
struct Compressors {
    snappy: Option<snappy::Compressor>,
    zlib: Option<zlib::Compressor>,
}

/// A layer this library peels on decode.
#[derive(Clone, Copy)]
enum Layer {
    Snappy,
    Zlib,
    Encrypted,
}

impl Codec {
    /// A builder whose defaults are the reference codec's (see [`CodecBuilder`]).
    pub fn builder() -> CodecBuilder {
        CodecBuilder::new()
    }
}

/// Quotes untrusted metadata for an error message, shortened so a hostile payload cannot
/// flood logs.
/// A key id in Debug output, as [`shown_id`] writes it.
struct DebugId<'a>(&'a [u8]);

impl fmt::Debug for DebugId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&shown_id(self.0))
    }
}

fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]);
    let more = if bytes.len() > 64 { "..." } else { "" };
    format!("{text:?}{more}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn builder_reports_the_first_error_at_build() {
        let mut b = Codec::builder();
        assert!(b.add_key("k", &[0; 31]).is_err());
        assert!(b.add_key("k2", &[0; 32]).is_ok());
        let err = b.build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.message().contains("31 bytes"), "{err}");
    }

    #[test]
    fn encryption_key_must_exist_and_ids_be_unique() {
        let mut b = Codec::builder();
        b.encryption_key_id("missing");
        assert!(b.build().unwrap_err().message().contains("never added"));
        let mut b = Codec::builder();
        b.add_key("a", &[1; 32]).unwrap();
        assert!(b.add_key("a", &[2; 32]).unwrap_err().message().contains("twice"));
        assert!(Codec::builder().zlib_level(10).is_err());
        assert!(Codec::builder().max_decoded_size(0).is_err());
        assert!(Codec::builder().max_total_decoded_size(0).is_err());
    }

    #[test]
    fn debug_shows_ids_not_keys() {
        let mut b = Codec::builder();
        b.add_key("current", &[0x5a; 32]).unwrap();
        b.encryption_key_id("current");
        let shown = format!("{:?}", b.build().unwrap());
        assert!(shown.contains("current"));
        assert!(!shown.contains("90"), "{shown}");
    }
}
