//! The proto3 JSON form of `temporal.api.common.v1.Payloads`, as the Temporal CLI and Web UI
//! send it, to and from its protobuf wire form, which is what the core codec reads and writes.
//!
//! The mapping is lossless for every field `Payload` has (metadata, data, externalPayloads):
//! bytes as base64, int64 as a decimal string. Input follows the proto3 JSON parser rules
//! (either field name spelling, standard or URL-safe base64 with or without padding, int64 as
//! a number or a string, `null` for a default), and refuses what it cannot carry back: an
//! unknown JSON field, or a protobuf field this schema does not have, is an error rather than
//! something silently dropped. Like protojson, it accepts objects only where the schema has a
//! message: serde's derived structs would also take `[[...]]` for `{"payloads":[...]}`.
//!
//! Both directions stream: JSON is parsed straight into one protobuf buffer, and protobuf is
//! written straight into one JSON buffer, with no value per payload in between. A 15 MiB body
//! of 400 000 tiny payloads would otherwise hold a map, strings and vectors for each of them,
//! several hundred bytes apiece, twice (in and out).

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::ops::Range;

/// Why a codec result could not be written as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError(pub String);

impl fmt::Display for MappingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MappingError {}

fn err(msg: impl Into<String>) -> MappingError {
    MappingError(msg.into())
}

/// A body that is not a proto3 JSON `Payloads`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// For the caller who sent the body: it may quote the body (serde names an unexpected
    /// string by its value).
    pub message: String,
    /// For the log: the error class and position, never a quote of the body.
    pub log: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

// ---- protobuf wire ----

const LEN: u64 = 2;
const VARINT: u64 = 0;
/// `Payloads.payloads`, `Payload.metadata` and a map entry's key share this tag (field 1, LEN).
const TAG_1_LEN: u8 = (1 << 3 | LEN) as u8;
/// `Payload.data` and a map entry's value (field 2, LEN).
const TAG_2_LEN: u8 = (2 << 3 | LEN) as u8;
/// `Payload.external_payloads` (field 3, LEN).
const TAG_3_LEN: u8 = (3 << 3 | LEN) as u8;
/// `ExternalPayloadDetails.size_bytes` (field 1, VARINT).
const TAG_1_VARINT: u8 = (1 << 3 | VARINT) as u8;
/// Room left for a payload's tag and length before its fields are known: a tag and the
/// longest varint.
const HEAD_ROOM: usize = 11;

fn put_varint(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 10];
    let n = write_varint(&mut buf, v);
    out.extend_from_slice(&buf[..n]);
}

/// Writes a varint at the start of `out`, which has room for ten bytes; returns its length.
fn write_varint(out: &mut [u8], mut v: u64) -> usize {
    let mut i = 0;
    while v >= 0x80 {
        out[i] = (v as u8) | 0x80;
        v >>= 7;
        i += 1;
    }
    out[i] = v as u8;
    i + 1
}

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn len_field_size(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// Size of an `ExternalPayloadDetails` message: empty when `sizeBytes` is the default 0.
fn external_len(n: i64) -> usize {
    if n == 0 {
        0
    } else {
        1 + varint_len(n as u64)
    }
}

// ---- JSON in ----

/// Decodes base64 as proto3 JSON parsers must accept it (the standard or the URL-safe
/// alphabet, with or without padding), appending to `out`. Standard with padding, what every
/// SDK writes, is tried first, so the usual case is one SIMD pass.
fn append_base64(s: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    use base64_simd::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let (standard, url_safe) = if s.len().is_multiple_of(4) {
        (STANDARD, URL_SAFE)
    } else {
        (STANDARD_NO_PAD, URL_SAFE_NO_PAD)
    };
    let invalid = || format!("invalid base64 ({} characters)", s.len());
    // The crate reserves exactly what it appends: reserving here keeps the growth of a buffer
    // that takes many values geometric.
    out.reserve(standard.decoded_length(s).map_err(|_| invalid())?);
    standard
        .decode_append(s, out)
        .or_else(|_| url_safe.decode_append(s, out))
        .map_err(|_| invalid())
}

/// The exact decoded size of a base64 value, checked as [`append_base64`] will read it.
fn base64_len(s: &[u8]) -> Result<usize, String> {
    let config = if s.len().is_multiple_of(4) {
        base64_simd::STANDARD
    } else {
        base64_simd::STANDARD_NO_PAD
    };
    config
        .decoded_length(s)
        .map_err(|_| format!("invalid base64 ({} characters)", s.len()))
}

/// Builds the protobuf `Payloads` while the JSON is parsed.
struct ProtoWriter {
    out: Vec<u8>,
    /// The metadata keys of the payload being parsed, as ranges of `out`, to find one given
    /// twice (a JSON object may repeat a key; which value wins would be a guess).
    keys: Vec<Range<usize>>,
    /// The metadata entry being parsed: its key, then its decoded value.
    entry: Vec<u8>,
    payloads: usize,
}

/// The fields of one message: their JSON names by field index, and the proto names that
/// differ from them (which proto3 JSON parsers also accept).
struct Message {
    names: &'static [&'static str],
    aliases: &'static [(&'static str, usize)],
}

