//! The proto3 JSON form of `temporal.api.common.v1.Payloads`, as the Temporal CLI and Web UI
//! send it, to and from its protobuf wire form, which is what the core codec reads and writes.
//!
//! The mapping is lossless for every field `Payload` has (metadata, data, externalPayloads):
//! bytes as base64, int64 as a decimal string. Input follows the proto3 JSON parser rules
//! (either field name spelling, standard or URL-safe base64 with or without padding, int64 as
//! a number or a string, `null` for a default), and refuses what it cannot carry back: an
//! unknown JSON field, or a protobuf field this schema does not have, is an error rather than
//! something silently dropped.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use temporal_payload_codec::wire;

/// Why a body or a codec result could not be mapped.
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

/// One payload; metadata keeps a stable (sorted) order so output is deterministic. The data is
/// owned when parsed from JSON and borrowed from the codec's output by [`from_proto`], so a
/// response is written without a copy of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Payload<'a> {
    pub metadata: BTreeMap<String, Vec<u8>>,
    pub data: Cow<'a, [u8]>,
    /// `externalPayloads[].sizeBytes`.
    pub external_sizes: Vec<i64>,
}

// ---- JSON in ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayloadsIn {
    #[serde(default)]
    payloads: Option<Vec<PayloadIn>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayloadIn {
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    data: Option<B64>,
    #[serde(default, rename = "externalPayloads", alias = "external_payloads")]
    external_payloads: Option<Vec<ExternalIn>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExternalIn {
    #[serde(default, rename = "sizeBytes", alias = "size_bytes")]
    size_bytes: Option<Int64>,
}

/// A metadata map that refuses a key given twice (a JSON object may repeat a key; which value
/// wins would be a guess).
struct Metadata(BTreeMap<String, Vec<u8>>);

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Metadata;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of base64 strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Metadata, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = m.next_entry::<String, Option<B64>>()? {
                    if out.contains_key(&k) {
                        return Err(de::Error::custom(format!("metadata key {k:?} appears twice")));
                    }
                    out.insert(k, v.map(|b| b.0).unwrap_or_default());
                }
                Ok(Metadata(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A proto3 JSON `bytes` value.
struct B64(Vec<u8>);

/// Decodes base64 as proto3 JSON parsers must accept it: the standard or the URL-safe
/// alphabet, with or without padding. Standard with padding (what every SDK writes) is tried
/// first, so the usual case is one SIMD pass.
fn decode_base64(s: &[u8]) -> Result<Vec<u8>, String> {
    use base64_simd::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let padded = s.len().is_multiple_of(4);
    let (standard, url_safe) = if padded {
        (STANDARD, URL_SAFE)
    } else {
        (STANDARD_NO_PAD, URL_SAFE_NO_PAD)
    };
    standard
        .decode_to_vec(s)
        .or_else(|_| url_safe.decode_to_vec(s))
        .map_err(|_| format!("invalid base64 ({} characters)", s.len()))
}

impl<'de> Deserialize<'de> for B64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = B64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a base64 string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<B64, E> {
                decode_base64(s.as_bytes()).map(B64).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// A proto3 JSON `int64`: a JSON integer or a decimal string.
struct Int64(i64);

impl<'de> Deserialize<'de> for Int64 {
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

/// Parses a proto3 JSON `Payloads` body.
///
/// The error message may quote the body (serde names an unexpected string by its value): it is
/// for the caller who sent it. [`json_error_for_log`] is the form that may be logged.
pub fn parse_json(body: &[u8]) -> Result<Vec<Payload<'static>>, MappingError> {
    let parsed: PayloadsIn =
        serde_json::from_slice(body).map_err(|e| err(format!("invalid Payloads JSON: {e}")))?;
    Ok(parsed
        .payloads
        .unwrap_or_default()
        .into_iter()
        .map(|p| Payload {
            metadata: p.metadata.map(|m| m.0).unwrap_or_default(),
            data: p.data.map(|b| b.0).unwrap_or_default().into(),
            external_sizes: p
                .external_payloads
                .unwrap_or_default()
                .into_iter()
                .map(|e| e.size_bytes.map(|i| i.0).unwrap_or(0))
                .collect(),
        })
        .collect())
}

/// What went wrong with a body, without quoting any of it: the error class and position.
pub fn json_error_for_log(body: &[u8]) -> Option<String> {
    let e = serde_json::from_slice::<PayloadsIn>(body).err()?;
    Some(format!(
        "invalid Payloads JSON ({:?} error at line {} column {})",
        e.classify(),
        e.line(),
        e.column()
    ))
}

// ---- JSON out ----

/// Writes proto3 JSON: default values omitted, bytes as standard base64, int64 as a string.
/// Written straight into one buffer: the response of a decode is mostly base64 text.
pub fn to_json(payloads: &[Payload]) -> Vec<u8> {
    let b64 = base64_simd::STANDARD;
    let estimate: usize = payloads
        .iter()
        .map(|p| p.data.len() * 4 / 3 + p.metadata.values().map(|v| v.len() * 2 + 32).sum::<usize>() + 64)
        .sum();
    let mut out = String::with_capacity(estimate + 16);
    out.push_str("{\"payloads\":[");
    for (i, p) in payloads.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('{');
        let mut first = true;
        let mut field = |out: &mut String, name: &str| {
            if !std::mem::take(&mut first) {
                out.push(',');
            }
            out.push('"');
            out.push_str(name);
            out.push_str("\":");
        };
        if !p.metadata.is_empty() {
            field(&mut out, "metadata");
            out.push('{');
            for (j, (k, v)) in p.metadata.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                // Keys are arbitrary text: serde_json escapes them.
                out.push_str(&serde_json::to_string(k).expect("a string always serializes"));
                out.push_str(":\"");
                b64.encode_append(v, &mut out);
                out.push('"');
            }
            out.push('}');
        }
        if !p.data.is_empty() {
            field(&mut out, "data");
            out.push('"');
            b64.encode_append(&p.data, &mut out);
            out.push('"');
        }
        if !p.external_sizes.is_empty() {
            field(&mut out, "externalPayloads");
            out.push('[');
            for (j, &n) in p.external_sizes.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                if n == 0 {
                    out.push_str("{}");
                } else {
                    out.push_str(&format!("{{\"sizeBytes\":\"{n}\"}}"));
                }
            }
            out.push(']');
        }
        out.push('}');
    }
    // "payloads" is always present: an empty list is still an answer the UI can read.
    out.push_str("]}");
    out.into_bytes()
}

// ---- protobuf wire ----

const LEN: u64 = 2;
const VARINT: u64 = 0;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Size of an `ExternalPayloadDetails` message: empty when `sizeBytes` is the default 0.
fn external_len(n: i64) -> usize {
    if n == 0 {
        0
    } else {
        1 + varint_len(n as u64)
    }
}

/// Serializes payloads as a protobuf `Payloads` message. Metadata and data go through the core's
/// own wire writers; each payload's size is computed first so its bytes are written once,
/// straight into the message.
pub fn to_proto(payloads: &[Payload]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payloads.iter().map(|p| p.data.len() + 64).sum());
    let mut metadata: Vec<(&str, &[u8])> = Vec::new();
    for p in payloads {
        metadata.clear();
        metadata.extend(p.metadata.iter().map(|(k, v)| (k.as_str(), v.as_slice())));
        // An external entry is a tag, a one-byte length (at most 11) and the message.
        let externals: usize = p.external_sizes.iter().map(|&n| 2 + external_len(n)).sum();
        let len = wire::wrapper_size(&metadata, p.data.len()) + externals;
        wire::write_payloads_entry_header(&mut out, len);
        let start = out.len();
        wire::write_wrapper_head(&mut out, &metadata, p.data.len());
        out.extend_from_slice(&p.data);
        for &n in &p.external_sizes {
            out.push((3 << 3 | LEN) as u8);
            put_varint(&mut out, external_len(n) as u64);
            if n != 0 {
                put_varint(&mut out, 1 << 3 | VARINT);
                // int64 is a two's complement varint: negative numbers take ten bytes.
                put_varint(&mut out, n as u64);
            }
        }
        debug_assert_eq!(out.len() - start, len);
    }
    out
}

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

