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

use crate::error::{malformed, Result};
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

    fn varint(&mut self, what: &str) -> Result<u64> {
        // Keys and short lengths are one byte: skip prost's general decoder for them (hot path).
        if let Some((&byte, rest)) = self.rest.split_first() {
            if byte < 0x80 {
                self.rest = rest;
                return Ok(u64::from(byte));
            }
        }
        decode_varint(&mut self.rest).map_err(|_| malformed(format!("truncated or invalid varint in {what}")))
    }

    /// `what` builds the error's subject only on failure: this runs once per field, hot.
    fn take(&mut self, n: u64, what: impl FnOnce() -> String) -> Result<&'a [u8]> {
        if n > self.rest.len() as u64 {
            return Err(malformed(format!(
                "{} claims {n} bytes but only {} remain",
                what(),
                self.rest.len()
            )));
        }
        let (head, tail) = self.rest.split_at(n as usize);
        self.rest = tail;
        Ok(head)
    }

    /// Reads the next field, skipping over its value unless it is length-delimited.
    fn next_field(&mut self, depth: u32) -> Result<Option<Field<'a>>> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let key = self.varint("field key")?;
        let wire_type = key & 7;
        let number = key >> 3;
        if number == 0 || number > u64::from(u32::MAX >> 3) {
            return Err(malformed(format!("invalid field number {number}")));
        }
        let number = number as u32;
        let bytes: &[u8] = match wire_type {
            WIRE_VARINT => {
                self.varint("varint field")?;
                &[]
            }
            WIRE_FIXED64 => self.take(8, || "fixed64 field".into())?,
            WIRE_FIXED32 => self.take(4, || "fixed32 field".into())?,
            WIRE_LEN => {
                let len = self.varint("length prefix")?;
                self.take(len, || format!("field {number}"))?
            }
            WIRE_START_GROUP => {
                self.skip_group(number, depth + 1)?;
                &[]
            }
            WIRE_END_GROUP => return Err(malformed(format!("unexpected end-group for field {number}"))),
            other => return Err(malformed(format!("invalid wire type {other} for field {number}"))),
        };
        Ok(Some(Field {
            number,
            wire_type,
            bytes,
        }))
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

/// Checks that `bytes` is a well-formed sequence of protobuf fields.
fn check_message(bytes: &[u8]) -> Result<()> {
    let mut fields = Fields::new(bytes);
    while fields.next_field(0)?.is_some() {}
    Ok(())
}

/// Splits a serialized `Payloads` into the serialized bytes of each `Payload`, borrowing, with
/// what codecs need to know of each. Every payload is checked to be a well-formed `Payload`.
pub fn split_payloads(input: &[u8]) -> Result<Vec<(&[u8], PayloadView<'_>)>> {
    let mut fields = Fields::new(input);
    let mut payloads = Vec::new();
    while let Some(field) = fields
        .next_field(0)
        .map_err(|e| malformed(format!("Payloads: {}", e.message())))?
    {
        if field.number == 1 && field.wire_type == WIRE_LEN {
            let index = payloads.len();
            let view = PayloadView::parse(field.bytes).map_err(|e| e.at_payload(index))?;
            payloads.push((field.bytes, view));
        }
    }
    Ok(payloads)
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
                (3, WIRE_LEN) => check_message(field.bytes)
                    .map_err(|e| malformed(format!("external_payloads: {}", e.message())))?,
                _ => {}
            }
        }
        Ok(view)
    }
}

/// Parses one `map<string, bytes>` entry into (key, value).
fn parse_map_entry(bytes: &[u8]) -> Result<(&[u8], &[u8])> {
    let mut key: &[u8] = &[];
    let mut value: &[u8] = &[];
    let mut fields = Fields::new(bytes);
    while let Some(field) = fields
        .next_field(0)
        .map_err(|e| malformed(format!("metadata entry: {}", e.message())))?
    {
        match (field.number, field.wire_type) {
            (1, WIRE_LEN) => key = field.bytes,
            (2, WIRE_LEN) => value = field.bytes,
            _ => {}
        }
    }
    if !key.is_ascii() && std::str::from_utf8(key).is_err() {
        return Err(malformed("metadata key is not valid UTF-8"));
    }
    Ok((key, value))
}

fn len_field_size(len: usize) -> usize {
    1 + encoded_len_varint(len as u64) + len
}

fn write_len_field(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    out.push(tag);
    encode_varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

/// Serialized size of a wrapper `Payload` with these metadata entries and `data_len` bytes of data.
pub fn wrapper_size(metadata: &[(&str, &[u8])], data_len: usize) -> usize {
    let entries: usize = metadata
        .iter()
        .map(|(k, v)| len_field_size(len_field_size(k.len()) + len_field_size(v.len())))
        .sum();
    // proto3 omits an empty bytes field; the reference codec's wrapper of an empty payload has no data field.
    let data = if data_len == 0 {
        0
    } else {
        len_field_size(data_len)
    };
    entries + data
}

/// Appends a serialized wrapper `Payload`: metadata entries in the given order, then data,
/// exactly as the Python protobuf runtime orders them (so snappy wrappers are byte-identical).
pub fn write_wrapper(out: &mut Vec<u8>, metadata: &[(&str, &[u8])], data: &[u8]) {
    write_wrapper_head(out, metadata, data.len());
    out.extend_from_slice(data);
}

/// Appends a wrapper `Payload` up to its data field's length: the caller then appends exactly
/// `data_len` bytes, so large data can be produced in place instead of copied.
pub fn write_wrapper_head(out: &mut Vec<u8>, metadata: &[(&str, &[u8])], data_len: usize) {
    for (k, v) in metadata {
        out.push(0x0a);
        encode_varint((len_field_size(k.len()) + len_field_size(v.len())) as u64, out);
        write_len_field(out, 0x0a, k.as_bytes());
        write_len_field(out, 0x12, v);
    }
    if data_len > 0 {
        out.push(0x12);
        encode_varint(data_len as u64, out);
    }
}

/// Appends one element of `Payloads.payloads` whose serialized `Payload` is `len` bytes long;
/// the caller writes those bytes next.
pub fn write_payloads_entry_header(out: &mut Vec<u8>, len: usize) {
    out.push(0x0a);
    encode_varint(len as u64, out);
}

/// Size of one `Payloads.payloads` element holding a `len`-byte payload.
pub fn payloads_entry_size(len: usize) -> usize {
    len_field_size(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapper(metadata: &[(&str, &[u8])], data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_wrapper(&mut out, metadata, data);
        assert_eq!(out.len(), wrapper_size(metadata, data.len()));
        out
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
}
