// Payload[] to a serialized Payloads and back, by hand where the shape is the usual one
// (metadata and data), with protobufjs (@temporalio/proto's messages) for everything else.
//
// Why by hand: protobufjs's writer and reader cost several times the library's whole call for
// small payloads (100 x 200 B: about 270 µs to serialize, against 33 µs for the library's
// encode; BENCHMARKS.md), and five times a plain copy for large data. The rules below are
// protobufjs 8's own (its encoder.js and decoder.js), so the bytes and the objects are its:
// the tests compare both on every shape.

import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

const { Payload: PayloadMessage, Payloads } = temporal.api.common.v1;
// The class protobufjs's decoder instantiates for a Payload (a reflected type's `ctor`).
const PayloadClass = (PayloadMessage as unknown as { ctor?: new () => Payload }).ctor;

// protobufjs drops the fields its schema does not know unless the reader is told to keep them
// (its default is a process-wide switch, which a library must not flip). The reader must come
// from the protobufjs copy @temporalio/proto's messages decode with.
type Reader = Parameters<typeof Payloads.decode>[0] & { discardUnknown: boolean };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const protobuf = require(require.resolve('protobufjs', { paths: [require.resolve('@temporalio/proto')] })) as {
  Reader: { create(buffer: Uint8Array): Reader };
};

function keepingUnknown(data: Uint8Array): Reader {
  const reader = protobuf.Reader.create(data);
  reader.discardUnknown = false;
  return reader;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[at++] = n;
  return at;
}

const delimited = (len: number): number => 1 + varintSize(len) + len;

/** A key protobufjs writes as its UTF-16 code units, one byte each (its UTF-8 of ASCII). */
function isAscii(key: string): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) >= 0x80) return false;
  return true;
}

/**
 * The serialized size of `p` if this writer handles it (metadata of ASCII keys and
 * Uint8Array values, Uint8Array data), else -1. `tail` is what protobufjs writes after the
 * data: external payloads and unknown fields, or null.
 */
function handSize(p: Payload, tail: Uint8Array | null): number {
  let size = 0;
  // As protobufjs: a field is written when present (!= null) and the object's own.
  const metadata = p.metadata;
  if (metadata != null && Object.hasOwn(p, 'metadata')) {
    for (const key of Object.keys(metadata)) {
      const value = metadata[key];
      if (!(value instanceof Uint8Array) || !isAscii(key)) return -1;
      size += delimited(delimited(key.length) + delimited(value.length));
    }
  }
  const data = p.data;
  if (data != null && Object.hasOwn(p, 'data')) {
    if (!(data instanceof Uint8Array)) return -1;
    if (data.length > 0) size += delimited(data.length); // proto3 bytes: empty is not written
  }
  return size + (tail?.length ?? 0);
}

/** External payloads and unknown fields, as protobufjs writes them (after field 2), or null. */
function tailOf(p: Payload): Uint8Array | null {
  const unknowns = Object.hasOwn(p, '$unknowns') ? (p as { $unknowns?: Uint8Array[] }).$unknowns : undefined;
  if ((p.externalPayloads == null || p.externalPayloads.length === 0) && unknowns == null) return null;
  return PayloadMessage.encode({
    externalPayloads: p.externalPayloads,
    ...(unknowns && { $unknowns: unknowns }),
  }).finish();
}

function writeBytes(out: Uint8Array, at: number, tag: number, bytes: Uint8Array): number {
  out[at++] = tag;
  at = writeVarint(out, at, bytes.length);
  out.set(bytes, at);
  return at + bytes.length;
}

function writeHand(out: Uint8Array, at: number, p: Payload, tail: Uint8Array | null): number {
  const metadata = p.metadata;
  if (metadata != null && Object.hasOwn(p, 'metadata')) {
    for (const key of Object.keys(metadata)) {
      const value = metadata[key];
      out[at++] = 0x0a; // metadata (1): one map entry
      at = writeVarint(out, at, delimited(key.length) + delimited(value.length));
      out[at++] = 0x0a; // entry key (1)
      at = writeVarint(out, at, key.length);
      for (let i = 0; i < key.length; i++) out[at++] = key.charCodeAt(i);
      at = writeBytes(out, at, 0x12, value); // entry value (2)
    }
  }
  const data = p.data;
  if (data != null && Object.hasOwn(p, 'data') && data.length > 0) at = writeBytes(out, at, 0x12, data);
  if (tail !== null) {
    out.set(tail, at);
    at += tail.length;
  }
  return at;
}

