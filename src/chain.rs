//! The codec: which layers run on encode (compress, then encrypt), and peeling every layer
//! this library knows on decode, whatever it is configured to encode with, so that a change of
//! algorithm or a key rotation never strands old workflow histories.

use crate::codec::encryption::{random_nonces, Key, JAVA_CIPHER_NAME, NONCE_LEN, TAG_LEN};
use crate::codec::{
    snappy, zlib, Compression, ENCRYPTED_ENCODING, KEY_ID_METADATA, SNAPPY_ENCODING, ZLIB_ENCODING,
};
use crate::error::{corrupt, invalid, too_large, Error, ErrorKind, Result};
use crate::wire::{self, PayloadView, ENCODING};
use std::fmt;

/// Default maximum decoded size of one payload, per layer.
pub const DEFAULT_MAX_DECODED_SIZE: usize = 64 << 20;
/// More nested layers than this are refused: we write at most two, and a deeper stack is
/// either a loop of re-encoding or an attack.
pub const MAX_LAYERS: usize = 8;
const ZLIB_MAX_LEVEL: u32 = 9;

/// Configures a [`Codec`]. Setters record the first error; [`CodecBuilder::build`] reports it,
/// so a chain of setters needs one check.
pub struct CodecBuilder {
    compression: Compression,
    only_if_smaller: bool,
    zlib_level: u32,
    keys: Vec<Key>,
    encryption_key_id: Option<String>,
    max_decoded_size: usize,
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
            error: None,
        }
    }
}

impl CodecBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    fn record(&mut self, result: Result<()>) -> Result<()> {
        if let Err(e) = &result {
            self.error.get_or_insert_with(|| e.clone());
        }
        result
    }

    pub fn compression(&mut self, compression: Compression) -> &mut Self {
        self.compression = compression;
        self
    }

    /// Sets the compression from its C ABI number.
    pub fn compression_code(&mut self, code: u32) -> Result<()> {
        let result = match Compression::from_code(code) {
            Some(c) => {
                self.compression = c;
                Ok(())
            }
            None => Err(invalid(format!(
                "unknown compression algorithm {code} (expected 0 to 3)"
            ))),
        };
        self.record(result)
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
    /// the one the payload names.
    pub fn add_key(&mut self, id: &str, key: &[u8]) -> Result<()> {
        let result = if self.keys.iter().any(|k| k.id() == id) {
            Err(invalid(format!("key id {id:?} was added twice")))
        } else {
            Key::new(id, key).map(|k| self.keys.push(k))
        };
        self.record(result)
    }

    /// Names the key that encrypts; encryption is on exactly when one is named. The key may be
    /// added before or after; `build` checks it exists.
    pub fn encryption_key(&mut self, id: &str) -> Result<()> {
        let result = if id.is_empty() {
            Err(invalid("encryption key id must not be empty"))
        } else {
            self.encryption_key_id = Some(id.to_owned());
            Ok(())
        };
        self.record(result)
    }

    pub fn max_decoded_size(&mut self, max_bytes: usize) -> Result<()> {
        let result = if max_bytes == 0 {
            Err(invalid("max decoded size must be at least 1 byte"))
        } else {
            self.max_decoded_size = max_bytes;
            Ok(())
        };
        self.record(result)
    }

    pub fn build(self) -> Result<Codec> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let encrypt_with = match &self.encryption_key_id {
            None => None,
            Some(id) => Some(
                self.keys
                    .iter()
                    .position(|k| k.id() == id)
                    .ok_or_else(|| invalid(format!("encryption key {id:?} was never added")))?,
            ),
        };
        Ok(Codec {
            compression: self.compression,
            only_if_smaller: self.only_if_smaller,
            zlib_level: self.zlib_level,
            keys: self.keys,
            encrypt_with,
            max_decoded_size: self.max_decoded_size,
        })
    }
}

