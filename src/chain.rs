//! The codec: which layers run on encode (compress, then encrypt), and peeling every layer
//! this library knows on decode, whatever it is configured to encode with, so that a change of
//! algorithm or a key rotation never strands old workflow histories.

use crate::codec::encryption::{random_nonces, shown_id, Key, JAVA_CIPHER_NAME, NONCE_LEN, TAG_LEN};
use crate::codec::{
    snappy, zlib, Compression, ENCRYPTED_ENCODING, KEY_ID_METADATA, SNAPPY_ENCODING, ZLIB_ENCODING,
};
use crate::error::{corrupt, invalid, out_of_memory, too_large, Error, ErrorKind, Result};
use crate::wire::{self, PayloadView, PayloadsIter, SerializedMetadata, ENCODING};
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

    pub fn max_decoded_size(&mut self, max_bytes: usize) -> Result<()> {
        let result = if max_bytes == 0 {
            Err(invalid("max decoded size must be at least 1 byte"))
        } else {
            self.max_decoded_size = max_bytes;
            Ok(())
        };
        self.record(result)
    }

    /// The most bytes one decode call may produce, all payloads and all their layers counted
    /// (default [`DEFAULT_MAX_TOTAL_DECODED_SIZE`]). Crossing it is `LimitExceeded`, naming the
    /// payload at which the total crossed it. This, not fallible allocation, is what keeps a
    /// batch of bombs from exhausting the host: Linux overcommits, so a reservation that
    /// succeeds can still kill the process when its pages are touched.
    pub fn max_total_decoded_size(&mut self, max_bytes: usize) -> Result<()> {
        let result = if max_bytes == 0 {
            Err(invalid("max total decoded size must be at least 1 byte"))
        } else {
            self.max_total_decoded_size = max_bytes;
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
    pub fn builder() -> CodecBuilder {
        CodecBuilder::new()
    }

    /// Encodes a serialized `Payloads`, returning a serialized `Payloads` with the same number
    /// of payloads in the same order.
    pub fn encode(&self, payloads: &[u8]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.encode_into(payloads, &mut Scratch::default(), &mut out)?;
        Ok(out)
    }

    /// Encodes like [`Codec::encode`] into `ws`'s memory, reused from call to call. The result
    /// stays valid until `ws` is used again.
    pub fn encode_with<'w>(&self, ws: &'w mut Workspace, payloads: &[u8]) -> Result<&'w [u8]> {
        ws.out.clear();
        self.encode_into(payloads, &mut ws.scratch, &mut ws.out)?;
        Ok(&ws.out)
    }

    fn encode_into(&self, payloads: &[u8], s: &mut Scratch, out: &mut Vec<u8>) -> Result<()> {
        // Every payload is validated before anything is written, and walked again to encode:
        // a list of them would cost more than the input for a batch of tiny payloads.
        let mut count = 0;
        for item in PayloadsIter::new(payloads) {
            item?;
            count += 1;
        }
        self.encode_each(payloads.len(), wire::validated_payloads(payloads), count, s, out)
    }

    /// Encodes a batch given as the serialized bytes of each `Payload` (scatter-gather: the
    /// caller does not frame them into one `Payloads`). The result is byte for byte what
    /// [`Codec::encode`] gives for the framed batch (up to encryption's random nonces).
    /// Every part is checked to be a well-formed `Payload`; an error names its index.
    pub fn encode_payloads(&self, payloads: &[&[u8]]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.encode_payloads_into(payloads, &mut Scratch::default(), &mut out)?;
        Ok(out)
    }

    /// Encodes like [`Codec::encode_payloads`] into `ws`'s memory, reused from call to call.
    /// The result stays valid until `ws` is used again.
    pub fn encode_payloads_with<'w>(&self, ws: &'w mut Workspace, payloads: &[&[u8]]) -> Result<&'w [u8]> {
        ws.out.clear();
        self.encode_payloads_into(payloads, &mut ws.scratch, &mut ws.out)?;
        Ok(&ws.out)
    }

    fn encode_payloads_into(&self, payloads: &[&[u8]], s: &mut Scratch, out: &mut Vec<u8>) -> Result<()> {
        let mut framed_len = 0;
        for (i, payload) in payloads.iter().enumerate() {
            PayloadView::parse(payload).map_err(|e| e.at_payload(i))?;
            framed_len += wire::payloads_entry_size(payload.len());
        }
        self.encode_each(framed_len, payloads.iter().copied(), payloads.len(), s, out)
    }

    /// The encode loop behind every entry point: `payloads` are `count` validated serialized
    /// `Payload`s, `input_len` the size of their framed `Payloads` (to size the output), and
    /// the result is appended to `out`, which is empty.
    fn encode_each<'p>(
        &self,
        input_len: usize,
        payloads: impl Iterator<Item = &'p [u8]>,
        count: usize,
        s: &mut Scratch,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let nonces = match self.encrypt_with {
            Some(_) => random_nonces(count)?,
            None => Vec::new(),
        };
        // Room for incompressible data plus wrappers: one allocation in the usual case, and
        // never more than a small multiple of the input (a payload is at least 2 bytes).
        reserve(
            out,
            input_len + input_len / 1024 + count * self.wrapper_overhead(),
        )?;
        for (i, payload) in payloads.enumerate() {
            let Some(k) = self.encrypt_with else {
                self.encode_in_place(payload, s, out);
                continue;
            };
            s.data.clear();
            let label = self.compress(payload, &mut s.compressors, &mut s.data);
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
            let metadata: [(&str, &[u8]); 2] = [(ENCODING, ENCRYPTED_ENCODING), (KEY_ID_METADATA, key.id())];
            let sealed_len = NONCE_LEN + inner.len() + TAG_LEN;
            wire::write_payloads_entry_header(out, wire::wrapper_size(&metadata, sealed_len));
            wire::write_wrapper_head(out, &metadata, sealed_len);
            key.seal(&nonces[i], inner, out);
        }
        Ok(())
    }

    /// An upper bound of what wrapping adds to one payload, beyond its (compressed) data:
    /// headers, metadata, an empty snappy stream's identifier, and for encryption the nonce,
    /// tag, its metadata and the compression wrapper inside.
    fn wrapper_overhead(&self) -> usize {
        // Element, data field and framing headers: varints of at most 10 bytes, and 10 bytes
        // of stream identifier.
        const HEADERS: usize = 48;
        let compression = self.wrapper_metadata.as_ref().map_or(0, |m| m.as_bytes().len()) + HEADERS;
        match self.encrypt_with {
            None => compression,
            Some(k) => {
                compression
                    + HEADERS
                    + NONCE_LEN
                    + TAG_LEN
                    + ENCRYPTED_ENCODING.len()
                    + KEY_ID_METADATA.len()
                    + self.keys[k].id().len()
                    + 2 * ENCODING.len()
            }
        }
    }

    /// Appends one unencrypted element for `payload` to `out`. The data goes straight into
    /// `out` (chunk by chunk for snappy), behind room for the wrapper's header: staging a whole payload's compressed
    /// data in a scratch buffer and copying it over cost a large payload a second buffer of
    /// its size (fresh pages, faulted in on every call) and a pass over its data. The header's
    /// size depends on the compressed length, so the room is sized for data as long as the
    /// payload; when the real header differs, the data moves by those few bytes.
    fn encode_in_place(&self, payload: &[u8], s: &mut Scratch, out: &mut Vec<u8>) {
        let Some(metadata) = &self.wrapper_metadata else {
            wire::write_payloads_entry_header(out, payload.len());
            out.extend_from_slice(payload);
            return;
        };
        let metadata = metadata.as_bytes();
        let start = out.len();
        let room = wire::element_head_size(metadata, payload.len());
        out.resize(start + room, 0);
        if self.compress(payload, &mut s.compressors, out).is_none() {
            out.truncate(start);
            wire::write_payloads_entry_header(out, payload.len());
            out.extend_from_slice(payload);
            return;
        }
        let data_len = out.len() - start - room;
        let head = wire::element_head_size(metadata, data_len);
        if head > room {
            out.resize(out.len() + head - room, 0);
        }
        if head != room {
            out.copy_within(start + room..start + room + data_len, start + head);
            out.truncate(start + head + data_len);
        }
        wire::write_element_head(&mut out[start..start + head], metadata, data_len);
    }

    /// Appends `payload` compressed to `out` and returns the wrapper's label; None, with `out`
    /// as it was, when the payload stays as it is (no compression, or it did not shrink and
    /// `only_if_smaller` is set).
    fn compress(&self, payload: &[u8], c: &mut Compressors, out: &mut Vec<u8>) -> Option<&'static [u8]> {
        let label = self.compression.label()?;
        let start = out.len();
        match self.compression {
            Compression::Snappy => c
                .snappy
                .get_or_insert_with(Default::default)
                .encode_framed(payload, out),
            Compression::SnappyRaw => c
                .snappy
                .get_or_insert_with(Default::default)
                .encode_raw(payload, out),
            Compression::Zlib => {
                // A workspace may have served a codec with another level.
                if c.zlib.as_ref().is_some_and(|z| z.level() != self.zlib_level) {
                    c.zlib = None;
                }
                c.zlib
                    .get_or_insert_with(|| zlib::Compressor::new(self.zlib_level))
                    .compress(payload, out)
            }
            Compression::None => unreachable!("no label"),
        }
        if self.only_if_smaller && out.len() - start >= payload.len() {
            out.truncate(start);
            return None;
        }
        Some(label)
    }

    /// Decodes a serialized `Payloads`: every layer this library knows is peeled, anything
    /// else passes through byte for byte.
    pub fn decode(&self, payloads: &[u8]) -> Result<Vec<u8>> {
        let plan = self.plan_decode(payloads)?;
        let mut out = Vec::new();
        reserve(&mut out, plan.capacity)?;
        self.run_decode(&plan, &mut out)?;
        Ok(out)
    }

    /// Decodes like [`Codec::decode`] into the caller's `dst`, without allocating the output.
    /// Returns the decoded length `n`: when `n <= dst.len()` the result is `dst[..n]`;
    /// otherwise `dst` was too small, its contents are unspecified, and `n` is the size to
    /// retry with. That size is exact once a full decode was needed to learn it; from the
    /// headers alone it can be short when a payload holds nested encodings or zlib, so a retry
    /// may ask for more once more. An empty `dst` is a size query (headers only, as a rule).
    pub fn decode_to(&self, payloads: &[u8], dst: &mut [u8]) -> Result<usize> {
        let plan = self.plan_decode(payloads)?;
        if plan.exact && plan.capacity > dst.len() {
            return Ok(plan.capacity);
        }
        if plan.exact {
            let mut out = SliceOutput {
                buf: dst,
                len: 0,
                full: false,
            };
            match self.run_decode(&plan, &mut out) {
                Ok(()) => return Ok(out.len),
                // A nested layer needed more room than the outer headers told: decode into
                // memory of our own below, to learn the exact size.
                Err(_) if out.full => {}
                Err(e) => return Err(e),
            }
        }
        let mut out = Vec::new();
        reserve(&mut out, plan.capacity)?;
        self.run_decode(&plan, &mut out)?;
        if let Some(dst) = dst.get_mut(..out.len()) {
            dst.copy_from_slice(&out);
        }
        Ok(out.len())
    }

    /// Validates `payloads` and reads each outer layer's decoded size from its headers, to
    /// size the output once (growing a multi-megabyte buffer by doubling would copy it and
    /// touch fresh pages several times) and to refuse a batch whose headers already add up to
    /// more than the per-call maximum before anything is reserved. The first
    /// [`PLANNED_PAYLOADS`] payloads keep what was learned for the decoding pass; the plan's
    /// memory stays bounded however many payloads a batch holds.
    fn plan_decode<'a>(&self, payloads: &'a [u8]) -> Result<DecodePlan<'a>> {
        let mut planned = Vec::new();
        let mut rest = None;
        let mut budget = Budget::new(self.max_total_decoded_size);
        // Entries whose size is known: pass-through payloads and layers whose headers tell.
        let mut known = 0usize;
        // zlib streams do not tell their size: a guess, capped by what the budget allows.
        let mut guessed = 0usize;
        let mut exact = true;
        let mut items = PayloadsIter::new(payloads);
        let mut i = 0;
        while let Some(item) = items.next() {
            let (payload, view) = item?;
            let layer = self.layer_of(&view);
            let first_len = match layer {
                None => {
                    known += wire::payloads_entry_size(payload.len());
                    None
                }
                Some(layer) => {
                    let n = self.decoded_len(layer, &view).map_err(|e| e.at_payload(i))?;
                    match n {
                        Some(n) => {
                            budget.charge(n).map_err(|e| e.at_payload(i))?;
                            known += wire::payloads_entry_size(n);
                        }
                        None => {
                            exact = false;
                            guessed = guessed.saturating_add(wire::payloads_entry_size(view.data.len() * 4));
                        }
                    }
                    n
                }
            };
            if planned.len() < PLANNED_PAYLOADS {
                planned.push(Planned {
                    payload,
                    view,
                    layer,
                    first_len,
                });
                if planned.len() == PLANNED_PAYLOADS {
                    rest = Some(items.clone());
                }
            }
            i += 1;
        }
        Ok(DecodePlan {
            planned,
            rest,
            capacity: known + guessed.min(budget.left()),
            exact,
        })
    }

    fn run_decode(&self, plan: &DecodePlan, out: &mut impl Output) -> Result<()> {
        let mut s = Scratch::default();
        let mut budget = Budget::new(self.max_total_decoded_size);
        for (i, p) in plan.planned.iter().enumerate() {
            self.decode_into(p, out, &mut s, &mut budget)
                .map_err(|e| e.at_payload(i))?;
        }
        let Some(rest) = plan.rest.clone() else {
            return Ok(());
        };
        for (i, item) in rest.enumerate() {
            let i = i + PLANNED_PAYLOADS;
            let (payload, view) = item?;
            let layer = self.layer_of(&view);
            let first_len = match layer {
                Some(layer) => self.decoded_len(layer, &view).map_err(|e| e.at_payload(i))?,
                None => None,
            };
            let p = Planned {
                payload,
                view,
                layer,
                first_len,
            };
            self.decode_into(&p, out, &mut s, &mut budget)
                .map_err(|e| e.at_payload(i))?;
        }
        Ok(())
    }

    /// Appends the payload `p`, with every known layer peeled, to `out` as one `Payloads`
    /// element, charging every layer's output to `budget`.
    ///
    /// A layer whose decoded size its header tells (snappy, encryption) is decoded straight into
    /// `out`, because its result is almost always the final payload; so is a zlib stream. In
    /// the rare case that the result is another layer, it moves to a buffer of its own and is
    /// peeled in turn.
    #[inline]
    fn decode_into(
        &self,
        p: &Planned,
        out: &mut impl Output,
        s: &mut Scratch,
        budget: &mut Budget,
    ) -> Result<()> {
        let mark = out.len();
        let mut current = p.payload;
        let mut view = p.view;
        let mut layer = p.layer;
        let mut nested = Vec::new();
        for depth in 0..=MAX_LAYERS {
            let Some(this) = layer else {
                out.entry_header(current.len())?;
                out.append(current)?;
                return Ok(());
            };
            if depth == MAX_LAYERS {
                break;
            }
            let known_len = if depth == 0 {
                p.first_len
            } else {
                self.decoded_len(this, &view)?
            };
            let at = match known_len {
                Some(n) => {
                    budget.charge(n)?;
                    out.entry_header(n)?;
                    let at = out.len();
                    self.peel_to(this, &view, out.extend_for(n)?)?;
                    at
                }
                // Only zlib streams do not tell their decoded size: inflate up to whichever
                // limit is nearer, then charge what came out.
                None => {
                    let call_is_nearer = budget.left() < self.max_decoded_size;
                    let limit = self.max_decoded_size.min(budget.left());
                    let at = out
                        .inflated_entry(s, view.data, limit)
                        .map_err(|e| match e.kind() {
                            ErrorKind::LimitExceeded if call_is_nearer => budget.exceeded(),
                            _ => e,
                        })?;
                    budget.charge(out.len() - at)?;
                    at
                }
            };
            let inner = PayloadView::parse(out.written(at)).map_err(|e| not_a_payload(depth, e))?;
            if self.layer_of(&inner).is_none() {
                return Ok(());
            }
            // Another layer: peel it from a buffer of its own, as the output is where it goes.
            // The last layer's bytes are done with, so the buffer is reused.
            let bytes = out.written(at);
            nested.clear();
            reserve(&mut nested, bytes.len())?;
            nested.extend_from_slice(bytes);
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

    /// Decodes one layer whose decoded size `decoded_len` told into `dst`, exactly that long.
    fn peel_to(&self, layer: Layer, view: &PayloadView, dst: &mut [u8]) -> Result<()> {
        match layer {
            Layer::Snappy => snappy::decode_to(view.data, dst),
            Layer::Encrypted => self.key_for(view)?.open_to(view.data, dst),
            Layer::Zlib => unreachable!("zlib streams do not tell their decoded size"),
        }
    }

    /// The key an encrypted payload names, checking its cipher metadata first.
    fn key_for(&self, view: &PayloadView) -> Result<&Key> {
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
        let key =
            self.keys.iter().find(|k| k.id() == id).ok_or_else(|| {
                Error::new(ErrorKind::UnknownKey, format!("no key with id {}", shown_id(id)))
            })?;
        Ok(key)
    }
}

/// How many payloads of a batch keep their view and outer layer from the sizing pass to the
/// decoding pass. Later payloads are parsed again: a plan entry is about 100 bytes, so keeping
/// one for each of a million two-byte payloads would cost 50 times the input. The batches
/// Temporal carries hold a few payloads, and are parsed once.
const PLANNED_PAYLOADS: usize = 1024;

/// One payload as the sizing pass found it: its bytes, its view, its outer layer and that
/// layer's decoded size where the headers tell it.
struct Planned<'a> {
    payload: &'a [u8],
    view: PayloadView<'a>,
    layer: Option<Layer>,
    first_len: Option<usize>,
}

