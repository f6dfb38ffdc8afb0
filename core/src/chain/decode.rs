//! Decoding: a sizing pass over the batch's headers (to size the output once and refuse what
//! cannot fit before reserving anything), then a pass that peels every known layer of every
//! payload, charging each layer's output to the per-call budget.

use super::output::{reserve, Output, SliceOutput};
use super::{shown, Codec, Layer, Scratch, MAX_LAYERS};
use crate::codec::encryption::{shown_id, Key, JAVA_CIPHER_NAME, NONCE_LEN, TAG_LEN};
use crate::codec::{snappy, ENCRYPTED_ENCODING, SNAPPY_ENCODING, ZLIB_ENCODING};
use crate::error::{corrupt, too_large, Error, ErrorKind, Result};
use crate::wire::{self, PayloadView, PayloadsIter};

impl Codec {
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
            let mut out = SliceOutput::new(dst);
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

#[cold]
#[inline(never)]
fn not_a_payload(depth: usize, e: Error) -> Error {
    corrupt(format!(
        "layer {} did not decode to a valid Payload: {}",
        depth + 1,
        e.message()
    ))
}