/// A configured codec. Immutable once built: share it between threads freely.
pub struct Codec {
    compression: Compression,
    only_if_smaller: bool,
    zlib_level: u32,
    keys: Vec<Key>,
    encrypt_with: Option<usize>,
    max_decoded_size: usize,
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
            .field("key_ids", &self.keys.iter().map(Key::id).collect::<Vec<_>>())
            .field("encryption_key_id", &self.encrypt_with.map(|i| self.keys[i].id()))
            .field("max_decoded_size", &self.max_decoded_size)
            .finish()
    }
}

/// Per-call working state: compressor instances and scratch buffers reused across the
/// payloads of one call, so a batch of small payloads does not allocate per payload.
#[derive(Default)]
struct Scratch {
    snappy: Option<snap::raw::Encoder>,
    zlib: Option<zlib::Compressor>,
    inflate: zlib::Decompressor,
    data: Vec<u8>,
    layer: Vec<u8>,
}

/// A layer this library peels on decode.
#[derive(Clone, Copy)]
enum Layer {
    Snappy,
    Zlib,
    Encrypted,
}

impl Codec {
    pub fn builder() -> CodecBuilder {
        CodecBuilder::new()
    }

    /// Encodes a serialized `Payloads`, returning a serialized `Payloads` with the same number
    /// of payloads in the same order.
    pub fn encode(&self, payloads: &[u8]) -> Result<Vec<u8>> {
        let items = wire::split_payloads(payloads)?;
        let nonces = match self.encrypt_with {
            Some(_) => random_nonces(items.len())?,
            None => Vec::new(),
        };
        let mut s = Scratch::default();
        // Room for incompressible data plus wrappers: one allocation in the usual case.
        let mut out = Vec::with_capacity(payloads.len() + payloads.len() / 1024 + items.len() * 128);
        for (i, &(payload, _)) in items.iter().enumerate() {
            let label = self.compress(payload, &mut s);
            let Some(k) = self.encrypt_with else {
                match label {
                    Some(label) => write_wrapper_element(&mut out, &[(ENCODING, label)], &s.data),
                    None => {
                        wire::write_payloads_entry_header(&mut out, payload.len());
                        out.extend_from_slice(payload);
                    }
                }
                continue;
            };
            let inner: &[u8] = match label {
                Some(label) => {
                    s.layer.clear();
                    wire::write_wrapper(&mut s.layer, &[(ENCODING, label)], &s.data);
                    &s.layer
                }
                None => payload,
            };
            // Sealed in place at the end of the output: no copy of the ciphertext.
            let key = &self.keys[k];
            let metadata: [(&str, &[u8]); 2] = [
                (ENCODING, ENCRYPTED_ENCODING),
                (KEY_ID_METADATA, key.id().as_bytes()),
            ];
            let sealed_len = NONCE_LEN + inner.len() + TAG_LEN;
            wire::write_payloads_entry_header(&mut out, wire::wrapper_size(&metadata, sealed_len));
            wire::write_wrapper_head(&mut out, &metadata, sealed_len);
            key.seal(&nonces[i], inner, &mut out);
        }
        Ok(out)
    }