/// The decoding pass's work in hand.
struct DecodePlan<'a> {
    planned: Vec<Planned<'a>>,
    /// The payloads after the first [`PLANNED_PAYLOADS`], still to be read.
    rest: Option<PayloadsIter<'a>>,
    /// The output's size: exact when every outer layer told its size, unless a payload holds
    /// nested encodings; never more than the pass-through payloads plus the per-call maximum.
    capacity: usize,
    exact: bool,
}

/// What one decode call may still produce: every layer of every payload is charged, so a
/// batch of bombs stops at the per-call maximum whatever each claims or holds.
struct Budget {
    max: usize,
    used: usize,
}

impl Budget {
    fn new(max: usize) -> Self {
        Budget { max, used: 0 }
    }

    fn left(&self) -> usize {
        self.max - self.used
    }

    fn charge(&mut self, n: usize) -> Result<()> {
        if n > self.left() {
            return Err(self.exceeded());
        }
        self.used += n;
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn exceeded(&self) -> Error {
        Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "the decoded batch exceeds the per-call maximum of {} bytes (max_total_decoded_size)",
                self.max
            ),
        )
    }
}

/// Reserves room for `additional` more bytes, or fails with a status instead of aborting.
/// Linux overcommits, so a reservation that succeeds can still fail when touched: the limits
/// are what keep reservations small, this only catches what the allocator refuses outright.
///
/// Growth past the planned size adds what is asked plus at most [`GROW_STEP`], never the
/// doubling `Vec` does by default: doubling a full 100 MiB output to write an 11-byte header
/// would reserve 100 MiB that nothing backs, breaking the stated memory bound.
#[inline]
fn reserve(v: &mut Vec<u8>, additional: usize) -> Result<()> {
    if v.capacity() - v.len() >= additional {
        return Ok(());
    }
    grow(v, additional)
}