const PAYLOADS: Message = Message {
    names: &["payloads"],
    aliases: &[],
};
const PAYLOAD: Message = Message {
    names: &["metadata", "data", "externalPayloads"],
    aliases: &[("external_payloads", 2)],
};
const EXTERNAL: Message = Message {
    names: &["sizeBytes"],
    aliases: &[("size_bytes", 0)],
};

/// Reads a field name of a message, as its index; an unknown name is an error.
struct FieldName(&'static Message);

impl<'de> DeserializeSeed<'de> for FieldName {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for FieldName {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<usize, E> {
        let m = self.0;
        m.names
            .iter()
            .position(|n| *n == s)
            .or_else(|| m.aliases.iter().find(|(n, _)| *n == s).map(|(_, i)| *i))
            .ok_or_else(|| E::unknown_field(s, m.names))
    }
}

/// Marks a field as seen; a second occurrence is an error, as in protojson.
fn first_time<E: de::Error>(seen: &mut u8, index: usize, message: &Message) -> Result<(), E> {
    let bit = 1 << index;
    if *seen & bit != 0 {
        return Err(E::duplicate_field(message.names[index]));
    }
    *seen |= bit;
    Ok(())
}

/// `null` for a field means its default: the inner seed does not run.
struct Nullable<S>(S);

impl<'de, S: DeserializeSeed<'de, Value = ()>> DeserializeSeed<'de> for Nullable<S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de, Value = ()>> Visitor<'de> for Nullable<S> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.deserialize(d)
    }
}

/// The whole body: an object with `payloads` and nothing else.
struct PayloadsSeed<'w>(&'w mut ProtoWriter);

impl<'de> DeserializeSeed<'de> for PayloadsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PayloadsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Payloads object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let mut seen = 0;
        while let Some(i) = m.next_key_seed(FieldName(&PAYLOADS))? {
            first_time(&mut seen, i, &PAYLOADS)?;
            m.next_value_seed(Nullable(PayloadListSeed(&mut *self.0)))?;
        }
        Ok(())
    }
}

struct PayloadListSeed<'w>(&'w mut ProtoWriter);

impl<'de> DeserializeSeed<'de> for PayloadListSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PayloadListSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of Payload objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        while s.next_element_seed(PayloadSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One payload, written as a `Payloads.payloads` element: its tag and length go in front once
/// its fields are written and its size is known.
struct PayloadSeed<'w>(&'w mut ProtoWriter);

