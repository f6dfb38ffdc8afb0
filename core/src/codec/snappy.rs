//! `binary/snappy`: the snappy framing format (the reference codec, via cramjam) and the raw
//! block format (the Go codec-server sample). Both share one label, so decode tells them apart
//! by the framing format's stream identifier.
//!
//! The framing encoder is ours rather than `snap::write::FrameEncoder` because that one
//! allocates two 64 KiB+ buffers per instance, which dominates for the small payloads Temporal
//! mostly carries. The chunking and the compressed-or-stored rule are the same as snap's, so the
//! output is byte-identical to cramjam (checked against the reference vectors and Python).

use crate::error::{corrupt, too_large, Result};
use snap::raw::{decompress_len, max_compress_len, Decoder, Encoder};

/// Start of every framing-format stream: chunk type 0xff, length 6, "sNaPpY".
const STREAM_IDENTIFIER: &[u8] = b"\xff\x06\x00\x00sNaPpY";
/// The framing format caps a chunk's uncompressed size at 64 KiB.
const MAX_CHUNK: usize = 65536;
const CHUNK_COMPRESSED: u8 = 0x00;
const CHUNK_UNCOMPRESSED: u8 = 0x01;
const CHUNK_STREAM_IDENTIFIER: u8 = 0xff;

/// The framing format's checksum: CRC-32C, rotated and offset so that checksumming data that
/// itself contains CRCs stays robust.
fn masked_crc(bytes: &[u8]) -> u32 {
    // CRC-32/ISCSI is CRC-32C; the result fits 32 bits.
    let c = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, bytes) as u32;
    c.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// A snappy compressor and the buffer its chunks compress into, reused across payloads.
pub struct Compressor {
    enc: Encoder,
    chunk: Vec<u8>,
}

impl Default for Compressor {
    fn default() -> Self {
        Compressor {
            enc: Encoder::new(),
            chunk: Vec::new(),
        }
    }
}

impl Compressor {
    /// Appends `input` in the framing format. Empty input gives empty output, as in snap.
    ///
    /// Each chunk compresses into a buffer of its bound (which snap must get zeroed) and then
    /// only its real bytes go to `out`: compressing into `out` itself would zero and touch a
    /// chunk's whole bound at the end of `out`, fresh pages when `out` is new memory.
    pub fn encode_framed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        if input.is_empty() {
            return;
        }
        out.extend_from_slice(STREAM_IDENTIFIER);
        for chunk in input.chunks(MAX_CHUNK) {
            let bound = max_compress_len(chunk.len());
            if self.chunk.len() < bound {
                self.chunk.resize(bound, 0);
            }
            let n = self
                .enc
                .compress(chunk, &mut self.chunk[..bound])
                .expect("a chunk of at most 64 KiB always compresses into max_compress_len bytes");
            // Stored rather than compressed when compression saves under 1/8, as snap does.
            let (chunk_type, body) = if n >= chunk.len() - chunk.len() / 8 {
                (CHUNK_UNCOMPRESSED, chunk)
            } else {
                (CHUNK_COMPRESSED, &self.chunk[..n])
            };
            let chunk_len = (body.len() + 4) as u32;
            out.push(chunk_type);
            out.extend_from_slice(&chunk_len.to_le_bytes()[..3]);
            out.extend_from_slice(&masked_crc(chunk).to_le_bytes());
            out.extend_from_slice(body);
        }
    }

    /// Appends `input` as one raw snappy block (varint length, then the block).
    pub fn encode_raw(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let at = out.len();
        out.resize(at + max_compress_len(input.len()), 0);
        let n = self
            .enc
            .compress(input, &mut out[at..])
            .expect("max_compress_len is always enough");
        out.truncate(at + n);
    }
}