    /// Compresses `payload` into `s.data` and returns the wrapper's label; None when the
    /// payload stays as it is (no compression, or it did not shrink and `only_if_smaller` is set).
    fn compress(&self, payload: &[u8], s: &mut Scratch) -> Option<&'static [u8]> {
        let label = self.compression.label()?;
        s.data.clear();
        match self.compression {
            Compression::Snappy => snappy::encode_framed(
                s.snappy.get_or_insert_with(snap::raw::Encoder::new),
                payload,
                &mut s.data,
            ),
            Compression::SnappyRaw => snappy::encode_raw(
                s.snappy.get_or_insert_with(snap::raw::Encoder::new),
                payload,
                &mut s.data,
            ),
            Compression::Zlib => s
                .zlib
                .get_or_insert_with(|| zlib::Compressor::new(self.zlib_level))
                .compress(payload, &mut s.data),
            Compression::None => unreachable!("no label"),
        }
        if self.only_if_smaller && s.data.len() >= payload.len() {
            return None;
        }
        Some(label)
    }

    /// Decodes a serialized `Payloads`: every layer this library knows is peeled, anything
    /// else passes through byte for byte.
    pub fn decode(&self, payloads: &[u8]) -> Result<Vec<u8>> {
        let items = wire::split_payloads(payloads)?;
        // Size the output from the outer layers' headers: growing a multi-megabyte buffer by
        // doubling would copy it and touch fresh pages several times. The outer layer and its
        // decoded size are kept for the decoding pass, which would otherwise find them again.
        let mut capacity = 0;
        let mut outer = Vec::with_capacity(items.len());
        for (i, (payload, view)) in items.iter().enumerate() {
            let layer = self.layer_of(view);
            let (first_len, size) = match layer {
                None => (None, payload.len()),
                Some(layer) => {
                    let n = self.decoded_len(layer, view).map_err(|e| e.at_payload(i))?;
                    (n, n.unwrap_or(view.data.len() * 4))
                }
            };
            capacity += wire::payloads_entry_size(size);
            outer.push((layer, first_len));
        }
        let mut out = Vec::with_capacity(capacity);
        let mut s = Scratch::default();
        for (i, (&(payload, view), (layer, first_len))) in items.iter().zip(outer).enumerate() {
            self.decode_into(payload, view, layer, first_len, &mut out, &mut s)
                .map_err(|e| e.at_payload(i))?;
        }
        Ok(out)
    }

    /// Appends `payload` (whose view is `view`), with every known layer peeled, to `out` as one
    /// `Payloads` element. `layer` is `layer_of(view)` and `first_len` is `decoded_len` of that
    /// outer layer, both already computed.
    ///
    /// A layer whose decoded size its header tells (snappy, encryption) is decoded straight into
    /// `out`, because its result is almost always the final payload; in the rare case that it
    /// is another layer, it moves to `s.layer` and is peeled in turn.
    fn decode_into<'a>(
        &self,
        payload: &'a [u8],
        view: PayloadView<'a>,
        layer: Option<Layer>,
        first_len: Option<usize>,
        out: &mut Vec<u8>,
        s: &mut Scratch,
    ) -> Result<()> {
        let mark = out.len();
        let mut current = payload;
        let mut view = view;
        let mut layer = layer;
        let mut nested = Vec::new();
        for depth in 0..=MAX_LAYERS {
            let Some(this) = layer else {
                wire::write_payloads_entry_header(out, current.len());
                out.extend_from_slice(current);
                return Ok(());
            };
            if depth == MAX_LAYERS {
                break;
            }
            let known_len = if depth == 0 {
                first_len
            } else {
                self.decoded_len(this, &view)?
            };
            let at = match known_len {
                Some(n) => {
                    wire::write_payloads_entry_header(out, n);
                    let at = out.len();
                    self.peel(this, &view, n, out, &mut s.inflate)?;
                    debug_assert_eq!(out.len() - at, n);
                    at
                }
                None => {
                    s.data.clear();
                    self.peel(this, &view, 0, &mut s.data, &mut s.inflate)?;
                    wire::write_payloads_entry_header(out, s.data.len());
                    out.extend_from_slice(&s.data);
                    out.len() - s.data.len()
                }
            };
            let inner = PayloadView::parse(&out[at..]).map_err(|e| not_a_payload(depth, e))?;
            if self.layer_of(&inner).is_none() {
                return Ok(());
            }
            // Another layer: peel it from its own buffer (a new one, as `current` borrows the last).
            nested = out[at..].to_vec();
            out.truncate(mark);
            current = &nested[..];
            view = PayloadView::parse(current)?;
            layer = self.layer_of(&view);
        }
        drop(nested);
        Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("more than {MAX_LAYERS} nested encodings"),
        ))
    }

    /// Runs twice per payload (outer and inner): the length picks the one candidate label,
    /// so a miss costs one comparison and a hit one fixed-size compare.
    #[inline]
    fn layer_of(&self, view: &PayloadView) -> Option<Layer> {
        const SNAPPY_LEN: usize = SNAPPY_ENCODING.len();
        const ZLIB_LEN: usize = ZLIB_ENCODING.len();
        const ENCRYPTED_LEN: usize = ENCRYPTED_ENCODING.len();
        let encoding = view.encoding?;
        match encoding.len() {
            SNAPPY_LEN if encoding == SNAPPY_ENCODING => Some(Layer::Snappy),
            ZLIB_LEN if encoding == ZLIB_ENCODING => Some(Layer::Zlib),
            // A codec without keys cannot decrypt: it leaves encrypted payloads as they are.
            ENCRYPTED_LEN if encoding == ENCRYPTED_ENCODING && !self.keys.is_empty() => {
                Some(Layer::Encrypted)
            }
            _ => None,
        }
    }

    /// The decoded size, when the layer's header tells it before decoding (checked against the
    /// maximum decoded size, so nothing is allocated for an oversized claim).
    fn decoded_len(&self, layer: Layer, view: &PayloadView) -> Result<Option<usize>> {
        let n = match layer {
            Layer::Snappy => snappy::decoded_len(view.data, self.max_decoded_size)?,
            Layer::Encrypted => view.data.len().saturating_sub(NONCE_LEN + TAG_LEN),
            Layer::Zlib => return Ok(None),
        };
        if n > self.max_decoded_size {
            return Err(too_large(self.max_decoded_size));
        }
        Ok(Some(n))
    }

    /// Decodes one layer, appending the inner payload to `out`.
    /// `n` is what `decoded_len` returned, where it returned a size.
    fn peel(
        &self,
        layer: Layer,
        view: &PayloadView,
        n: usize,
        out: &mut Vec<u8>,
        inflate: &mut zlib::Decompressor,
    ) -> Result<()> {
        let max = self.max_decoded_size;
        match layer {
            Layer::Snappy => snappy::decode_sized(view.data, n, out),
            Layer::Zlib => inflate.decompress(view.data, max, out),
            Layer::Encrypted => self.decrypt(view, out),
        }
    }

    fn decrypt(&self, view: &PayloadView, out: &mut Vec<u8>) -> Result<()> {
        if let Some(cipher) = view.cipher {
            if cipher != JAVA_CIPHER_NAME {
                return Err(Error::new(
                    ErrorKind::DecryptFailed,
                    format!(
                        "unsupported encryption-cipher {} (only AES/GCM/NoPadding)",
                        shown(cipher)
                    ),
                ));
            }
        }
        let id = view.key_id.ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownKey,
                "binary/encrypted payload has no encryption-key-id",
            )
        })?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id().as_bytes() == id)
            .ok_or_else(|| Error::new(ErrorKind::UnknownKey, format!("no key with id {}", shown(id))))?;
        key.open(view.data, out)
    }
}

