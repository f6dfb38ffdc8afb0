//! Protobuf wire handling for `temporal.api.common.v1.Payloads` and `Payload`.
//!
//! We never parse a payload into a struct and re-serialize it: a struct that knows only the
//! fields we know would drop `external_payloads` (field 3) and any future field. Instead the
//! element bytes of `Payloads.payloads` are carried verbatim, and a payload is only *read*
//! (borrowing) to find its metadata and data.
//!
//! Parsing follows protobuf's rules so that what the SDKs accept, we accept: unknown fields are
//! skipped, a known field with an unexpected wire type counts as unknown, and for repeated
//! singular fields or map keys the last one wins.

use crate::error::{malformed, Error, Result};
use prost::encoding::{decode_varint, encode_varint, encoded_len_varint};

/// Metadata key naming a payload's encoding.
pub const ENCODING: &str = "encoding";

const WIRE_VARINT: u64 = 0;
const WIRE_FIXED64: u64 = 1;
const WIRE_LEN: u64 = 2;
const WIRE_START_GROUP: u64 = 3;
const WIRE_END_GROUP: u64 = 4;
const WIRE_FIXED32: u64 = 5;

/// Deeper group nesting than this is refused rather than followed (a stack-depth guard).
const MAX_GROUP_DEPTH: u32 = 64;

/// A cursor over one message's fields.
#[derive(Clone)]
struct Fields<'a> {
    rest: &'a [u8],
}

