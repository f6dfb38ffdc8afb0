// Concurrency: one codec serving many calls at once, the event loop free during big batches,
// and close() while calls are in flight.

import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { Payload } from '@temporalio/common';
import { Codec, CodecClosedError, DEFAULT_ASYNC_THRESHOLD, DEFAULT_ZLIB_ASYNC_THRESHOLD } from 'temporal-payload-codec';
import { KEY, hex, jsonPayload, serialize } from './helpers';

function distinct(i: number, size = 2000): Payload[] {
  return [jsonPayload({ call: i, fill: 'x'.repeat(size) }), { data: new Uint8Array(randomBytes(64 + (i % 50))) }];
}

test('200 concurrent async calls on one codec are all correct', async () => {
  const codec = new Codec({ keys: { k: KEY }, encryptionKeyId: 'k', asyncThreshold: 0 });
  const calls = Array.from({ length: 200 }, async (_, i) => {
    const plain = distinct(i);
    const bytes = serialize(plain);
    // Half through the bytes API, half through the PayloadCodec API: all on worker threads.
    const encoded = i % 2 ? serialize(await codec.encode(plain)) : await codec.encodeBytesAsync(bytes);
    const decoded =
      i % 2 ? serialize(await codec.decode(await codec.encode(plain))) : await codec.decodeBytesAsync(encoded);
    return [i, hex(decoded) === hex(bytes), hex(encoded) !== hex(bytes)] as const;
  });
  for (const [i, roundTrips, changed] of await Promise.all(calls)) {
    assert.ok(roundTrips && changed, `call ${i}`);
  }
  codec.close();
});

test('more concurrent calls than koffi queues (256) wait their turn instead of failing', async () => {
  const codec = new Codec();
  const inputs = Array.from({ length: 1000 }, (_, i) => serialize(distinct(i, 100)));
  const encoded = await Promise.all(inputs.map((input) => codec.encodeBytesAsync(input)));
  const decoded = await Promise.all(encoded.map((e) => codec.decodeBytesAsync(e)));
  decoded.forEach((d, i) => assert.equal(hex(d), hex(inputs[i]), `call ${i}`));
  codec.close();
});

test('a big batch leaves the event loop free: timers fire while it is encoded', async () => {
  const codec = new Codec({ compression: 'zlib', zlibLevel: 9 });
  // About 24 MiB of half-random data: a few hundred milliseconds of zlib at level 9.
  const big = [{ data: new Uint8Array(Buffer.concat([randomBytes(12 << 20), Buffer.alloc(12 << 20, 'a')])) }];
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const started = performance.now();
  const encoded = await codec.encode(big);
  const elapsed = performance.now() - started;
  clearInterval(timer);
  assert.ok(elapsed > 50, `the batch took only ${elapsed} ms: too small to show anything`);
  assert.ok(ticks >= elapsed / 5 / 4, `${ticks} ticks in ${elapsed.toFixed(0)} ms: the event loop was blocked`);
  assert.equal(hex(serialize(await codec.decode(encoded))), hex(serialize(big)));
  codec.close();
});

test('close() while calls are in flight: they complete with the live codec, later calls fail', async () => {
  const codec = new Codec({ keys: { k: KEY }, encryptionKeyId: 'k', asyncThreshold: 0 });
  const reader = new Codec({ keys: { k: KEY } });
  const inputs = Array.from({ length: 40 }, (_, i) =>
    serialize([{ data: new Uint8Array(randomBytes(256 << 10)) }, ...distinct(i)]),
  );
  const pending = inputs.map((input) => codec.encodeBytesAsync(input));
  codec.close(); // the native codec (and its keys) must outlive every call above
  assert.throws(() => codec.encodeBytes(inputs[0]), CodecClosedError);
  await assert.rejects(codec.encodeBytesAsync(inputs[0]), CodecClosedError);
  const encoded = await Promise.all(pending);
  // Encrypted with the real key (a wiped one would not decrypt under it).
  encoded.forEach((e, i) => assert.equal(hex(reader.decodeBytes(e)), hex(inputs[i]), `call ${i}`));
  codec.close();
  reader.close();
});

test('codecs that are never closed are released by garbage collection without harm', async () => {
  const input = serialize(distinct(1));
  for (let i = 0; i < 2000; i++) new Codec({ keys: { k: KEY }, encryptionKeyId: 'k' }).encodeBytes(input);
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve)); // finalizers run between turns
  }
  const codec = new Codec();
  assert.equal(hex(codec.decodeBytes(codec.encodeBytes(input))), hex(input));
  codec.close();
});

/**
 * Whether `call` settled within the microtasks of the current task: synchronous work does,
 * a worker thread's result needs a later turn of the event loop.
 */
async function settledInline(call: () => Promise<unknown>): Promise<boolean> {
  let settled = false;
  const done = call().then(() => (settled = true));
  for (let i = 0; i < 20; i++) await Promise.resolve();
  const inline = settled;
  await done;
  return inline;
}

test('small batches stay on the event loop, batches from the threshold up go to a worker thread', async () => {
  const codec = new Codec();
  assert.equal((codec.toJSON() as { asyncThreshold: number }).asyncThreshold, DEFAULT_ASYNC_THRESHOLD);
  const small = [jsonPayload('x'.repeat(1000))];
  const big = [{ data: new Uint8Array(randomBytes(DEFAULT_ASYNC_THRESHOLD)) }];
  assert.equal(await settledInline(() => codec.encode(small)), true, 'a small batch went to a worker thread');
  assert.equal(await settledInline(() => codec.encode(big)), false, 'a big batch ran on the event loop');
  const encoded = await codec.encode(big);
  assert.equal(await settledInline(() => codec.decode(encoded)), false, 'a big decode ran on the event loop');
  codec.close();
  // zlib's encode costs more per byte: its threshold is lower.
  const zlib = new Codec({ compression: 'zlib' });
  assert.equal((zlib.toJSON() as { asyncThreshold: number }).asyncThreshold, DEFAULT_ZLIB_ASYNC_THRESHOLD);
  const medium = [jsonPayload('y'.repeat(DEFAULT_ZLIB_ASYNC_THRESHOLD))];
  assert.equal(await settledInline(() => zlib.encode(small)), true, 'a small zlib batch went to a worker thread');
  assert.equal(await settledInline(() => zlib.encode(medium)), false, 'a zlib batch over its threshold stayed');
  zlib.close();
  const always = new Codec({ asyncThreshold: 0 });
  assert.equal(await settledInline(() => always.encode(small)), false);
  always.close();
});
