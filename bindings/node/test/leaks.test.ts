// Native memory is freed on every path: many thousands of calls (sync and async, succeeding
// and failing, and codecs built and closed) leave memory flat. Two measures, after a warm-up:
// - the bytes malloc has handed out and not got back (glibc's mallinfo2(), called through
//   koffi): the library allocates with malloc, and this count does not move with V8's heap, so
//   the bound is tight, 2 MiB. Over the 30 measured rounds a leak of the output buffers (about
//   2 KiB per call) would add over 70 MiB, one of the error messages (about 40 bytes, 48 with
//   malloc's header) 4.5 MiB, one of the codecs (keys and tables) more than 600 KiB per 600.
// - the resident set size, which V8 and malloc's arenas move by tens of MiB at their own
//   pace: bound 32 MiB, enough to catch the output buffers, or a heap that grows instead of
//   reusing freed blocks (the zlib calls grew it by 300 KB each when results were read through
//   koffi.view: 1.8 GiB over these rounds).

import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };
import { Codec, TpcError } from 'temporal-payload-codec';
import { KEY, jsonPayload, serialize } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const koffi = require('koffi') as typeof Koffi;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const MALLOC_BOUND = 2 * 1024 * 1024;
const RSS_BOUND = 32 * 1024 * 1024;

const libc = koffi.load('libc.so.6');
const mallinfo2 = libc.func(
  `${
    koffi.struct(
      'mallinfo2',
      Object.fromEntries(
        ['arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks', 'fsmblks', 'uordblks', 'fordblks', 'keepcost'].map(
          (f) => [f, 'size_t'],
        ),
      ),
    ).name
  } mallinfo2(void)`,
);

interface Usage {
  malloc: number;
  rss: number;
}

async function settle(): Promise<Usage> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  // In use: small blocks from the arenas plus blocks malloc mmapped on their own.
  const info = mallinfo2() as Record<string, number | bigint>;
  return { malloc: Number(info['uordblks']) + Number(info['hblkhd']), rss: process.memoryUsage.rss() };
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(2)} MiB`;

async function workload(rounds: number): Promise<void> {
  const codec = new Codec({ keys: { k: KEY }, encryptionKeyId: 'k' });
  const zlib = new Codec({ compression: 'zlib' });
  const input = serialize([jsonPayload({ text: 'lorem ipsum '.repeat(170) })]);
  const malformed = Uint8Array.from([1, 2, 3]);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < 1000; i++) codec.decodeBytes(codec.encodeBytes(input));
    await Promise.all(
      Array.from({ length: 250 }, async () => codec.decodeBytesAsync(await codec.encodeBytesAsync(input))),
    );
    for (let i = 0; i < 3000; i++) {
      try {
        codec.decodeBytes(malformed);
        assert.fail('malformed input decoded');
      } catch (e) {
        assert.ok(e instanceof TpcError);
      }
    }
    await Promise.all(
      Array.from({ length: 250 }, () =>
        codec.decodeBytesAsync(malformed).then(
          () => assert.fail('decoded'),
          () => undefined,
        ),
      ),
    );
    await codec.decode(await codec.encode(Array.from({ length: 20 }, (_, i) => jsonPayload(i))));
    // zlib's compressor state (about 270 KB) is allocated and freed per payload: malloc must
    // reuse it (a binding that left small native blocks between calls made it grow instead).
    for (let i = 0; i < 200; i++) zlib.decodeBytes(zlib.encodeBytes(input));
    await Promise.all(
      Array.from({ length: 50 }, async () => zlib.decodeBytesAsync(await zlib.encodeBytesAsync(input))),
    );
    for (let i = 0; i < 20; i++) new Codec({ keys: { k: KEY }, encryptionKeyId: 'k' }).close();
  }
  codec.close();
  zlib.close();
}

test('memory stays flat over many calls on every path', async () => {
  // Warm-up: V8's heap, koffi's pools and malloc's arenas grow for the first rounds (about
  // 25 MiB here), then stay; a leak keeps growing with every round after that.
  await workload(10);
  const before = await settle();
  await workload(30);
  const after = await settle();
  console.log(
    `malloc in use: ${mib(before.malloc)} -> ${mib(after.malloc)}; RSS: ${mib(before.rss)} -> ${mib(after.rss)}`,
  );
  assert.ok(after.malloc - before.malloc < MALLOC_BOUND, `malloc in use grew by ${mib(after.malloc - before.malloc)}`);
  assert.ok(after.rss - before.rss < RSS_BOUND, `RSS grew by ${mib(after.rss - before.rss)}`);
});