/// The out-of-line half of [`reserve`]: the check above runs for every header written.
#[cold]
#[inline(never)]
fn grow(v: &mut Vec<u8>, additional: usize) -> Result<()> {
    let grow = additional.max(v.len().min(GROW_STEP));
    v.try_reserve_exact(grow).map_err(|_| out_of_memory(grow))
}

/// The most [`reserve`] adds beyond what is asked: large enough that growing by small appends
/// reallocates rarely, small enough to sit inside the memory bound's constant.
const GROW_STEP: usize = 64 << 10;

/// Where decoding writes: a `Vec` of our own, or the caller's fixed buffer.
trait Output {
    fn len(&self) -> usize;
    fn entry_header(&mut self, payload_len: usize) -> Result<()>;
    fn append(&mut self, bytes: &[u8]) -> Result<()>;
    /// Appends `n` bytes for a decoder to overwrite entirely, and returns them.
    fn extend_for(&mut self, n: usize) -> Result<&mut [u8]>;
    fn written(&self, from: usize) -> &[u8];
    fn truncate(&mut self, len: usize);

    /// Appends one element holding the zlib stream `data` inflated (at most `limit` bytes),
    /// and returns where its bytes start. This default stages them in scratch memory, since
    /// the element's header, written first, depends on their length.
    fn inflated_entry(&mut self, s: &mut Scratch, data: &[u8], limit: usize) -> Result<usize> {
        s.data.clear();
        s.inflate.decompress(data, limit, &mut s.data)?;
        self.entry_header(s.data.len())?;
        let at = self.len();
        self.append(&s.data)?;
        Ok(at)
    }
}