impl<'de> DeserializeSeed<'de> for PayloadSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PayloadSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Payload object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let w = self.0;
        let start = w.out.len();
        w.out.extend_from_slice(&[0; HEAD_ROOM]);
        w.keys.clear();
        let mut seen = 0;
        while let Some(i) = m.next_key_seed(FieldName(&PAYLOAD))? {
            first_time(&mut seen, i, &PAYLOAD)?;
            match i {
                0 => m.next_value_seed(Nullable(MetadataSeed(&mut *w)))?,
                1 => m.next_value_seed(Nullable(DataSeed(&mut w.out)))?,
                _ => m.next_value_seed(Nullable(ExternalListSeed(&mut w.out)))?,
            }
        }
        let out = &w.out;
        w.keys
            .sort_unstable_by(|a, b| out[a.clone()].cmp(&out[b.clone()]));
        if let Some(pair) = w.keys.windows(2).find(|p| out[p[0].clone()] == out[p[1].clone()]) {
            let key = String::from_utf8_lossy(&out[pair[0].clone()]);
            return Err(de::Error::custom(format!("metadata key {key:?} appears twice")));
        }
        // The payload's fields sit HEAD_ROOM bytes after `start`: put its tag and length right
        // before them, and move them down over the room left unused.
        let body = start + HEAD_ROOM..w.out.len();
        let len = body.len();
        let mut head = [0u8; HEAD_ROOM];
        head[0] = TAG_1_LEN;
        let head_len = 1 + write_varint(&mut head[1..], len as u64);
        w.out[start..start + head_len].copy_from_slice(&head[..head_len]);
        w.out.copy_within(body, start + head_len);
        w.out.truncate(start + head_len + len);
        w.payloads += 1;
        Ok(())
    }
}

/// `metadata`: an object of base64 strings, each written as a map entry.
struct MetadataSeed<'w>(&'w mut ProtoWriter);

impl<'de> DeserializeSeed<'de> for MetadataSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MetadataSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of base64 strings")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let w = self.0;
        while m.next_key_seed(KeySeed(&mut w.entry))?.is_some() {
            let key_len = w.entry.len();
            m.next_value_seed(Nullable(Base64Seed(&mut w.entry)))?;
            let (key, value) = w.entry.split_at(key_len);
            let out = &mut w.out;
            out.push(TAG_1_LEN);
            put_varint(
                out,
                (len_field_size(key.len()) + len_field_size(value.len())) as u64,
            );
            out.push(TAG_1_LEN);
            put_varint(out, key.len() as u64);
            let at = out.len();
            out.extend_from_slice(key);
            w.keys.push(at..out.len());
            out.push(TAG_2_LEN);
            put_varint(out, value.len() as u64);
            out.extend_from_slice(value);
        }
        Ok(())
    }
}

/// A metadata key, copied into the entry buffer (it may have had escapes, so it cannot always
/// be borrowed from the body).
struct KeySeed<'b>(&'b mut Vec<u8>);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a metadata key")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.0.clear();
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// A base64 value, decoded onto the end of a buffer.
struct Base64Seed<'b>(&'b mut Vec<u8>);

impl<'de> DeserializeSeed<'de> for Base64Seed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for Base64Seed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a base64 string")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        append_base64(s.as_bytes(), self.0).map_err(E::custom)
    }
}

/// `data`: written as its field straight into the message (its length is known from the
/// base64 text before decoding), omitted when empty as proto3 does.
struct DataSeed<'b>(&'b mut Vec<u8>);

impl<'de> DeserializeSeed<'de> for DataSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for DataSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a base64 string")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        let len = base64_len(s.as_bytes()).map_err(E::custom)?;
        if len == 0 {
            return Ok(());
        }
        self.0.push(TAG_2_LEN);
        put_varint(self.0, len as u64);
        append_base64(s.as_bytes(), self.0).map_err(E::custom)
    }
}

/// `externalPayloads`: an array of `{"sizeBytes": int64}`.
struct ExternalListSeed<'b>(&'b mut Vec<u8>);

impl<'de> DeserializeSeed<'de> for ExternalListSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ExternalListSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of ExternalPayloadDetails objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        while let Some(n) = s.next_element_seed(ExternalSeed)? {
            let out = &mut *self.0;
            out.push(TAG_3_LEN);
            put_varint(out, external_len(n) as u64);
            if n != 0 {
                out.push(TAG_1_VARINT);
                // int64 is a two's complement varint: negative numbers take ten bytes.
                put_varint(out, n as u64);
            }
        }
        Ok(())
    }
}