/// One field: its number, and its value if it is length-delimited (the only kind we read).
struct Field<'a> {
    number: u32,
    wire_type: u64,
    bytes: &'a [u8],
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Fields { rest: bytes }
    }

    /// Reads a varint. Keys and lengths under 16 KiB take one or two bytes: those are decoded
    /// inline (this runs for every field of every payload, the hot path of a batch of small
    /// payloads); longer ones, and every error, go through prost's decoder out of line.
    #[inline(always)]
    fn varint(&mut self, what: &'static str) -> Result<u64> {
        match *self.rest {
            [b0, ref rest @ ..] if b0 < 0x80 => {
                self.rest = rest;
                Ok(u64::from(b0))
            }
            [b0, b1, ref rest @ ..] if b1 < 0x80 => {
                self.rest = rest;
                Ok(u64::from(b0 & 0x7f) | u64::from(b1) << 7)
            }
            _ => self.long_varint(what),
        }
    }

    #[inline(never)]
    fn long_varint(&mut self, what: &'static str) -> Result<u64> {
        decode_varint(&mut self.rest).map_err(|_| bad_varint(what))
    }

    /// `what` builds the error's subject only on failure: this runs once per field, hot.
    #[inline(always)]
    fn take(&mut self, n: u64, what: impl FnOnce() -> String) -> Result<&'a [u8]> {
        if n > self.rest.len() as u64 {
            return Err(short(what(), n, self.rest.len()));
        }
        let (head, tail) = self.rest.split_at(n as usize);
        self.rest = tail;
        Ok(head)
    }

    /// Reads the next field, skipping over its value unless it is length-delimited.
    /// Inlined into each message parser so that the result stays in registers.
    #[inline(always)]
    fn next_field(&mut self, depth: u32) -> Result<Option<Field<'a>>> {
        // Fast path: a length-delimited field with a one-byte key (fields 1 to 15) and a one- or
        // two-byte length, which is every field of a typical payload. Anything else, and every
        // fault, takes the general path below, which reads such a field the same way.
        if let [key, l0, ref rest @ ..] = *self.rest {
            if key & 0x87 == WIRE_LEN as u8 && key >= 8 {
                let (len, rest) = match *rest {
                    _ if l0 < 0x80 => (usize::from(l0), rest),
                    [l1, ref tail @ ..] if l1 < 0x80 => (usize::from(l0 & 0x7f) | usize::from(l1) << 7, tail),
                    _ => (usize::MAX, rest),
                };
                if let Some((bytes, tail)) = rest.split_at_checked(len) {
                    self.rest = tail;
                    return Ok(Some(Field {
                        number: u32::from(key >> 3),
                        wire_type: WIRE_LEN,
                        bytes,
                    }));
                }
            }
        }
        if self.rest.is_empty() {
            return Ok(None);
        }
        let key = self.varint("field key")?;
        let wire_type = key & 7;
        let number = key >> 3;
        if number == 0 || number > u64::from(u32::MAX >> 3) {
            return Err(bad_number(number));
        }
        let number = number as u32;
        let bytes: &[u8] = match wire_type {
            WIRE_LEN => {
                let len = self.varint("length prefix")?;
                self.take(len, || format!("field {number}"))?
            }
            WIRE_VARINT => {
                self.varint("varint field")?;
                &[]
            }
            _ => self.other_value(wire_type, number, depth)?,
        };
        Ok(Some(Field {
            number,
            wire_type,
            bytes,
        }))
    }

    /// Skips a fixed-size value or a group, or refuses an invalid wire type: out of line,
    /// since the messages we read are made of length-delimited fields.
    #[inline(never)]
    fn other_value(&mut self, wire_type: u64, number: u32, depth: u32) -> Result<&'a [u8]> {
        match wire_type {
            WIRE_FIXED64 => self.take(8, || "fixed64 field".into()),
            WIRE_FIXED32 => self.take(4, || "fixed32 field".into()),
            WIRE_START_GROUP => {
                self.skip_group(number, depth + 1)?;
                Ok(&[])
            }
            WIRE_END_GROUP => Err(malformed(format!("unexpected end-group for field {number}"))),
            other => Err(malformed(format!("invalid wire type {other} for field {number}"))),
        }
    }

    fn skip_group(&mut self, number: u32, depth: u32) -> Result<()> {
        if depth > MAX_GROUP_DEPTH {
            return Err(malformed("groups nested too deeply"));
        }
        loop {
            if self.rest.is_empty() {
                return Err(malformed(format!("group {number} is not terminated")));
            }
            // Peek for the matching end-group key before treating the next key as a field.
            let mut peek = self.rest;
            let key = decode_varint(&mut peek).map_err(|_| malformed("invalid varint in group"))?;
            if key & 7 == WIRE_END_GROUP {
                if key >> 3 != u64::from(number) {
                    return Err(malformed(format!(
                        "group {number} closed by end-group {}",
                        key >> 3
                    )));
                }
                self.rest = peek;
                return Ok(());
            }
            self.next_field(depth)?;
        }
    }
}

// Error constructors, kept out of line and marked cold so the parsers' hot loops stay small.

#[cold]
#[inline(never)]
fn bad_varint(what: &str) -> Error {
    malformed(format!("truncated or invalid varint in {what}"))
}

#[cold]
#[inline(never)]
fn short(what: String, n: u64, remain: usize) -> Error {
    malformed(format!("{what} claims {n} bytes but only {remain} remain"))
}

#[cold]
#[inline(never)]
fn bad_number(number: u64) -> Error {
    malformed(format!("invalid field number {number}"))
}

#[cold]
#[inline(never)]
fn not_utf8() -> Error {
    malformed("metadata key is not valid UTF-8")
}

#[cold]
#[inline(never)]
fn within(context: &str, e: Error) -> Error {
    malformed(format!("{context}: {}", e.message()))
}

/// Checks that `bytes` is a well-formed sequence of protobuf fields.
fn check_message(bytes: &[u8]) -> Result<()> {
    let mut fields = Fields::new(bytes);
    while fields.next_field(0)?.is_some() {}
    Ok(())
}

/// Walks a serialized `Payloads`, yielding each `Payload`'s serialized bytes (borrowed) and
/// its view; every payload is checked to be a well-formed `Payload`, and an error names its
/// index. A walk keeps no per-payload state, so a batch of a million empty payloads costs no
/// memory beyond its input: callers that need a payload twice walk twice.
#[derive(Clone)]
pub struct PayloadsIter<'a> {
    fields: Fields<'a>,
    index: usize,
}

