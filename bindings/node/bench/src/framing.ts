// A prototype, for the measurement only: a Payload[] written as one serialized `Payloads` by
// hand, sized first and copied once, where protobufjs grows its buffer by doubling, shifts
// every nested message to fit its length prefix and copies the result again. The bench
// checks that it writes protobufjs's bytes exactly.
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

const ProtoPayload = temporal.api.common.v1.Payload;

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[pos++] = n;
  return pos;
}

const delimited = (len: number): number => 1 + varintSize(len) + len;

interface Sized {
  payload: Payload;
  size: number;
  /** protobufjs's bytes, for a payload this writer does not handle (external payloads). */
  fallback?: Uint8Array;
  entries: [Buffer, Uint8Array, number][];
}

function measurePayload(payload: Payload): Sized {
  if ((payload.externalPayloads?.length ?? 0) > 0) {
    const fallback = ProtoPayload.encode(payload).finish();
    return { payload, size: fallback.length, fallback, entries: [] };
  }
  const entries: [Buffer, Uint8Array, number][] = [];
  let size = 0;
  for (const [k, v] of Object.entries(payload.metadata ?? {})) {
    const key = Buffer.from(k);
    // As protobufjs: a map entry always has its key and value, even empty.
    const entry = delimited(key.length) + delimited(v.length);
    entries.push([key, v, entry]);
    size += delimited(entry);
  }
  if (payload.data != null) size += delimited(payload.data.length);
  return { payload, size, entries };
}

function writeBytes(buf: Buffer, pos: number, tag: number, bytes: Uint8Array): number {
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, bytes.length);
  buf.set(bytes, pos);
  return pos + bytes.length;
}

export function framePayloads(payloads: Payload[]): Buffer {
  const sized = payloads.map(measurePayload);
  const total = sized.reduce((sum, s) => sum + delimited(s.size), 0);
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const s of sized) {
    buf[pos++] = 0x0a;
    pos = writeVarint(buf, pos, s.size);
    if (s.fallback !== undefined) {
      buf.set(s.fallback, pos);
      pos += s.fallback.length;
      continue;
    }
    for (const [key, value, entry] of s.entries) {
      buf[pos++] = 0x0a;
      pos = writeVarint(buf, pos, entry);
      pos = writeBytes(buf, pos, 0x0a, key);
      pos = writeBytes(buf, pos, 0x12, value);
    }
    if (s.payload.data != null) pos = writeBytes(buf, pos, 0x12, s.payload.data);
  }
  return buf;
}
