//! Encoding: every payload of a batch compressed (if configured), then encrypted (if
//! configured), each layer wrapping the whole serialized inner payload; straight into one
//! output sized from the input.

use super::output::reserve;
use super::{Codec, Compressors, Scratch, Workspace};
use crate::codec::encryption::{random_nonces, NONCE_LEN, TAG_LEN};
use crate::codec::{zlib, Compression, ENCRYPTED_ENCODING, KEY_ID_METADATA};
use crate::error::Result;
use crate::wire::{self, PayloadView, PayloadsIter, ENCODING};

impl Codec {
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
}