impl<'a> PayloadsIter<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        PayloadsIter {
            fields: Fields::new(input),
            index: 0,
        }
    }
}

impl<'a> Iterator for PayloadsIter<'a> {
    type Item = Result<(&'a [u8], PayloadView<'a>)>;

    // Inlined into each walk, so that the item stays in registers: a call per payload costs
    // a small payload's decode several percent.
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let field = match self.fields.next_field(0) {
                Ok(Some(field)) => field,
                Ok(None) => return None,
                Err(e) => {
                    self.fields.rest = &[];
                    return Some(Err(within("Payloads", e)));
                }
            };
            if field.number == 1 && field.wire_type == WIRE_LEN {
                let index = self.index;
                self.index += 1;
                return Some(match PayloadView::parse(field.bytes) {
                    Ok(view) => Ok((field.bytes, view)),
                    Err(e) => {
                        self.fields.rest = &[];
                        Err(e.at_payload(index))
                    }
                });
            }
        }
    }
}

/// The serialized `Payload`s of a `Payloads` that [`PayloadsIter`] has already validated,
/// walked again without parsing each one. Stops at the first fault, which validation rules out.
pub fn validated_payloads(input: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut fields = Fields::new(input);
    std::iter::from_fn(move || loop {
        match fields.next_field(0) {
            Ok(Some(field)) if field.number == 1 && field.wire_type == WIRE_LEN => return Some(field.bytes),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return None,
        }
    })
}

/// What a codec needs to know about one serialized `Payload`, borrowed from its bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PayloadView<'a> {
    pub encoding: Option<&'a [u8]>,
    pub key_id: Option<&'a [u8]>,
    pub cipher: Option<&'a [u8]>,
    pub data: &'a [u8],
}

impl<'a> PayloadView<'a> {
    /// Parses a serialized `Payload`, validating every field, keeping only what codecs read.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let mut view = PayloadView::default();
        let mut fields = Fields::new(bytes);
        while let Some(field) = fields.next_field(0)? {
            match (field.number, field.wire_type) {
                (1, WIRE_LEN) => {
                    let (key, value) = parse_map_entry(field.bytes)?;
                    match key {
                        b"encoding" => view.encoding = Some(value),
                        b"encryption-key-id" => view.key_id = Some(value),
                        b"encryption-cipher" => view.cipher = Some(value),
                        _ => {}
                    }
                }
                (2, WIRE_LEN) => view.data = field.bytes,
                (3, WIRE_LEN) => check_message(field.bytes).map_err(|e| within("external_payloads", e))?,
                _ => {}
            }
        }
        Ok(view)
    }
}

/// Parses one `map<string, bytes>` entry into (key, value).
#[inline(always)]
fn parse_map_entry(bytes: &[u8]) -> Result<(&[u8], &[u8])> {
    // Fast path: the layout every protobuf runtime writes, key (field 1) then value (field 2),
    // each with a one-byte length and nothing else. Any other layout, and every fault, takes
    // the general loop below, which reads this one the same way.
    if let [0x0a, key_len @ 0..=0x7f, ref rest @ ..] = *bytes {
        if let Some((key, [0x12, value_len @ 0..=0x7f, value @ ..])) =
            rest.split_at_checked(usize::from(key_len))
        {
            if value.len() == usize::from(*value_len) && key.is_ascii() {
                return Ok((key, value));
            }
        }
    }
    let mut key: &[u8] = &[];
    let mut value: &[u8] = &[];
    let mut fields = Fields::new(bytes);
    while let Some(field) = fields.next_field(0).map_err(|e| within("metadata entry", e))? {
        match (field.number, field.wire_type) {
            (1, WIRE_LEN) => key = field.bytes,
            (2, WIRE_LEN) => value = field.bytes,
            _ => {}
        }
    }
    if !key.is_ascii() && std::str::from_utf8(key).is_err() {
        return Err(not_utf8());
    }
    Ok((key, value))
}

