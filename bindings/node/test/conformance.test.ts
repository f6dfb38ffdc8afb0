// The conformance suite (tests/conformance/cases.json, the file every binding runs; see
// tests/conformance/README.md), through each public path of this binding:
//   bytes        encodeBytes/decodeBytes (synchronous), exact bytes;
//   bytes-async  encodeBytesAsync/decodeBytesAsync (a worker thread), exact bytes;
//   payloads     the PayloadCodec API with the shipped threshold (small batches stay
//                synchronous), compared as messages (protobuf leaves map order open);
//   payloads-async  the same with asyncThreshold 0, so every batch goes to a worker thread.
// Inputs that are not a valid serialized Payloads cannot reach the PayloadCodec API (it takes
// Payload objects): for those, protobufjs must refuse the bytes and the case must expect
// TPC_ERR_MALFORMED_INPUT.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Payload } from '@temporalio/common';
import * as tpc from 'temporal-payload-codec';
import { ERRORS, REPO, b64, canonicalAll, hex, parse, unb64 } from './helpers';

interface Case {
  name: string;
  codec: {
    compression?: tpc.CompressionName;
    only_if_smaller?: boolean;
    zlib_level?: number;
    max_decoded_size?: number;
    max_total_decoded_size?: number;
    keys?: { id: string; key: string }[];
    encryption_key_id?: string;
  };
  op: 'encode' | 'decode';
  input: string;
  expect: {
    output?: string;
    roundtrip?: boolean;
    error?: { status: string; message_contains: string; at: 'build' | 'call' };
  };
}

const CASES: Case[] = (
  JSON.parse(fs.readFileSync(path.join(REPO, 'tests', 'conformance', 'cases.json'), 'utf8')) as { cases: Case[] }
).cases;

function options(c: Case['codec'], asyncThreshold?: number): tpc.CodecOptions {
  const keys = new Map<string, Uint8Array>();
  for (const { id, key } of c.keys ?? []) keys.set(id, new Uint8Array(Buffer.from(key, 'hex')));
  return {
    ...(c.compression !== undefined && { compression: c.compression }),
    ...(c.only_if_smaller !== undefined && { onlyIfSmaller: c.only_if_smaller }),
    ...(c.zlib_level !== undefined && { zlibLevel: c.zlib_level }),
    ...(c.max_decoded_size !== undefined && { maxDecodedSize: c.max_decoded_size }),
    ...(c.max_total_decoded_size !== undefined && { maxTotalDecodedSize: c.max_total_decoded_size }),
    ...(c.keys !== undefined && { keys }),
    ...(c.encryption_key_id !== undefined && { encryptionKeyId: c.encryption_key_id }),
    ...(asyncThreshold !== undefined && { asyncThreshold }),
  };
}

type Path = 'bytes' | 'bytes-async' | 'payloads' | 'payloads-async';
type Value = Uint8Array | Payload[];

async function call(codec: tpc.Codec, p: Path, op: Case['op'], input: Value): Promise<Value> {
  if (input instanceof Uint8Array) {
    if (p === 'bytes') return op === 'encode' ? codec.encodeBytes(input) : codec.decodeBytes(input);
    return op === 'encode' ? codec.encodeBytesAsync(input) : codec.decodeBytesAsync(input);
  }
  return op === 'encode' ? codec.encode(input) : codec.decode(input);
}

function same(p: Path, actual: Value, expected: Uint8Array, what: string): void {
  if (actual instanceof Uint8Array) assert.equal(hex(actual), hex(expected), `${what}: bytes differ`);
  else assert.deepEqual(canonicalAll(actual), canonicalAll(parse(expected)), `${what} (${p}): payloads differ`);
}

async function run(c: Case, p: Path): Promise<void> {
  const what = `${c.name} via ${p}`;
  const input = unb64(c.input);
  let value: Value = input;
  if (p.startsWith('payloads')) {
    let parsed: Payload[];
    try {
      parsed = parse(input);
    } catch {
      assert.equal(c.expect.error?.status, 'TPC_ERR_MALFORMED_INPUT', `${what}: protobufjs refused the input`);
      return;
    }
    value = parsed;
  }
  const error = c.expect.error;
  let codec: tpc.Codec;
  try {
    codec = new tpc.Codec(options(c.codec, p === 'payloads-async' ? 0 : undefined));
  } catch (e) {
    assert.ok(error?.at === 'build', `${what}: build failed: ${String(e)}`);
    checkError(what, e, error);
    return;
  }
  assert.ok(error?.at !== 'build', `${what}: the codec was built`);
  try {
    let output: Value;
    try {
      output = await call(codec, p, c.op, value);
    } catch (e) {
      assert.ok(error !== undefined, `${what}: failed: ${String(e)}`);
      checkError(what, e, error);
      return;
    }
    assert.equal(error, undefined, `${what}: succeeded, expected ${error?.status}`);
    if (c.expect.output !== undefined) {
      same(p, output, unb64(c.expect.output), what);
    } else {
      assert.equal(c.expect.roundtrip, true, `${what}: the case expects nothing`);
      const back = await call(codec, p, c.op === 'encode' ? 'decode' : 'encode', output);
      const o = output instanceof Uint8Array ? hex(output) : canonicalAll(output).join();
      const i = value instanceof Uint8Array ? hex(value) : canonicalAll(value).join();
      assert.notEqual(o, i, `${what}: the output equals the input`);
      same(p, back, input, `${what} (round trip)`);
    }
  } finally {
    codec.close();
  }
}

function checkError(what: string, e: unknown, expected: NonNullable<Case['expect']['error']>): void {
  const cls = ERRORS[expected.status];
  assert.ok(cls, `${what}: unknown status ${expected.status}`);
  assert.ok(e instanceof cls && e.constructor === cls, `${what}: expected ${cls.name}, got ${String(e)}`);
  assert.equal(e.statusName, expected.status, what);
  assert.equal(e.status, cls.STATUS, what);
  assert.ok(e.message.includes(expected.message_contains), `${what}: ${e.message}`);
}

test('the suite is there', () => {
  assert.ok(CASES.length >= 40, `only ${CASES.length} cases in cases.json`);
  // Every kind of expectation is exercised, so a parser that skipped one would show here.
  assert.ok(CASES.some((c) => c.expect.output !== undefined));
  assert.ok(CASES.some((c) => c.expect.roundtrip));
  assert.ok(CASES.some((c) => c.expect.error?.at === 'build'));
  assert.ok(CASES.some((c) => c.expect.error?.at === 'call'));
});

for (const p of ['bytes', 'bytes-async', 'payloads', 'payloads-async'] as const) {
  test(`every case through ${p}`, async () => {
    for (const c of CASES) await run(c, p);
  });
}

test('b64 helper round trip (sanity of the test itself)', () => {
  assert.equal(b64(unb64('AAEC')), 'AAEC');
});
