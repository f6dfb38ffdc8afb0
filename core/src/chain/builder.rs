//! [`CodecBuilder`]: the options of a [`Codec`], one setter each, checked as they are set and
//! once more at build.

use super::{Codec, DEFAULT_MAX_DECODED_SIZE, DEFAULT_MAX_TOTAL_DECODED_SIZE};
use crate::codec::encryption::{shown_id, Key};
use crate::codec::{zlib, Compression};
use crate::error::{invalid, Error, Result};
use crate::wire::{SerializedMetadata, ENCODING};

/// The highest zlib level (9: smallest output).
const ZLIB_MAX_LEVEL: u32 = 9;

/// Configures a [`Codec`]. Setters record the first error; [`CodecBuilder::build`] reports it,
/// so a chain of setters needs one check.
pub struct CodecBuilder {
    compression: Compression,
    only_if_smaller: bool,
    zlib_level: u32,
    keys: Vec<Key>,
    encryption_key_id: Option<Vec<u8>>,
    max_decoded_size: usize,
    max_total_decoded_size: usize,
    error: Option<Error>,
}

impl Default for CodecBuilder {
    fn default() -> Self {
        CodecBuilder {
            compression: Compression::Snappy,
            only_if_smaller: false,
            zlib_level: zlib::DEFAULT_LEVEL,
            keys: Vec::new(),
            encryption_key_id: None,
            max_decoded_size: DEFAULT_MAX_DECODED_SIZE,
            max_total_decoded_size: DEFAULT_MAX_TOTAL_DECODED_SIZE,
            error: None,
        }
    }
}

impl CodecBuilder {
    /// A builder with the defaults: the reference codec (snappy framing, always wrapped, no
    /// keys), 64 MiB per payload and layer, 256 MiB per decode call.
    pub fn new() -> Self {
        Self::default()
    }

    fn record(&mut self, result: Result<()>) -> Result<()> {
        if let Err(e) = &result {
            self.error.get_or_insert_with(|| e.clone());
        }
        result
    }

    /// The compression layer encoding adds (default [`Compression::Snappy`], the reference).
    pub fn compression(&mut self, compression: Compression) -> &mut Self {
        self.compression = compression;
        self
    }

    /// Keep a payload unwrapped when compression does not make it strictly smaller (the Go and
    /// Java zlib codecs' default). Off by default: the reference codec always wraps.
    pub fn only_if_smaller(&mut self, on: bool) -> &mut Self {
        self.only_if_smaller = on;
        self
    }

    /// zlib level 0 (store) to 9 (smallest); default 6, as the SDKs.
    pub fn zlib_level(&mut self, level: u32) -> Result<()> {
        let result = if level <= ZLIB_MAX_LEVEL {
            self.zlib_level = level;
            Ok(())
        } else {
            Err(invalid(format!("zlib level {level} is out of range 0 to 9")))
        };
        self.record(result)
    }

    /// Adds a 32-byte AES-256 key under `id`. Any number of keys may be added; decoding picks
    /// the one the payload names. An id is any bytes, the empty id included (the
    /// `encryption-key-id` metadata is bytes, and the Go sample's codec server writes "").
    pub fn add_key(&mut self, id: impl AsRef<[u8]>, key: &[u8]) -> Result<()> {
        let id = id.as_ref();
        let result = if self.keys.iter().any(|k| k.id() == id) {
            Err(invalid(format!("key id {} was added twice", shown_id(id))))
        } else {
            Key::new(id, key).map(|k| self.keys.push(k))
        };
        self.record(result)
    }

    /// Names the key that encrypts; encryption is on exactly when one is named (the empty id
    /// is a name). The key may be added before or after; `build` checks it exists.
    pub fn encryption_key_id(&mut self, id: impl AsRef<[u8]>) -> &mut Self {
        self.encryption_key_id = Some(id.as_ref().to_owned());
        self
    }

    /// The most bytes one payload may decode to, per layer (default
    /// [`DEFAULT_MAX_DECODED_SIZE`]); at least 1.
    pub fn max_decoded_size(&mut self, max_bytes: usize) -> Result<()> {
        let result = at_least_one(max_bytes, "max decoded size").map(|n| self.max_decoded_size = n);
        self.record(result)
    }

    /// The most bytes one decode call may produce, all payloads and all their layers counted
    /// (default [`DEFAULT_MAX_TOTAL_DECODED_SIZE`]). Crossing it is `LimitExceeded`, naming the
    /// payload at which the total crossed it. This, not fallible allocation, is what keeps a
    /// batch of bombs from exhausting the host: Linux overcommits, so a reservation that
    /// succeeds can still kill the process when its pages are touched.
    pub fn max_total_decoded_size(&mut self, max_bytes: usize) -> Result<()> {
        let result =
            at_least_one(max_bytes, "max total decoded size").map(|n| self.max_total_decoded_size = n);
        self.record(result)
    }

    /// The codec, or the first error a setter reported, or an encryption key id that names no
    /// key.
    pub fn build(self) -> Result<Codec> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let encrypt_with = match &self.encryption_key_id {
            None => None,
            Some(id) => Some(
                self.keys
                    .iter()
                    .position(|k| k.id() == id.as_slice())
                    .ok_or_else(|| invalid(format!("encryption key {} was never added", shown_id(id))))?,
            ),
        };
        let wrapper_metadata = match self.compression.label() {
            Some(label) => Some(
                SerializedMetadata::new(&[(ENCODING, label)])
                    .ok_or_else(|| invalid("the compression label's metadata is too long"))?,
            ),
            None => None,
        };
        Ok(Codec {
            compression: self.compression,
            wrapper_metadata,
            only_if_smaller: self.only_if_smaller,
            zlib_level: self.zlib_level,
            keys: self.keys,
            encrypt_with,
            max_decoded_size: self.max_decoded_size,
            max_total_decoded_size: self.max_total_decoded_size,
        })
    }
}

/// A limit in bytes, which must allow at least one.
fn at_least_one(max_bytes: usize, what: &str) -> Result<usize> {
    if max_bytes == 0 {
        return Err(invalid(format!("{what} must be at least 1 byte")));
    }
    Ok(max_bytes)
}
