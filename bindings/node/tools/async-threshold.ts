// Measures what a worker-thread call costs next to a synchronous one, per batch size and
// compression: the measurement behind the default async threshold (README, "Async threshold").
//   bindings/node/test.sh build/test/vectors.test.js   (builds build/tools/ too), then
//   node bindings/node/build/tools/async-threshold.js [snappy|zlib|snappy+aes]
// For each size, the best of 5 runs of:
//   sync     µs the event loop is blocked by one synchronous encode (or decode);
//   hop      µs of event-loop time per worker-thread call, 32 calls in flight: marshalling,
//            the completion callback, copying the result out, the promise (eventLoopUtilization);
//   awaited  µs from call to result for one worker-thread call at a time (the latency).
// A batch is worth a worker thread when its sync time is above its hop time.

import { performance } from 'node:perf_hooks';
import { temporal } from '@temporalio/proto';
import { Codec, type CodecOptions } from 'temporal-payload-codec';

const SIZES = [200, 1024, 4 * 1024, 16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024];
const RUNS = 5;

const WORDS = 'order customer item quantity price total shipped pending address street city zip note'.split(' ');

/** A JSON-like payload of `size` bytes: words in a random order (compresses about 3x). */
function batch(size: number): Uint8Array {
  let text = '';
  for (let i = 0; text.length < size; i++) text += `"${WORDS[(i * 7919 + (i >> 3)) % WORDS.length]}-${i % 1000}",`;
  return temporal.api.common.v1.Payloads.encode({
    payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(text.slice(0, size)) }],
  }).finish();
}

function iterations(size: number): number {
  return Math.max(100, Math.min(5000, Math.floor((16 << 20) / size)));
}

type Call = (input: Uint8Array) => Uint8Array;
type AsyncCall = (input: Uint8Array) => Promise<Uint8Array>;

async function measure(sync: Call, async: AsyncCall, input: Uint8Array, n: number): Promise<number[]> {
  let t = performance.now();
  for (let i = 0; i < n; i++) sync(input);
  const syncUs = ((performance.now() - t) * 1000) / n;

  const before = performance.eventLoopUtilization();
  await new Promise<void>((resolve) => {
    let started = 0;
    let done = 0;
    const next = (): void => {
      if (started >= n) return;
      started++;
      void async(input).then(() => {
        if (++done === n) resolve();
        else next();
      });
    };
    for (let i = 0; i < 32; i++) next();
  });
  const hopUs = (performance.eventLoopUtilization(before).active * 1000) / n;

  t = performance.now();
  for (let i = 0; i < Math.min(n, 500); i++) await async(input);
  const awaitedUs = ((performance.now() - t) * 1000) / Math.min(n, 500);
  return [syncUs, hopUs, awaitedUs];
}

async function main(): Promise<void> {
  const codecs: [string, CodecOptions][] = [
    ['snappy', {}],
    ['zlib', { compression: 'zlib' }],
    ['snappy+aes', { keys: { k: new Uint8Array(32) }, encryptionKeyId: 'k' }],
  ];
  console.log('codec        op      size      sync µs   hop µs  awaited µs');
  const only = process.argv[2]; // a codec name: measure only that one
  for (const [name, options] of codecs.filter(([n]) => only === undefined || n === only)) {
    const codec = new Codec(options);
    for (const op of ['encode', 'decode'] as const) {
      for (const size of SIZES) {
        const plain = batch(size);
        const input = op === 'encode' ? plain : codec.encodeBytes(plain);
        const sync: Call = op === 'encode' ? (b) => codec.encodeBytes(b) : (b) => codec.decodeBytes(b);
        const async: AsyncCall = op === 'encode' ? (b) => codec.encodeBytesAsync(b) : (b) => codec.decodeBytesAsync(b);
        const n = iterations(size);
        await measure(sync, async, input, Math.min(n, 100)); // warm-up
        const runs: number[][] = [];
        for (let r = 0; r < RUNS; r++) runs.push(await measure(sync, async, input, n));
        const best = [0, 1, 2].map((k) => Math.min(...runs.map((m) => m[k])));
        console.log(
          `${name.padEnd(12)} ${op.padEnd(7)} ${String(size).padEnd(9)}` +
            best.map((v) => v.toFixed(1).padStart(9)).join('') +
            (best[0] !== undefined && best[1] !== undefined && best[0] > best[1] ? '  <- worker thread pays' : ''),
        );
      }
    }
    codec.close();
  }
}

void main();