struct ExternalSeed;

impl<'de> DeserializeSeed<'de> for ExternalSeed {
    type Value = i64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<i64, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ExternalSeed {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an ExternalPayloadDetails object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<i64, A::Error> {
        let mut seen = 0;
        let mut size = 0;
        while let Some(i) = m.next_key_seed(FieldName(&EXTERNAL))? {
            first_time(&mut seen, i, &EXTERNAL)?;
            size = m.next_value::<Option<Int64>>()?.map_or(0, |n| n.0);
        }
        Ok(size)
    }
}

/// A proto3 JSON `int64`: a JSON integer or a decimal string.
struct Int64(i64);

impl<'de> de::Deserialize<'de> for Int64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an int64 (number or decimal string)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int64, E> {
                Ok(Int64(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int64, E> {
                i64::try_from(v)
                    .map(Int64)
                    .map_err(|_| E::custom(format!("{v} is out of the int64 range")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int64, E> {
                // 1e3 and 5.0 are integers in JSON terms; 1.5 and 1e300 are not int64s.
                if v.fract() == 0.0 && v >= i64::MIN as f64 && v < i64::MAX as f64 {
                    Ok(Int64(v as i64))
                } else {
                    Err(E::custom(format!("{v} is not an int64")))
                }
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Int64, E> {
                s.parse::<i64>()
                    .map(Int64)
                    .map_err(|_| E::custom(format!("{s:?} is not an int64")))
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses a proto3 JSON `Payloads` body into a serialized protobuf `Payloads`; returns it and
/// the number of payloads.
pub fn json_to_proto(body: &[u8]) -> Result<(Vec<u8>, usize), JsonError> {
    let mut w = ProtoWriter {
        // Base64 shrinks to 3/4 and JSON punctuation disappears: the protobuf is smaller.
        out: Vec::with_capacity(body.len() / 4 * 3 + 64),
        keys: Vec::new(),
        entry: Vec::new(),
        payloads: 0,
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    PayloadsSeed(&mut w)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| JsonError {
            message: format!("invalid Payloads JSON: {e}"),
            log: format!(
                "invalid Payloads JSON ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ),
        })?;
    Ok((w.out, w.payloads))
}

// ---- protobuf in ----

/// Reads protobuf fields one at a time; only the wire types `Payloads` uses are accepted.
struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, MappingError> {
        let mut v = 0u64;
        for i in 0..10 {
            let Some((&b, rest)) = self.buf.split_first() else {
                return Err(err(format!("{} ends inside a varint", self.what)));
            };
            self.buf = rest;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(err(format!("{} has a varint longer than 10 bytes", self.what)))
    }

    fn next(&mut self) -> Result<Option<(u64, Value<'a>)>, MappingError> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = key >> 3;
        match key & 7 {
            VARINT => Ok(Some((field, Value::Varint(self.varint()?)))),
            LEN => {
                let n = self.varint()?;
                let n = usize::try_from(n)
                    .ok()
                    .filter(|&n| n <= self.buf.len())
                    .ok_or_else(|| err(format!("{} field {field} runs past its end", self.what)))?;
                let (bytes, rest) = self.buf.split_at(n);
                self.buf = rest;
                Ok(Some((field, Value::Bytes(bytes))))
            }
            wt => Err(err(format!(
                "{} field {field} has wire type {wt}, which Payload never uses",
                self.what
            ))),
        }
    }
}

fn unknown(what: &str, field: u64) -> MappingError {
    err(format!(
        "{what} has field {field}, which proto3 JSON of Payload cannot carry"
    ))
}

/// One payload's fields, borrowed from the protobuf; reused from payload to payload so that
/// writing a batch allocates nothing per payload.
#[derive(Default)]
struct PayloadParts<'a> {
    metadata: Vec<(&'a str, &'a [u8])>,
    data: &'a [u8],
    external_sizes: Vec<i64>,
}

impl<'a> PayloadParts<'a> {
    fn read(&mut self, bytes: &'a [u8]) -> Result<(), MappingError> {
        self.metadata.clear();
        self.data = &[];
        self.external_sizes.clear();
        let mut r = Reader {
            buf: bytes,
            what: "Payload",
        };
        while let Some((field, value)) = r.next()? {
            match (field, value) {
                (1, Value::Bytes(entry)) => {
                    let (mut key, mut val): (&[u8], &[u8]) = (&[], &[]);
                    let mut e = Reader {
                        buf: entry,
                        what: "metadata entry",
                    };
                    while let Some((f, v)) = e.next()? {
                        match (f, v) {
                            (1, Value::Bytes(b)) => key = b,
                            (2, Value::Bytes(b)) => val = b,
                            (f, _) => return Err(unknown("metadata entry", f)),
                        }
                    }
                    let key =
                        std::str::from_utf8(key).map_err(|_| err("a metadata key is not valid UTF-8"))?;
                    self.metadata.push((key, val));
                }
                // Repeated occurrences of a bytes field: the last one wins.
                (2, Value::Bytes(b)) => self.data = b,
                (3, Value::Bytes(b)) => {
                    let mut size = 0i64;
                    let mut e = Reader {
                        buf: b,
                        what: "ExternalPayloadDetails",
                    };
                    while let Some((f, v)) = e.next()? {
                        match (f, v) {
                            (1, Value::Varint(n)) => size = n as i64,
                            (f, _) => return Err(unknown("ExternalPayloadDetails", f)),
                        }
                    }
                    self.external_sizes.push(size);
                }
                (f, _) => return Err(unknown("Payload", f)),
            }
        }
        // Sorted, so the output does not depend on the order the codec wrote; a stable sort
        // keeps equal keys in wire order, and protobuf says the last entry for a key wins.
        self.metadata.sort_by(|a, b| a.0.cmp(b.0));
        self.metadata.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 = later.1;
            }
            same
        });
        Ok(())
    }

    /// Appends the payload as proto3 JSON: default values omitted, bytes as standard base64,
    /// int64 as a string.
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut first = true;
        let mut field = |out: &mut Vec<u8>, name: &str| {
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":");
        };
        out.push(b'{');
        if !self.metadata.is_empty() {
            field(out, "metadata");
            out.push(b'{');
            for (j, (k, v)) in self.metadata.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                // Keys are arbitrary text: serde_json escapes them.
                serde_json::to_writer(&mut *out, k).expect("writing a string to a Vec cannot fail");
                out.extend_from_slice(b":\"");
                append_base64_text(v, out);
                out.push(b'"');
            }
            out.push(b'}');
        }
        if !self.data.is_empty() {
            field(out, "data");
            out.push(b'"');
            append_base64_text(self.data, out);
            out.push(b'"');
        }
        if !self.external_sizes.is_empty() {
            field(out, "externalPayloads");
            out.push(b'[');
            for (j, &n) in self.external_sizes.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                if n == 0 {
                    out.extend_from_slice(b"{}");
                } else {
                    out.extend_from_slice(format!("{{\"sizeBytes\":\"{n}\"}}").as_bytes());
                }
            }
            out.push(b']');
        }
        out.push(b'}');
    }
}

fn append_base64_text(bytes: &[u8], out: &mut Vec<u8>) {
    let b64 = base64_simd::STANDARD;
    // As in `append_base64`: the crate reserves exactly, so reserve geometrically first.
    out.reserve(b64.encoded_length(bytes.len()));
    b64.encode_append(bytes, out);
}

/// Writes a serialized protobuf `Payloads` (the codec's output) as proto3 JSON; returns it and
/// the number of payloads. Refuses a field proto3 JSON of `Payload` cannot carry.
pub fn proto_to_json(proto: &[u8]) -> Result<(Vec<u8>, usize), MappingError> {
    let mut out = Vec::with_capacity(proto.len() / 3 * 4 + 64);
    out.extend_from_slice(b"{\"payloads\":[");
    let mut parts = PayloadParts::default();
    let mut r = Reader {
        buf: proto,
        what: "Payloads",
    };
    let mut count = 0;
    while let Some((field, value)) = r.next()? {
        match (field, value) {
            (1, Value::Bytes(b)) => {
                parts.read(b).map_err(|e| err(format!("payload {count}: {e}")))?;
                if count > 0 {
                    out.push(b',');
                }
                parts.write_json(&mut out);
                count += 1;
            }
            (f, _) => return Err(unknown("Payloads", f)),
        }
    }
    // "payloads" is always present: an empty list is still an answer the UI can read.
    out.extend_from_slice(b"]}");
    Ok((out, count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value as Json};

    fn put_len_field(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
        put_varint(out, (field << 3) | LEN);
        put_varint(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }

    fn b64(s: impl AsRef<[u8]>) -> String {
        base64_simd::STANDARD.encode_to_string(s)
    }

    /// A batch using every field, in canonical form (what the writer emits).
    fn sample() -> Json {
        json!({"payloads": [
            {"metadata": {"encoding": b64("json/plain")}, "data": b64("{\"a\":1}")},
            {
                "metadata": {"empty": "", "encoding": b64("binary/null"), "raw": b64([0, 255, 128])},
                "externalPayloads": [{}, {"sizeBytes": "1"}, {"sizeBytes": "9223372036854775807"}, {"sizeBytes": "-1"}]
            },
            {},
        ]})
    }

    fn round_trip(body: &[u8]) -> Json {
        let (proto, n) = json_to_proto(body).unwrap();
        let (json, m) = proto_to_json(&proto).unwrap();
        assert_eq!(n, m);
        serde_json::from_slice(&json).unwrap()
    }

    fn parse_err(body: &str) -> String {
        json_to_proto(body.as_bytes()).unwrap_err().message
    }

    #[test]
    fn json_round_trip_is_lossless() {
        let s = sample();
        assert_eq!(round_trip(s.to_string().as_bytes()), s);
        assert_eq!(json_to_proto(s.to_string().as_bytes()).unwrap().1, 3);
    }

    #[test]
    fn proto_round_trip_is_lossless() {
        // Protobuf in the order our JSON has (metadata sorted by key, then data, then
        // externalPayloads: serde_json's Value sorts "data" first) comes back byte for byte.
        let (first, _) = json_to_proto(sample().to_string().as_bytes()).unwrap();
        let (json, _) = proto_to_json(&first).unwrap();
        let (canonical, _) = json_to_proto(&json).unwrap();
        assert_ne!(first, canonical, "the sample's order is not the canonical one");
        let (json, _) = proto_to_json(&canonical).unwrap();
        assert_eq!(json_to_proto(&json).unwrap().0, canonical);
    }

    #[test]
    fn writes_the_protobuf_every_runtime_reads() {
        // Field by field, as protoc's output for the same message.
        let (proto, _) =
            json_to_proto(br#"{"payloads":[{"metadata":{"e":"aGk="},"data":"AQI=","externalPayloads":[{"sizeBytes":"300"},{}]},{}]}"#)
                .unwrap();
        let mut p = Vec::new();
        let mut entry = Vec::new();
        put_len_field(&mut entry, 1, b"e");
        put_len_field(&mut entry, 2, b"hi");
        put_len_field(&mut p, 1, &entry);
        put_len_field(&mut p, 2, &[1, 2]);
        put_len_field(&mut p, 3, &[0x08, 0xac, 0x02]);
        put_len_field(&mut p, 3, &[]);
        let mut want = Vec::new();
        put_len_field(&mut want, 1, &p);
        put_len_field(&mut want, 1, &[]);
        assert_eq!(proto, want);
    }

    #[test]
    fn a_payload_longer_than_127_bytes_gets_a_two_byte_length() {
        let data = vec![7u8; 5000];
        let body = json!({"payloads": [{"data": b64(&data)}, {"data": b64([1])}]});
        let (proto, _) = json_to_proto(body.to_string().as_bytes()).unwrap();
        // The payload: a data tag, a two-byte varint of 5000 and the data: 5003 bytes.
        assert_eq!(&proto[..4], &[0x0a, 0x8b, 0x27, 0x12]);
        assert_eq!(round_trip(body.to_string().as_bytes()), body);
    }

    #[test]
    fn external_payloads_use_string_int64_and_camel_case() {
        let out = round_trip(sample().to_string().as_bytes());
        assert_eq!(
            out["payloads"][1]["externalPayloads"],
            json!([{}, {"sizeBytes": "1"}, {"sizeBytes": "9223372036854775807"}, {"sizeBytes": "-1"}])
        );
        // Defaults are omitted, as proto3 JSON writers do.
        assert_eq!(out["payloads"][2], json!({}));
        assert_eq!(out["payloads"][1]["metadata"]["empty"], json!(""));
        assert_eq!(proto_to_json(&[]).unwrap().0, b"{\"payloads\":[]}");
        // Keys needing JSON escapes survive, and so does an escaped base64 value.
        let odd = json!({"payloads": [{"metadata": {"q\"\\\n\u{1}é": "AQ=="}}]});
        assert_eq!(round_trip(odd.to_string().as_bytes()), odd);
        assert_eq!(
            round_trip(br#"{"payloads":[{"data":"a\/8="}]}"#),
            json!({"payloads": [{"data": "a/8="}]})
        );
    }

    #[test]
    fn parser_accepts_every_proto3_spelling() {
        let body = json!({"payloads": [
            {"metadata": {"e": "aGk"}, "data": "-_8", "external_payloads": [{"size_bytes": 7}, {"sizeBytes": "8"}, {"sizeBytes": 9.0}, {"sizeBytes": null}]},
            {"metadata": null, "data": null, "externalPayloads": null},
            {"metadata": {"n": null}},
        ]});
        let out = round_trip(body.to_string().as_bytes());
        assert_eq!(
            out,
            json!({"payloads": [
                {"metadata": {"e": "aGk="}, "data": "+/8=", "externalPayloads": [{"sizeBytes": "7"}, {"sizeBytes": "8"}, {"sizeBytes": "9"}, {}]},
                {},
                {"metadata": {"n": ""}},
            ]})
        );
        assert_eq!(json_to_proto(b"{}").unwrap(), (vec![], 0));
        assert_eq!(json_to_proto(b" {\"payloads\":null} \n").unwrap(), (vec![], 0));
    }

    #[test]
    fn parser_refuses_what_it_cannot_carry() {
        for (body, needle) in [
            (r#"{"payloads":[],"extra":1}"#, "unknown field `extra`"),
            (r#"{"payloads":[{"dat":""}]}"#, "unknown field `dat`"),
            (
                r#"{"payloads":[{"externalPayloads":[{"size":1}]}]}"#,
                "unknown field `size`",
            ),
            (r#"{"payloads":[{"data":"!!"}]}"#, "invalid base64"),
            (r#"{"payloads":[{"data":"aGk=x"}]}"#, "invalid base64"),
            (r#"{"payloads":[{"metadata":{"e":"a"}}]}"#, "invalid base64"),
            (r#"{"payloads":[{"metadata":{"a":"","a":""}}]}"#, "appears twice"),
            (
                r#"{"payloads":[{"metadata":{"b":"","a":"","b":"AA=="}}]}"#,
                "\"b\" appears twice",
            ),
            (
                r#"{"payloads":[{"data":"","data":""}]}"#,
                "duplicate field `data`",
            ),
            (
                r#"{"payloads":[{"externalPayloads":[],"external_payloads":[]}]}"#,
                "duplicate field `externalPayloads`",
            ),
            (r#"{"payloads":[],"payloads":[]}"#, "duplicate field `payloads`"),
            (
                r#"{"payloads":[{"externalPayloads":[{"sizeBytes":"1.5"}]}]}"#,
                "not an int64",
            ),
            (
                r#"{"payloads":[{"externalPayloads":[{"sizeBytes":9223372036854775808}]}]}"#,
                "int64",
            ),
            (r#"{"payloads":[{"metadata":{"a":1}}]}"#, "base64 string"),
            (r#"{"payloads":{}}"#, "invalid type: map"),
            // Arrays where the schema has a message: protojson refuses them, and so do we.
            (
                r#"[[{"data":"aGk="}]]"#,
                "invalid type: sequence, expected a Payloads object",
            ),
            (r#"{"payloads":[[{"e":"aGk="}]]}"#, "expected a Payload object"),
            (
                r#"{"payloads":[{"externalPayloads":[[5]]}]}"#,
                "expected an ExternalPayloadDetails",
            ),
            (
                r#"{"payloads":[{"metadata":[["e","aGk="]]}]}"#,
                "expected an object of base64",
            ),
            (r#"[1]"#, "invalid type"),
            ("null", "invalid type: null"),
            (r#"{"payloads":[]"#, "EOF"),
            (r#"{"payloads":[]} x"#, "trailing characters"),
            ("", "EOF"),
        ] {
            let e = parse_err(body);
            assert!(e.contains(needle), "{body}: {e}");
        }
    }

    #[test]
    fn the_log_form_of_a_json_error_quotes_nothing() {
        let secret = b64("the customer's card number");
        let e = json_to_proto(format!("{{\"payloads\":\"{secret}\"}}").as_bytes()).unwrap_err();
        assert!(e.message.contains(&secret), "{}", e.message);
        assert!(!e.log.contains(&secret), "{}", e.log);
        assert!(e.log.contains("Data error at line 1"), "{}", e.log);
    }

    #[test]
    fn proto_reader_refuses_unknown_fields_and_truncation() {
        let (mut good, _) = json_to_proto(sample().to_string().as_bytes()).unwrap();
        // Field 4 (LEN) inside a payload: a schema this server does not know.
        let mut inner = Vec::new();
        put_len_field(&mut inner, 4, b"x");
        let mut msg = Vec::new();
        put_len_field(&mut msg, 1, &inner);
        assert!(proto_to_json(&msg).unwrap_err().0.contains("field 4"));
        good.pop();
        assert!(proto_to_json(&good).is_err());
        assert!(proto_to_json(&[0x0d, 0, 0, 0, 0])
            .unwrap_err()
            .0
            .contains("wire type 5"));
        assert!(proto_to_json(&[0x0a, 0x80]).is_err());
    }

    #[test]
    fn the_last_metadata_entry_for_a_key_wins() {
        let mut p = Vec::new();
        for (k, v) in [(&b"b"[..], &b"1"[..]), (b"a", b"2"), (b"b", b"3")] {
            let mut entry = Vec::new();
            put_len_field(&mut entry, 1, k);
            put_len_field(&mut entry, 2, v);
            put_len_field(&mut p, 1, &entry);
        }
        let mut msg = Vec::new();
        put_len_field(&mut msg, 1, &p);
        let (json, _) = proto_to_json(&msg).unwrap();
        assert_eq!(
            serde_json::from_slice::<Json>(&json).unwrap(),
            json!({"payloads": [{"metadata": {"a": b64("2"), "b": b64("3")}}]})
        );
    }

    #[test]
    fn matches_the_core_codecs_view_of_the_bytes() {
        // What we serialize, the core parses, wraps (snappy, the default) and unwraps back to
        // the very same payloads.
        let codec = temporal_payload_codec_core::Codec::builder().build().unwrap();
        let (proto, _) = json_to_proto(sample().to_string().as_bytes()).unwrap();
        let back = codec.decode(&codec.encode(&proto).unwrap()).unwrap();
        let (json, _) = proto_to_json(&back).unwrap();
        assert_eq!(serde_json::from_slice::<Json>(&json).unwrap(), sample());
    }
}