/**
 * A serialized Payloads: the very bytes `Payloads.encode({ payloads }).finish()` gives, sized
 * first and written once (data copied straight into the result, which `alloc` gives). Payloads of another shape
 * (metadata keys beyond ASCII, values that are not Uint8Arrays) are protobufjs's bytes.
 */
export function serializePayloads(
  payloads: Payload[],
  alloc: (size: number) => Uint8Array = (size) => Buffer.allocUnsafe(size),
): Uint8Array {
  const n = payloads.length;
  const sizes = new Array<number>(n);
  // Per payload: its tail (hand-written payloads) or its whole serialization (protobufjs's).
  const extra = new Array<Uint8Array | null>(n);
  const whole = new Array<boolean>(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = payloads[i];
    const tail = tailOf(p);
    let size = handSize(p, tail);
    whole[i] = size < 0;
    if (size < 0) {
      const bytes = PayloadMessage.encode(p).finish();
      extra[i] = bytes;
      size = bytes.length;
    } else {
      extra[i] = tail;
    }
    sizes[i] = size;
    total += delimited(size);
  }
  const out = alloc(total);
  let at = 0;
  for (let i = 0; i < n; i++) {
    if (whole[i]) {
      at = writeBytes(out, at, 0x0a, extra[i] as Uint8Array); // Payloads.payloads (1)
    } else {
      out[at++] = 0x0a;
      at = writeVarint(out, at, sizes[i]);
      at = writeHand(out, at, payloads[i], extra[i] ?? null);
    }
  }
  return out;
}

// Where readLength stopped (module state: parsing is synchronous and never reentrant).
let lastAt = 0;

/**
 * Reads a varint (a length) at `at`: its value, with `lastAt` set to the byte after it; -1
 * when it runs past `end` or is too long.
 */
function readLength(buf: Uint8Array, at: number, end: number): number {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (at >= end) return -1;
    const b = buf[at++];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      lastAt = at;
      return value;
    }
  }
  return -1;
}

/**
 * One Payload from `buf[start..end)` when it is metadata entries (key, then value) and data
 * fields only, as protobufjs's decoder would build it; null for any other shape.
 */
function readHand(buf: Buffer, start: number, end: number): Payload | null {
  if (PayloadClass === undefined) return null;
  const m = new PayloadClass();
  const metadata = m.metadata as Record<string, Uint8Array>;
  let at = start;
  while (at < end) {
    const tag = buf[at++];
    const len = readLength(buf, at, end);
    if (len < 0 || lastAt + len > end) return null;
    at = lastAt;
    const stop = at + len;
    if (tag === 0x12) {
      // proto3 bytes: the last occurrence wins, and an empty one clears the field.
      if (len > 0) m.data = buf.subarray(at, stop);
      else delete m.data;
    } else if (tag === 0x0a) {
      if (buf[at++] !== 0x0a) return null;
      const keyLen = readLength(buf, at, stop);
      if (keyLen < 0 || lastAt + keyLen > stop) return null;
      const key = buf.toString('utf8', lastAt, lastAt + keyLen);
      at = lastAt + keyLen;
      if (buf[at++] !== 0x12) return null;
      const valueLen = readLength(buf, at, stop);
      if (valueLen < 0 || lastAt + valueLen !== stop || key === '__proto__') return null;
      metadata[key] = buf.subarray(lastAt, stop);
    } else {
      return null;
    }
    at = stop;
  }
  return m;
}

/**
 * Parses a serialized Payloads (`buf`, from the library), keeping every field of every
 * payload: the Payload objects protobufjs's `Payloads.decode` gives, `data` and metadata
 * values views into `buf`. A payload of another shape (external payloads, unknown fields) is
 * protobufjs's own parse of its bytes; anything unexpected around them, protobufjs's parse
 * of the whole.
 */
export function parsePayloads(buf: Buffer): Payload[] {
  const out: Payload[] = [];
  let at = 0;
  const end = buf.length;
  while (at < end) {
    const len = buf[at] === 0x0a ? readLength(buf, at + 1, end) : -1;
    if (len < 0 || lastAt + len > end) return Payloads.decode(keepingUnknown(buf)).payloads;
    const start = lastAt;
    at = start + len;
    out.push(readHand(buf, start, at) ?? PayloadMessage.decode(keepingUnknown(buf.subarray(start, at))));
  }
  return out;
}
