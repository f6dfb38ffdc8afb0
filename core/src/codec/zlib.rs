//! `binary/zlib`: RFC 1950 over the serialized payload, as the Go and Java SDKs write it.

use crate::error::{corrupt, out_of_memory, too_large, Result};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The level the SDKs use (C zlib's default, `Z_DEFAULT_COMPRESSION` = 6).
pub const DEFAULT_LEVEL: u32 = 6;

/// A deflate state reused across the payloads of one call: creating one allocates a few
/// hundred KiB, which would dominate small payloads if paid per payload.
pub struct Compressor {
    level: u32,
    state: Option<Compress>,
}

impl Compressor {
    pub fn new(level: u32) -> Self {
        Compressor { level, state: None }
    }

    pub fn level(&self) -> u32 {
        self.level
    }

    /// Appends the zlib stream of `input` to `out`.
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let level = self.level;
        let z = self
            .state
            .get_or_insert_with(|| Compress::new(Compression::new(level), true));
        z.reset();
        // zlib's compressBound plus the 6-byte header and trailer: one allocation in the usual case.
        out.reserve(input.len() + (input.len() >> 12) + (input.len() >> 14) + 64);
        loop {
            let consumed = z.total_in() as usize;
            let status = z
                .compress_vec(&input[consumed..], out, FlushCompress::Finish)
                .expect("deflate into a growing Vec cannot fail");
            if status == Status::StreamEnd {
                return;
            }
            out.reserve(4096);
        }
    }
}

/// An inflate state reused across the payloads of one call, for the same reason as `Compressor`.
#[derive(Default)]
pub struct Decompressor {
    state: Option<Decompress>,
}

impl Decompressor {
    /// Inflates a zlib stream into `out`, never holding more than `max` + 1 decoded bytes, so a
    /// zlib bomb is refused after costing at most the limit.
    pub fn decompress(&mut self, data: &[u8], max: usize, out: &mut Vec<u8>) -> Result<()> {
        let z = self.state.get_or_insert_with(|| Decompress::new(true));
        z.reset(true);
        let start = out.len();
        loop {
            let produced = out.len() - start;
            if produced > max {
                return Err(too_large(max));
            }
            if out.len() == out.capacity() {
                let grow = produced
                    .max(data.len() * 2)
                    .max(4096)
                    .min((max - produced).saturating_add(1));
                out.try_reserve_exact(grow).map_err(|_| out_of_memory(grow))?;
            }
            let (in_before, out_before) = (z.total_in(), z.total_out());
            let status = z
                .decompress_vec(&data[in_before as usize..], out, FlushDecompress::Finish)
                .map_err(|e| corrupt(format!("zlib stream: {e}")))?;
            if status == Status::StreamEnd {
                return if out.len() - start > max {
                    Err(too_large(max))
                } else {
                    Ok(())
                };
            }
            let stalled = z.total_in() == in_before && z.total_out() == out_before;
            if stalled && out.len() < out.capacity() {
                return Err(corrupt("zlib stream: truncated"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decompress(data: &[u8], max: usize, out: &mut Vec<u8>) -> Result<()> {
        Decompressor::default().decompress(data, max, out)
    }

    #[test]
    fn round_trip_and_reuse() {
        let mut c = Compressor::new(DEFAULT_LEVEL);
        for input in [&b""[..], b"x", &vec![b'a'; 300_000][..]] {
            let mut z = Vec::new();
            c.compress(input, &mut z);
            let mut back = Vec::new();
            decompress(&z, usize::MAX, &mut back).unwrap();
            assert_eq!(back, input);
        }
    }

    #[test]
    fn bombs_truncation_and_garbage_are_refused() {
        let mut z = Vec::new();
        Compressor::new(9).compress(&vec![0u8; 10 << 20], &mut z);
        let mut out = Vec::new();
        let err = decompress(&z, 1 << 20, &mut out).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::LimitExceeded);
        assert!(
            out.capacity() <= (1 << 20) + 1 + 4096,
            "held {} bytes",
            out.capacity()
        );
        let err = decompress(&z[..z.len() / 2], usize::MAX, &mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::CorruptPayload);
        let err = decompress(b"not zlib at all", usize::MAX, &mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::CorruptPayload);
    }
}