/// The most bytes a snappy block of `block_len` bytes can decode to, whatever its header says.
///
/// A block is a varint (the decoded length) and then elements, each a literal or a copy. A
/// literal is a 1 to 5 byte tag and then its bytes, so it yields less than it takes. A copy
/// repeats earlier output: tag 01 takes 2 bytes for 4 to 11 bytes out, tag 10 takes 3 bytes for
/// 1 to 64, tag 11 takes 5 bytes for 1 to 64. The best any element does is 64 bytes out for 3
/// in, so a block of n bytes (counting the varint too, which only loosens the bound) yields at
/// most 64n/3 bytes. A header claiming more is a lie, refused before anything is reserved:
/// otherwise a 4-byte block claiming 64 MiB makes the caller reserve 64 MiB, a thousand of
/// them 64 GiB.
fn max_block_output(block_len: usize) -> usize {
    block_len.saturating_mul(64) / 3
}

/// The decoded length a raw block's header claims, checked against what the block can hold.
#[inline(always)]
fn block_len_claim(block: &[u8]) -> std::result::Result<usize, String> {
    let n = match decompress_len(block) {
        Ok(n) => n,
        Err(e) => return Err(e.to_string()),
    };
    if n > max_block_output(block.len()) {
        return Err(claim_too_large(n, block.len()));
    }
    Ok(n)
}

#[cold]
#[inline(never)]
fn claim_too_large(n: usize, block_len: usize) -> String {
    format!(
        "header claims {n} bytes, more than the {} bytes a block of {block_len} bytes can decode to",
        max_block_output(block_len),
    )
}

/// The exact number of bytes `decode` will produce, read from the headers alone (the raw
/// block's varint, the framing format's chunk headers). Refused before anything is allocated
/// when it exceeds `max`: a 10-byte block may claim gigabytes.
pub fn decoded_len(data: &[u8], max: usize) -> Result<usize> {
    let n = if data.is_empty() {
        0
    } else if data.starts_with(STREAM_IDENTIFIER) {
        let mut total = 0usize;
        for chunk in Chunks::new(data) {
            let chunk = chunk?;
            total += chunk.decoded_len()?;
            if total > max {
                return Err(too_large(max));
            }
        }
        total
    } else {
        block_len_claim(data).map_err(|e| corrupt(format!("snappy raw block: {e}")))?
    };
    if n > max {
        return Err(too_large(max));
    }
    Ok(n)
}

/// Decodes either dialect into `dst`, which must be exactly as long as `decoded_len` said;
/// its prior contents are overwritten.
///
/// Every chunk decodes straight into its place: no per-chunk allocation and no second
/// reading of the chunks' lengths (`decoded_len` already checked them). A `dst` of the wrong
/// length is an error, not a panic.
pub fn decode_to(data: &[u8], dst: &mut [u8]) -> Result<()> {
    if data.starts_with(STREAM_IDENTIFIER) {
        return decode_framed(data, dst);
    }
    let written = if data.is_empty() {
        0
    } else {
        Decoder::new()
            .decompress(data, dst)
            .map_err(|e| corrupt(format!("snappy raw block: {e}")))?
    };
    if written != dst.len() {
        return Err(size_mismatch(dst.len(), written));
    }
    Ok(())
}

/// One chunk of a framing-format stream.
struct Chunk<'a> {
    offset: usize,
    kind: u8,
    body: &'a [u8],
}

impl Chunk<'_> {
    #[cold]
    #[inline(never)]
    fn error(&self, what: impl std::fmt::Display) -> crate::Error {
        corrupt(format!("snappy frame: chunk at offset {}: {what}", self.offset))
    }

    /// Splits a data chunk into its checksum and its block.
    #[inline]
    fn checksum_and_block(&self) -> Result<(u32, &[u8])> {
        match *self.body {
            [a, b, c, d, ref block @ ..] => Ok((u32::from_le_bytes([a, b, c, d]), block)),
            _ => Err(self.error("no checksum")),
        }
    }

    /// Bytes this chunk decodes to; also rejects chunk types a decoder must not skip.
    #[inline]
    fn decoded_len(&self) -> Result<usize> {
        let n = match self.kind {
            CHUNK_COMPRESSED => block_len_claim(self.checksum_and_block()?.1).map_err(|e| self.error(e))?,
            CHUNK_UNCOMPRESSED => self.checksum_and_block()?.1.len(),
            CHUNK_STREAM_IDENTIFIER if self.body != &STREAM_IDENTIFIER[4..] => {
                return Err(self.error("bad stream identifier"))
            }
            // Reserved unskippable chunk types: a decoder must stop rather than guess.
            0x02..=0x7f => return Err(self.error(format!("reserved chunk type {:#04x}", self.kind))),
            // Stream identifiers, reserved skippable chunks and padding carry no data.
            _ => 0,
        };
        if n > MAX_CHUNK {
            return Err(self.error("exceeds 64 KiB"));
        }
        Ok(n)
    }
}