fn decode_payload(bytes: &[u8]) -> Result<Payload<'_>, MappingError> {
    let mut p = Payload::default();
    let mut r = Reader {
        buf: bytes,
        what: "Payload",
    };
    while let Some((field, value)) = r.next()? {
        match (field, value) {
            (1, Value::Bytes(entry)) => {
                let (mut key, mut val) = (Vec::new(), Vec::new());
                let mut e = Reader {
                    buf: entry,
                    what: "metadata entry",
                };
                while let Some((f, v)) = e.next()? {
                    match (f, v) {
                        (1, Value::Bytes(b)) => key = b.to_vec(),
                        (2, Value::Bytes(b)) => val = b.to_vec(),
                        (f, _) => return Err(unknown("metadata entry", f)),
                    }
                }
                let key = String::from_utf8(key).map_err(|_| err("a metadata key is not valid UTF-8"))?;
                // Protobuf says the last entry for a key wins.
                p.metadata.insert(key, val);
            }
            (2, Value::Bytes(b)) => {
                // Repeated occurrences of a bytes field: the last one wins.
                p.data = Cow::Borrowed(b);
            }
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
                p.external_sizes.push(size);
            }
            (f, _) => return Err(unknown("Payload", f)),
        }
    }
    Ok(p)
}

/// Parses a protobuf `Payloads` message.
pub fn from_proto(bytes: &[u8]) -> Result<Vec<Payload<'_>>, MappingError> {
    let mut r = Reader {
        buf: bytes,
        what: "Payloads",
    };
    let mut out = Vec::new();
    while let Some((field, value)) = r.next()? {
        match (field, value) {
            (1, Value::Bytes(b)) => {
                out.push(decode_payload(b).map_err(|e| err(format!("payload {}: {e}", out.len())))?)
            }
            (f, _) => return Err(unknown("Payloads", f)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn put_len_field(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
        put_varint(out, (field << 3) | LEN);
        put_varint(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }

    fn sample() -> Vec<Payload<'static>> {
        vec![
            Payload {
                metadata: [("encoding".to_string(), b"json/plain".to_vec())].into(),
                data: b"{\"a\":1}".to_vec().into(),
                external_sizes: vec![],
            },
            Payload {
                metadata: [
                    ("encoding".to_string(), b"binary/null".to_vec()),
                    ("empty".to_string(), vec![]),
                    ("raw".to_string(), vec![0, 255, 128]),
                ]
                .into(),
                data: Cow::Borrowed(&[]),
                external_sizes: vec![0, 1, i64::MAX, -1],
            },
            Payload::default(),
        ]
    }

    #[test]
    fn json_round_trip_is_lossless() {
        let p = sample();
        assert_eq!(parse_json(&to_json(&p)).unwrap(), p);
    }

    #[test]
    fn proto_round_trip_is_lossless() {
        let p = sample();
        assert_eq!(from_proto(&to_proto(&p)).unwrap(), p);
    }

    #[test]
    fn external_payloads_use_string_int64_and_camel_case() {
        let out: serde_json::Value = serde_json::from_slice(&to_json(&sample())).unwrap();
        assert_eq!(
            out["payloads"][1]["externalPayloads"],
            json!([{}, {"sizeBytes": "1"}, {"sizeBytes": "9223372036854775807"}, {"sizeBytes": "-1"}])
        );
        // Defaults are omitted, as proto3 JSON writers do.
        assert_eq!(out["payloads"][2], json!({}));
        assert_eq!(out["payloads"][1]["metadata"]["empty"], json!(""));
        assert_eq!(to_json(&[]), b"{\"payloads\":[]}");
        // Keys needing JSON escapes survive.
        let odd = vec![Payload {
            metadata: [("q\"\\\n\u{1}é".to_string(), vec![1])].into(),
            ..Payload::default()
        }];
        assert_eq!(parse_json(&to_json(&odd)).unwrap(), odd);
    }

    #[test]
    fn parser_accepts_every_proto3_spelling() {
        let body = json!({"payloads": [
            {"metadata": {"e": "aGk"}, "data": "-_8", "external_payloads": [{"size_bytes": 7}, {"sizeBytes": "8"}, {"sizeBytes": 9.0}, {"sizeBytes": null}]},
            {"metadata": null, "data": null, "externalPayloads": null},
        ]});
        let p = parse_json(body.to_string().as_bytes()).unwrap();
        assert_eq!(p[0].metadata["e"], b"hi");
        assert_eq!(p[0].data, vec![0xfb, 0xff]);
        assert_eq!(p[0].external_sizes, vec![7, 8, 9, 0]);
        assert_eq!(p[1], Payload::default());
        assert_eq!(parse_json(b"{}").unwrap(), vec![]);
        assert_eq!(parse_json(b"{\"payloads\":null}").unwrap(), vec![]);
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
            (r#"{"payloads":[{"metadata":{"a":"","a":""}}]}"#, "appears twice"),
            (
                r#"{"payloads":[{"externalPayloads":[{"sizeBytes":"1.5"}]}]}"#,
                "not an int64",
            ),
            (
                r#"{"payloads":[{"externalPayloads":[{"sizeBytes":9223372036854775808}]}]}"#,
                "int64",
            ),
            (r#"{"payloads":[{"metadata":{"a":1}}]}"#, "base64 string"),
            (r#"{"payloads":{}}"#, "invalid"),
            (r#"[1]"#, "invalid"),
            (r#"{"payloads":[]"#, "EOF"),
            ("", "EOF"),
        ] {
            let e = parse_json(body.as_bytes()).unwrap_err();
            assert!(e.0.contains(needle), "{body}: {e}");
        }
    }

    #[test]
    fn proto_reader_refuses_unknown_fields_and_truncation() {
        let mut good = to_proto(&sample());
        // Field 4 (LEN) inside a payload: a schema this server does not know.
        let mut inner = Vec::new();
        put_len_field(&mut inner, 4, b"x");
        let mut msg = Vec::new();
        put_len_field(&mut msg, 1, &inner);
        assert!(from_proto(&msg).unwrap_err().0.contains("field 4"));
        good.pop();
        assert!(from_proto(&good).is_err());
        assert!(from_proto(&[0x0d, 0, 0, 0, 0])
            .unwrap_err()
            .0
            .contains("wire type 5"));
        assert!(from_proto(&[0x0a, 0x80]).is_err());
    }

    #[test]
    fn matches_the_core_codecs_view_of_the_bytes() {
        // What we serialize, the core parses, wraps (snappy, the default) and unwraps back to
        // the very same bytes.
        let codec = temporal_payload_codec::Codec::builder().build().unwrap();
        let bytes = to_proto(&sample());
        let back = codec.decode(&codec.encode(&bytes).unwrap()).unwrap();
        assert_eq!(from_proto(&back).unwrap(), sample());
    }
}