#[cold]
#[inline(never)]
fn not_a_payload(depth: usize, e: Error) -> Error {
    corrupt(format!(
        "layer {} did not decode to a valid Payload: {}",
        depth + 1,
        e.message()
    ))
}

/// Appends a wrapper `Payload` as one `Payloads` element.
fn write_wrapper_element(out: &mut Vec<u8>, metadata: &[(&str, &[u8])], data: &[u8]) {
    wire::write_payloads_entry_header(out, wire::wrapper_size(metadata, data.len()));
    wire::write_wrapper(out, metadata, data);
}

/// Quotes untrusted metadata for an error message, shortened so a hostile payload cannot
/// flood logs.
fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]);
    let more = if bytes.len() > 64 { "..." } else { "" };
    format!("{text:?}{more}")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        b.encryption_key("missing").unwrap();
        assert!(b.build().unwrap_err().message().contains("never added"));
        let mut b = Codec::builder();
        b.add_key("a", &[1; 32]).unwrap();
        assert!(b.add_key("a", &[2; 32]).unwrap_err().message().contains("twice"));
        assert!(Codec::builder().compression_code(4).is_err());
        assert!(Codec::builder().zlib_level(10).is_err());
        assert!(Codec::builder().max_decoded_size(0).is_err());
    }

    #[test]
    fn debug_shows_ids_not_keys() {
        let mut b = Codec::builder();
        b.add_key("current", &[0x5a; 32]).unwrap();
        b.encryption_key("current").unwrap();
        let shown = format!("{:?}", b.build().unwrap());
        assert!(shown.contains("current"));
        assert!(!shown.contains("90"), "{shown}");
    }
}