/// Walks a framing-format stream chunk by chunk, checking each header against the data left.
struct Chunks<'a> {
    data: &'a [u8],
    rest: &'a [u8],
}

impl<'a> Chunks<'a> {
    fn new(data: &'a [u8]) -> Self {
        Chunks { data, rest: data }
    }
}

#[cold]
#[inline(never)]
fn truncated_header(offset: usize) -> crate::Error {
    corrupt(format!("snappy frame: truncated chunk header at offset {offset}"))
}

#[cold]
#[inline(never)]
fn overlong_chunk(offset: usize, len: usize, remain: usize) -> crate::Error {
    corrupt(format!(
        "snappy frame: chunk at offset {offset} claims {len} bytes, {remain} remain"
    ))
}

impl<'a> Iterator for Chunks<'a> {
    type Item = Result<Chunk<'a>>;

    /// Inlined: it runs twice per chunk (sizing, then decoding), for every payload.
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let offset = self.data.len() - self.rest.len();
        let [kind, l0, l1, l2, ref rest @ ..] = *self.rest else {
            self.rest = &[];
            return Some(Err(truncated_header(offset)));
        };
        let len = u32::from_le_bytes([l0, l1, l2, 0]) as usize;
        if rest.len() < len {
            self.rest = &[];
            return Some(Err(overlong_chunk(offset, len, rest.len())));
        }
        let (body, tail) = rest.split_at(len);
        self.rest = tail;
        Some(Ok(Chunk { offset, kind, body }))
    }
}

#[cold]
#[inline(never)]
fn size_mismatch(expected: usize, got: usize) -> crate::Error {
    corrupt(format!(
        "snappy: decodes to {got} bytes, not the {expected} its headers announce"
    ))
}