impl Output for Vec<u8> {
    #[inline]
    fn len(&self) -> usize {
        self.len()
    }
    #[inline]
    fn entry_header(&mut self, payload_len: usize) -> Result<()> {
        reserve(self, wire::payloads_entry_size(payload_len) - payload_len)?;
        wire::write_payloads_entry_header(self, payload_len);
        Ok(())
    }
    #[inline]
    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        reserve(self, bytes.len())?;
        self.extend_from_slice(bytes);
        Ok(())
    }
    #[inline]
    fn extend_for(&mut self, n: usize) -> Result<&mut [u8]> {
        reserve(self, n)?;
        let at = self.len();
        self.resize(at + n, 0);
        Ok(&mut self[at..])
    }
    #[inline]
    fn written(&self, from: usize) -> &[u8] {
        &self[from..]
    }
    #[inline]
    fn truncate(&mut self, len: usize) {
        self.truncate(len);
    }

    /// Inflates straight into the output behind room for the longest header, then moves the
    /// bytes down by the few the real header leaves: staging them in scratch would hold a
    /// second copy of the largest zlib payload for the whole call.
    fn inflated_entry(&mut self, s: &mut Scratch, data: &[u8], limit: usize) -> Result<usize> {
        let start = self.len();
        reserve(self, MAX_ENTRY_HEADER)?;
        self.resize(start + MAX_ENTRY_HEADER, 0);
        s.inflate.decompress(data, limit, self)?;
        let n = self.len() - start - MAX_ENTRY_HEADER;
        let head = wire::payloads_entry_size(n) - n;
        self.copy_within(start + MAX_ENTRY_HEADER.., start + head);
        self.truncate(start + head + n);
        wire::write_payloads_entry_header(&mut &mut self[start..start + head], n);
        Ok(start + head)
    }
}

