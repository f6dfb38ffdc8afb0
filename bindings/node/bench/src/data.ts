// The batches: the shared bytes every language's benchmark reads (benches/tools/bench_data.rs,
// order-like JSON `json/plain` payloads), plus one payload of that data alone, and a sweep of
// single payloads cut from the 1 MiB one for the sync/async crossover.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

const Payloads = temporal.api.common.v1.Payloads;

export interface Batch {
  name: string;
  payloads: Payload[];
  /** Bytes of the batch serialized as one `Payloads`. */
  bytes: number;
}

function batch(name: string, payloads: Payload[]): Batch {
  return { name, payloads, bytes: Payloads.encode({ payloads }).finish().length };
}

function read(dir: string, count: number, size: number): Payload[] {
  const payloads = Payloads.decode(readFileSync(join(dir, `batch-${String(count)}x${String(size)}.bin`))).payloads;
  if (payloads.length !== count) {
    throw new Error(`batch-${String(count)}x${String(size)}.bin holds ${String(payloads.length)} payloads`);
  }
  return payloads;
}

/** The compared batches: 1 x 200 B, 100 x 200 B, 16 x 4 KiB, 4 x 64 KiB, 1 x 1 MiB. */
export function loadBatches(dir: string): Batch[] {
  const small = read(dir, 100, 200);
  return [
    batch('1 x 200 B', small.slice(0, 1)),
    batch('100 x 200 B', small),
    batch('16 x 4 KiB', read(dir, 16, 4096)),
    batch('4 x 64 KiB', read(dir, 4, 65536)),
    batch('1 x 1 MiB', read(dir, 1, 1 << 20)),
  ];
}

/** One payload of about `size` serialized bytes for each size, its data a prefix of the 1 MiB payload's. */
export function sweep(dir: string, sizes: number[]): Batch[] {
  const [big] = read(dir, 1, 1 << 20);
  const data = big?.data;
  if (big == null || data == null) throw new Error('batch-1x1048576.bin has no data');
  return sizes.map((size) => {
    // The payload's metadata and field headers take 30 bytes.
    const payload: Payload = { metadata: big.metadata, data: data.subarray(0, Math.max(0, size - 30)) };
    return batch(`1 x ${sizeName(size)}`, [payload]);
  });
}

export function sizeName(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${String(bytes >> 20)} MiB`;
  if (bytes >= 1 << 10 && bytes % (1 << 10) === 0) return `${String(bytes >> 10)} KiB`;
  return `${String(bytes)} B`;
}