fn len_field_size(len: usize) -> usize {
    1 + encoded_len_varint(len as u64) + len
}

fn write_len_field(out: &mut impl prost::bytes::BufMut, tag: u8, bytes: &[u8]) {
    out.put_u8(tag);
    encode_varint(bytes.len() as u64, out);
    out.put_slice(bytes);
}

/// Serialized size of a wrapper `Payload` with these metadata entries and `data_len` bytes of data.
pub fn wrapper_size(metadata: &[(&str, &[u8])], data_len: usize) -> usize {
    let entries: usize = metadata
        .iter()
        .map(|(k, v)| len_field_size(len_field_size(k.len()) + len_field_size(v.len())))
        .sum();
    entries + data_field_size(data_len)
}

/// The wrapper's data field. proto3 omits an empty bytes field: the reference codec's wrapper
/// of an empty payload has no data field.
fn data_field_size(data_len: usize) -> usize {
    if data_len == 0 {
        0
    } else {
        len_field_size(data_len)
    }
}

/// Appends a serialized wrapper `Payload`: metadata entries in the given order, then data,
/// exactly as the Python protobuf runtime orders them (so snappy wrappers are byte-identical).
pub fn write_wrapper(out: &mut Vec<u8>, metadata: &[(&str, &[u8])], data: &[u8]) {
    write_wrapper_head(out, metadata, data.len());
    out.extend_from_slice(data);
}

/// Appends a wrapper `Payload` up to its data field's length: the caller then appends exactly
/// `data_len` bytes, so large data can be produced in place instead of copied.
pub fn write_wrapper_head(out: &mut impl prost::bytes::BufMut, metadata: &[(&str, &[u8])], data_len: usize) {
    for (k, v) in metadata {
        out.put_u8(0x0a);
        encode_varint((len_field_size(k.len()) + len_field_size(v.len())) as u64, out);
        write_len_field(out, 0x0a, k.as_bytes());
        write_len_field(out, 0x12, v);
    }
    if data_len > 0 {
        out.put_u8(0x12);
        encode_varint(data_len as u64, out);
    }
}

/// A wrapper `Payload`'s metadata entries, serialized: what every wrapper a codec writes
/// around compressed data repeats, prepared once so that each element's head is two varints
/// around a copy of it. Held inline: the C functions of the default codec build it on every
/// call, which must not cost an allocation.
#[derive(Clone, Copy)]
pub struct SerializedMetadata {
    bytes: [u8; SerializedMetadata::CAPACITY],
    len: usize,
}

impl SerializedMetadata {
    /// Room for one entry with a key and value of up to about 60 bytes together: our labels
    /// are "encoding" with "binary/snappy" or "binary/zlib" (27 bytes at most).
    pub const CAPACITY: usize = 64;

    /// None when the entries do not fit in `CAPACITY` bytes.
    pub fn new(metadata: &[(&str, &[u8])]) -> Option<Self> {
        let len = wrapper_size(metadata, 0);
        let mut bytes = [0u8; Self::CAPACITY];
        write_wrapper_head(&mut bytes.get_mut(..len)?, metadata, 0);
        Some(SerializedMetadata { bytes, len })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Size of what precedes the data in a `Payloads` element holding a wrapper with the
/// serialized `metadata` (see `SerializedMetadata`) and `data_len` bytes of data: the
/// element's header and the wrapper's head.
pub fn element_head_size(metadata: &[u8], data_len: usize) -> usize {
    payloads_entry_size(metadata.len() + data_field_size(data_len)) - data_len
}

/// Writes that head (see `element_head_size`) into `out`, which must be exactly its size.
/// Written byte by byte into the slice, the metadata as one copy: this runs once per encoded
/// payload, and for 200 B payloads building it entry by entry through `BufMut` was a few
/// percent of the whole encode.
pub fn write_element_head(out: &mut [u8], metadata: &[u8], data_len: usize) {
    let mut w = SliceWriter { out, at: 0 };
    w.byte(0x0a);
    w.varint(metadata.len() + data_field_size(data_len));
    w.bytes(metadata);
    if data_len > 0 {
        w.byte(0x12);
        w.varint(data_len);
    }
    debug_assert_eq!(w.at, w.out.len(), "the head's size is element_head_size");
}

struct SliceWriter<'a> {
    out: &'a mut [u8],
    at: usize,
}

impl SliceWriter<'_> {
    fn byte(&mut self, b: u8) {
        self.out[self.at] = b;
        self.at += 1;
    }

