//! Where decoding writes (a `Vec` of ours, or the caller's fixed buffer), and how output
//! memory grows: by what a write needs plus a bounded step, never by doubling.

use super::Scratch;
use crate::error::{out_of_memory, Error, ErrorKind, Result};
use crate::wire;

/// Reserves room for `additional` more bytes, or fails with a status instead of aborting.
/// Linux overcommits, so a reservation that succeeds can still fail when touched: the limits
/// are what keep reservations small, this only catches what the allocator refuses outright.
///
/// Growth past the planned size adds what is asked plus at most [`GROW_STEP`], never the
/// doubling `Vec` does by default: doubling a full 100 MiB output to write an 11-byte header
/// would reserve 100 MiB that nothing backs, breaking the stated memory bound.
#[inline]
pub(super) fn reserve(v: &mut Vec<u8>, additional: usize) -> Result<()> {
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
pub(super) trait Output {
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
pub(super) struct SliceOutput<'d> {
    buf: &'d mut [u8],
    /// Bytes written so far.
    pub(super) len: usize,
    /// Set when a write did not fit: the error that follows is ours, not the input's.
    pub(super) full: bool,
}

impl<'d> SliceOutput<'d> {
    pub(super) fn new(buf: &'d mut [u8]) -> Self {
        SliceOutput {
            buf,
            len: 0,
            full: false,
        }
    }
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
