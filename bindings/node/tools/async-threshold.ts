// Measures what a worker-thread call costs next to a synchronous one, per batch size: the
// measurement behind DEFAULT_ASYNC_THRESHOLD (README, "Async threshold").
//   node build/tools/async-threshold.js
// For each size: a synchronous encode (the event loop is blocked for all of it), one awaited
// worker-thread encode at a time (the latency a caller sees), and the event loop's own time per
// worker-thread call when 64 are in flight (what the hop costs the loop).

import { performance } from 'node:perf_hooks';
import { temporal } from '@temporalio/proto';
import { Codec } from 'temporal-payload-codec';

const SIZES = [200, 4 * 1024, 16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024];

function batch(size: number): Uint8Array {
  // JSON-like, compressible text, as workflow inputs usually are.
  const text = JSON.stringify(Array.from({ length: size }, (_, i) => `item-${i % 97}`)).slice(0, size);
  return temporal.api.common.v1.Payloads.encode({
    payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(text) }],
  }).finish();
}

function iterations(size: number): number {
  return Math.max(200, Math.min(20000, Math.floor((64 * 1024 * 1024) / size)));
}

async function main(): Promise<void> {
  const codec = new Codec({ asyncThreshold: Number.MAX_SAFE_INTEGER });
  console.log('size      sync µs/call  async µs/call (awaited one by one)  loop µs/async call (64 in flight)');
  for (const size of SIZES) {
    const input = batch(size);
    const n = iterations(size);
    for (let i = 0; i < 50; i++) codec.encodeBytes(input);
    for (let i = 0; i < 50; i++) await codec.encodeBytesAsync(input);

    let t = performance.now();
    for (let i = 0; i < n; i++) codec.encodeBytes(input);
    const sync = ((performance.now() - t) * 1000) / n;

    t = performance.now();
    for (let i = 0; i < n; i++) await codec.encodeBytesAsync(input);
    const async = ((performance.now() - t) * 1000) / n;

    // Main-thread CPU spent per call while calls overlap: process CPU minus the workers'
    // would need per-thread clocks, so measure the loop's busy time instead.
    const { eventLoopUtilization } = performance;
    const before = eventLoopUtilization();
    let done = 0;
    await new Promise<void>((resolve) => {
      let started = 0;
      const next = (): void => {
        if (started >= n) return;
        started++;
        void codec.encodeBytesAsync(input).then(() => {
          done++;
          if (done === n) resolve();
          else next();
        });
      };
      for (let i = 0; i < 64; i++) next();
    });
    const elu = eventLoopUtilization(before);
    const loop = (elu.active * 1000) / n;

    console.log(
      `${String(size).padEnd(9)} ${sync.toFixed(1).padStart(12)}  ${async.toFixed(1).padStart(34)}  ${loop.toFixed(1).padStart(32)}`,
    );
  }
  codec.close();
}

void main();