/// The longest `Payloads` element header: a tag byte and a 10-byte varint.
const MAX_ENTRY_HEADER: usize = 11;

/// The caller's buffer (`Codec::decode_to`). Its bytes are initialized memory that decoders
/// overwrite, so unlike a `Vec` nothing is zeroed before decoding into it.
struct SliceOutput<'d> {
    buf: &'d mut [u8],
    len: usize,
    /// Set when a write did not fit: the error that follows is ours, not the input's.
    full: bool,
}

impl SliceOutput<'_> {
    fn room(&mut self, n: usize) -> Result<&mut [u8]> {
        let end = self.len.checked_add(n).filter(|&end| end <= self.buf.len());
        let Some(end) = end else {
            self.full = true;
            return Err(Error::new(
                ErrorKind::Internal,
                "no room left in the caller's buffer",
            ));
        };
        let at = self.len;
        self.len = end;
        Ok(&mut self.buf[at..end])
    }
}

impl Output for SliceOutput<'_> {
    fn len(&self) -> usize {
        self.len
    }
    fn entry_header(&mut self, payload_len: usize) -> Result<()> {
        // Built on the stack.
        let mut header = [0u8; MAX_ENTRY_HEADER];
        let len = {
            let mut tail = &mut header[..];
            wire::write_payloads_entry_header(&mut tail, payload_len);
            MAX_ENTRY_HEADER - tail.len()
        };
        self.append(&header[..len])
    }
    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        self.room(bytes.len())?.copy_from_slice(bytes);
        Ok(())
    }
    fn extend_for(&mut self, n: usize) -> Result<&mut [u8]> {
        self.room(n)
    }
    fn written(&self, from: usize) -> &[u8] {
        &self.buf[from..self.len]
    }
    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
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
        assert!(Codec::builder().compression_code(4).is_err());
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