/// Decodes a framing-format stream whose headers `decoded_len` already checked into `out`,
/// which must be exactly as long as `decoded_len` said.
fn decode_framed(data: &[u8], out: &mut [u8]) -> Result<()> {
    let mut dec = Decoder::new();
    let total = out.len();
    let mut pos = 0;
    for chunk in Chunks::new(data) {
        let chunk = chunk?;
        if chunk.kind != CHUNK_COMPRESSED && chunk.kind != CHUNK_UNCOMPRESSED {
            continue;
        }
        let (expected, block) = chunk.checksum_and_block()?;
        let dst = &mut out[pos..];
        let written = if chunk.kind == CHUNK_COMPRESSED {
            // Writes exactly the block's decoded length, or fails if `dst` is too short.
            dec.decompress(block, dst).map_err(|e| chunk.error(e))?
        } else {
            dst.get_mut(..block.len())
                .ok_or_else(|| size_mismatch(total, pos + block.len()))?
                .copy_from_slice(block);
            block.len()
        };
        if masked_crc(&out[pos..pos + written]) != expected {
            return Err(chunk.error("CRC mismatch"));
        }
        pos += written;
    }
    if pos != total {
        return Err(size_mismatch(total, pos));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes either dialect into `out`, refusing to produce more than `max` bytes: what
    /// the chain does with `decoded_len` and `decode_to`.
    fn decode(data: &[u8], max: usize, out: &mut Vec<u8>) -> Result<()> {
        let n = decoded_len(data, max)?;
        let at = out.len();
        out.resize(at + n, 0);
        decode_to(data, &mut out[at..])
    }

    fn framed(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        Compressor::default().encode_framed(input, &mut out);
        out
    }

    fn same_as_snap_frame_encoder(input: &[u8]) {
        let mut expected = Vec::new();
        {
            use std::io::Write;
            let mut w = snap::write::FrameEncoder::new(&mut expected);
            w.write_all(input).unwrap();
        }
        assert_eq!(framed(input), expected, "len {}", input.len());
    }

    #[test]
    fn framing_is_byte_identical_to_snap() {
        let text: Vec<u8> = b"{\"k\":\"value\",\"n\":12345}"
            .iter()
            .cycle()
            .take(200_000)
            .copied()
            .collect();
        let noise: Vec<u8> = (0..150_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        for input in [
            &b""[..],
            b"a",
            &text[..200],
            &text[..65536],
            &text[..65537],
            &text,
            &noise,
        ] {
            same_as_snap_frame_encoder(input);
        }
    }

    #[test]
    fn both_dialects_decode() {
        let input: Vec<u8> = b"hello hello hello "
            .iter()
            .cycle()
            .take(100_000)
            .copied()
            .collect();
        let mut out = Vec::new();
        decode(&framed(&input), usize::MAX, &mut out).unwrap();
        assert_eq!(out, input);
        let raw = snap::raw::Encoder::new().compress_vec(&input).unwrap();
        out.clear();
        decode(&raw, usize::MAX, &mut out).unwrap();
        assert_eq!(out, input);
    }

    #[test]
    fn limits_are_enforced_before_allocating() {
        // Honest data over the limit: refused from the header, before decoding.
        let zeros = snap::raw::Encoder::new().compress_vec(&[0u8; 1 << 20]).unwrap();
        let err = decode(&zeros, 100_000, &mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::LimitExceeded, "{err}");
        let input = vec![7u8; 200_000];
        let err = decode(&framed(&input), 100_000, &mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::LimitExceeded);
    }

    #[test]
    fn claims_beyond_what_the_bytes_can_hold_are_corrupt() {
        // A raw block whose varint claims 4 GiB - 1 (the format's maximum), and one of 4 bytes
        // claiming 64 MiB (the hostile batch's payload): both are lies, whatever the limit.
        for block in [
            &[0xff, 0xff, 0xff, 0xff, 0x0f, 0x00][..],
            &[0x80, 0x80, 0x80, 0x20],
        ] {
            let err = decode(block, usize::MAX, &mut Vec::new()).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::CorruptPayload, "{err}");
            assert!(err.message().contains("can decode to"), "{err}");
        }
        // A framed chunk that is only a block header claiming 64 KiB.
        let mut stream = STREAM_IDENTIFIER.to_vec();
        stream.extend_from_slice(&[CHUNK_COMPRESSED, 7, 0, 0, 0, 0, 0, 0, 0x80, 0x80, 0x04]);
        let err = decoded_len(&stream, usize::MAX).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::CorruptPayload, "{err}");
    }

    #[test]
    fn the_expansion_bound_admits_snappys_best_compression() {
        // Runs of one byte are what snappy compresses best (copies of 64 bytes for 3); the
        // bound must admit them, and be close to them, or it refuses honest data or protects
        // little.
        for len in [64usize, 4096, 65536, 1 << 20] {
            let block = snap::raw::Encoder::new().compress_vec(&vec![0u8; len]).unwrap();
            assert!(
                len <= max_block_output(block.len()),
                "{len} from {} bytes",
                block.len()
            );
            let mut out = Vec::new();
            decode(&block, usize::MAX, &mut out).unwrap();
            assert_eq!(out.len(), len);
            if len >= 4096 {
                assert!(
                    max_block_output(block.len()) < len + len / 16,
                    "bound too loose at {len}"
                );
            }
        }
    }

    #[test]
    fn corruption_is_detected() {
        let input: Vec<u8> = (0..1000u32).map(|i| (i % 7) as u8).collect();
        let good = framed(&input);
        let mut bad_crc = good.clone();
        bad_crc[14] ^= 1;
        let mut reserved = good.clone();
        reserved[10] = 0x02;
        for bad in [
            &bad_crc[..],
            &good[..good.len() - 1],
            &reserved[..],
            &good[..12],
            &[0x05u8][..],
        ] {
            let err = decode(bad, usize::MAX, &mut Vec::new()).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::CorruptPayload, "{err}");
        }
    }
}