    fn bytes(&mut self, b: &[u8]) {
        self.out[self.at..self.at + b.len()].copy_from_slice(b);
        self.at += b.len();
    }

    fn varint(&mut self, mut n: usize) {
        while n >= 0x80 {
            self.byte(n as u8 | 0x80);
            n >>= 7;
        }
        self.byte(n as u8);
    }
}

/// Appends one element of `Payloads.payloads` whose serialized `Payload` is `len` bytes long;
/// the caller writes those bytes next.
pub fn write_payloads_entry_header(out: &mut impl prost::bytes::BufMut, len: usize) {
    out.put_u8(0x0a);
    encode_varint(len as u64, out);
}

/// Size of one `Payloads.payloads` element holding a `len`-byte payload.
pub fn payloads_entry_size(len: usize) -> usize {
    len_field_size(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_payloads(input: &[u8]) -> Result<Vec<(&[u8], PayloadView<'_>)>> {
        PayloadsIter::new(input).collect()
    }

    fn wrapper(metadata: &[(&str, &[u8])], data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_wrapper(&mut out, metadata, data);
        assert_eq!(out.len(), wrapper_size(metadata, data.len()));
        out
    }

    #[test]
    fn element_head_is_what_precedes_the_data() {
        let metadata: [(&str, &[u8]); 1] = [("encoding", b"binary/snappy")];
        for data_len in [0, 1, 100, 127, 128, 16_000, 16_383, 16_384, 1 << 21] {
            let data = vec![7u8; data_len];
            let mut element = Vec::new();
            write_payloads_entry_header(&mut element, wrapper_size(&metadata, data_len));
            write_wrapper(&mut element, &metadata, &data);
            let serialized = SerializedMetadata::new(&metadata).unwrap();
            let serialized = serialized.as_bytes();
            let head = element_head_size(serialized, data_len);
            assert_eq!(head + data_len, element.len(), "data_len {data_len}");
            let mut written = vec![0u8; head];
            write_element_head(&mut written, serialized, data_len);
            assert_eq!(written, element[..head], "data_len {data_len}");
        }
    }

    #[test]
    fn serialized_metadata_is_the_wrapper_head_or_none_when_too_long() {
        for label in [&b"binary/snappy"[..], b"binary/zlib"] {
            let metadata: [(&str, &[u8]); 1] = [("encoding", label)];
            let mut head = Vec::new();
            write_wrapper_head(&mut head, &metadata, 0);
            assert_eq!(SerializedMetadata::new(&metadata).unwrap().as_bytes(), head);
        }
        let long = [0u8; SerializedMetadata::CAPACITY];
        assert!(SerializedMetadata::new(&[("encoding", &long)]).is_none());
    }

    #[test]
    fn wrapper_round_trips_through_the_view() {
        let bytes = wrapper(
            &[("encoding", b"binary/snappy"), ("encryption-key-id", b"k1")],
            b"xyz",
        );
        let view = PayloadView::parse(&bytes).unwrap();
        assert_eq!(view.encoding, Some(&b"binary/snappy"[..]));
        assert_eq!(view.key_id, Some(&b"k1"[..]));
        assert_eq!(view.data, b"xyz");
    }

    #[test]
    fn empty_data_is_omitted_like_proto3() {
        let bytes = wrapper(&[("encoding", b"binary/snappy")], b"");
        assert_eq!(bytes, b"\x0a\x19\x0a\x08encoding\x12\x0dbinary/snappy");
    }

    #[test]
    fn last_encoding_wins_and_unknown_fields_are_skipped() {
        let mut bytes = wrapper(&[("encoding", b"a")], b"d1");
        bytes.extend_from_slice(&[0x38, 0x96, 0x01]); // field 7 varint
        bytes.extend_from_slice(&[0x4b, 0x08, 0x01, 0x4c]); // field 9 group holding a varint
        bytes.extend(wrapper(&[("encoding", b"b")], b"d2"));
        let view = PayloadView::parse(&bytes).unwrap();
        assert_eq!(view.encoding, Some(&b"b"[..]));
        assert_eq!(view.data, b"d2");
    }

    #[test]
    fn known_field_with_other_wire_type_counts_as_unknown() {
        let view = PayloadView::parse(&[0x10, 0x05]).unwrap(); // field 2 as varint
        assert_eq!(view.data, b"");
    }

    #[test]
    fn malformed_payloads_are_refused() {
        let cases: &[&[u8]] = &[
            &[0x12, 0x05, b'a'],             // length beyond the end
            &[0x0a],                         // missing length
            &[0x12, 0xff, 0xff, 0xff],       // truncated varint
            &[0x07],                         // wire type 7
            &[0x00, 0x01],                   // field number 0
            &[0x0c],                         // stray end-group
            &[0x0b, 0x08, 0x01],             // unterminated group
            &[0x0a, 0x02, 0x0a, 0x05],       // metadata entry with a truncated key
            &[0x0a, 0x03, 0x0a, 0x01, 0xff], // metadata key not UTF-8
            &[0x1a, 0x01, 0x08],             // external_payloads with a truncated varint
        ];
        for case in cases {
            let err = PayloadView::parse(case).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::MalformedInput, "{case:?}");
        }
    }

    #[test]
    fn split_names_the_bad_payload() {
        let mut input = Vec::new();
        write_payloads_entry_header(&mut input, 0);
        write_payloads_entry_header(&mut input, 2);
        input.extend_from_slice(&[0x12, 0x09]);
        let err = split_payloads(&input).unwrap_err();
        assert!(err.message().starts_with("payload 1: "), "{err}");
        assert_eq!(split_payloads(&input[..2]).unwrap()[0].0, &b""[..]);
    }

    /// Reads a message's fields by the protobuf rules alone, written independently of
    /// `Fields` (no fast paths): None when the bytes are not a valid message.
    fn reference_fields(mut b: &[u8], depth: u32) -> Option<Vec<(u64, u64, &[u8])>> {
        fn skip(b: &mut &[u8], n: u64) -> Option<()> {
            if n > b.len() as u64 {
                return None;
            }
            *b = &b[n as usize..];
            Some(())
        }
        let mut fields = Vec::new();
        while !b.is_empty() {
            let key = decode_varint(&mut b).ok()?;
            let (number, wire_type) = (key >> 3, key & 7);
            if number == 0 || number >= 1 << 29 {
                return None;
            }
            match wire_type {
                0 => {
                    decode_varint(&mut b).ok()?;
                }
                1 => skip(&mut b, 8)?,
                5 => skip(&mut b, 4)?,
                2 => {
                    let n = decode_varint(&mut b).ok()?;
                    let before = b;
                    skip(&mut b, n)?;
                    fields.push((number, 2, &before[..n as usize]));
                }
                3 => {
                    // A group: fields up to the matching end-group key.
                    if depth + 1 > MAX_GROUP_DEPTH {
                        return None;
                    }
                    loop {
                        let mut peek = b;
                        let k = decode_varint(&mut peek).ok()?;
                        if k & 7 == 4 {
                            if k >> 3 != number {
                                return None;
                            }
                            b = peek;
                            break;
                        }
                        // One field of the group, through a one-field message read.
                        let mut one = Fields::new(b);
                        one.next_field(depth + 1).ok()??;
                        b = one.rest;
                    }
                }
                _ => return None,
            }
        }
        Some(fields)
    }

    /// What `PayloadView::parse` must return, by the rules in the module comment.
    fn reference_view(b: &[u8]) -> Option<PayloadView<'_>> {
        let mut view = PayloadView::default();
        for (number, _, bytes) in reference_fields(b, 0)? {
            match number {
                1 => {
                    let (mut key, mut value): (&[u8], &[u8]) = (&[], &[]);
                    for (n, _, v) in reference_fields(bytes, 0)? {
                        match n {
                            1 => key = v,
                            2 => value = v,
                            _ => {}
                        }
                    }
                    std::str::from_utf8(key).ok()?;
                    match key {
                        b"encoding" => view.encoding = Some(value),
                        b"encryption-key-id" => view.key_id = Some(value),
                        b"encryption-cipher" => view.cipher = Some(value),
                        _ => {}
                    }
                }
                2 => view.data = bytes,
                3 => {
                    reference_fields(bytes, 0)?;
                }
                _ => {}
            }
        }
        Some(view)
    }

    /// Pieces of payloads: canonical and non-canonical fields, long lengths, bad UTF-8,
    /// unknown fields, garbage; a test case is a few of them concatenated, possibly cut short.
    fn piece() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let key = prop_oneof![
            Just(b"encoding".to_vec()),
            Just(b"encryption-key-id".to_vec()),
            Just(b"encryption-cipher".to_vec()),
            Just(b"\xff\xfe".to_vec()),
            Just("é".as_bytes().to_vec()),
            prop::collection::vec(any::<u8>(), 0..4),
        ];
        let value = prop::collection::vec(any::<u8>(), 0..200);
        prop_oneof![
            (key, value.clone(), any::<bool>()).prop_map(|(k, v, swap)| {
                let mut entry = Vec::new();
                let (first, second) = if swap {
                    ((2u8, &v), (1u8, &k))
                } else {
                    ((1, &k), (2, &v))
                };
                for (n, bytes) in [first, second] {
                    entry.push(n << 3 | 2);
                    encode_varint(bytes.len() as u64, &mut entry);
                    entry.extend_from_slice(bytes);
                }
                let mut out = vec![0x0a];
                encode_varint(entry.len() as u64, &mut out);
                out.extend(entry);
                out
            }),
            (prop::collection::vec(any::<u8>(), 0..300), 1u8..20).prop_map(|(v, n)| {
                let mut out = vec![n << 3 | 2];
                encode_varint(v.len() as u64, &mut out);
                out.extend(v);
                out
            }),
            // A length written with redundant continuation bytes, which protobuf accepts.
            (1u8..4, 0u8..0x7f).prop_map(|(n, len)| {
                let mut out = vec![n << 3 | 2, len | 0x80, 0x80, 0x00];
                out.extend(std::iter::repeat_n(b'x', usize::from(len)));
                out
            }),
            prop::collection::vec(any::<u8>(), 0..6),
            Just(vec![0x0b, 0x08, 0x01, 0x0c]),
            Just(vec![0x15, 1, 2, 3, 4]),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn parse_agrees_with_the_plain_protobuf_rules(
            pieces in proptest::collection::vec(piece(), 0..5),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
            truncate in proptest::prelude::any::<bool>(),
        ) {
            let mut bytes = pieces.concat();
            if truncate && !bytes.is_empty() {
                bytes.truncate(cut.index(bytes.len()));
            }
            let expected = reference_view(&bytes);
            let got = PayloadView::parse(&bytes);
            proptest::prop_assert_eq!(got.as_ref().ok(), expected.as_ref(), "{:?} / {:?}", bytes, got);
            if let Err(e) = got {
                proptest::prop_assert_eq!(e.kind(), crate::ErrorKind::MalformedInput);
            }
        }
    }
}
