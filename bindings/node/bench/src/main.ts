// The Node binding's benchmark: our codec against the PayloadCodecs a TypeScript user would
// write instead, as PayloadCodecs (Payload[] in, Payload[] out), side by side in one run.
// Usage: node --expose-gc dist/main.js --data DIR --library FILE --package DIR
//        [--thin] [--rounds N] [--block-ms MS] [--smoke]
// Prints markdown tables; exits 1 when a codec fails a round trip or a cross-check.
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { compressSync, uncompressSync } from 'snappy';
import { NodeZlibCodec, SnappyFramedCodec, SnappyRawCodec } from './competitors.js';
import { type Batch, loadBatches, sweep } from './data.js';
import { framePayloads } from './framing.js';
import { type Case, type Result, formatTime, key, measure, table } from './measure.js';
import { type OurCodec, loadOurs } from './ours.js';
import { loadThin, newBuffer } from './thin.js';

const ProtoPayload = temporal.api.common.v1.Payload;
const Payloads = temporal.api.common.v1.Payloads;

const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    library: { type: 'string' },
    package: { type: 'string' },
    thin: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '15' },
    'block-ms': { type: 'string', default: '20' },
    smoke: { type: 'boolean', default: false },
  },
});
if (args.data === undefined || args.library === undefined || args.package === undefined) {
  throw new Error(
    'usage: main.js --data DIR --library FILE --package DIR [--thin] [--rounds N] [--block-ms MS] [--smoke]',
  );
}
const library = args.library;
const rounds = args.smoke ? 1 : Number(args.rounds);
const blockMs = args.smoke ? 0 : Number(args['block-ms']);

const thin = loadThin(library);
const ours = loadOurs(args.package, thin, args.thin);
const batches = loadBatches(args.data);
const sweepBatches = sweep(args.data, [1024, 4096, 16384, 65536, 262144, 1 << 20]);

// Far above any batch here: every call on the calling thread.
const NEVER = Number.MAX_SAFE_INTEGER;

interface Competitor {
  name: string;
  codec: PayloadCodec;
  /** The metadata `encoding` its encoded payloads carry. */
  encoding: string;
}

/**
 * The package's codec as it would be with a hand-written Payloads writer (framing.ts) in
 * place of protobufjs's, all on the calling thread: a prototype, to measure what that would save.
 */
class HandFramedCodec implements PayloadCodec {
  readonly #codec: OurCodec;

  constructor(codec: OurCodec) {
    this.#codec = codec;
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(Payloads.decode(this.#codec.encodeBytes(framePayloads(payloads))).payloads);
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(Payloads.decode(this.#codec.decodeBytes(framePayloads(payloads))).payloads);
  }
}

const competitors: Competitor[] = [
  { name: 'ours snappy', codec: ours.make(), encoding: 'binary/snappy' },
  { name: 'ours snappy, sync', codec: ours.make({ asyncThreshold: NEVER }), encoding: 'binary/snappy' },
  {
    name: 'prototype: hand-framed',
    codec: new HandFramedCodec(ours.make({ asyncThreshold: NEVER })),
    encoding: 'binary/snappy',
  },
  { name: 'ours zlib', codec: ours.make({ compression: 'zlib' }), encoding: 'binary/zlib' },
  { name: 'snappy raw', codec: new SnappyRawCodec(), encoding: 'binary/snappy' },
  { name: 'snappy framed', codec: new SnappyFramedCodec(), encoding: 'binary/snappy' },
  { name: 'node:zlib', codec: new NodeZlibCodec(), encoding: 'binary/zlib' },
];

function serialized(payloads: Payload[]): Buffer[] {
  return payloads.map((p) => Buffer.from(ProtoPayload.encode(p).finish()));
}

function sameBatch(a: Payload[], b: Payload[]): boolean {
  const x = serialized(a);
  const y = serialized(b);
  return x.length === y.length && x.every((bytes, i) => y[i]?.equals(bytes) === true);
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`check failed: ${what}`);
}

/** Every codec's encode output per batch, checked: right metadata, and it decodes back to the input. */
async function checkRoundTrips(codecs: Competitor[], list: Batch[]): Promise<Map<string, Payload[]>> {
  const encoded = new Map<string, Payload[]>();
  for (const batch of list) {
    const framed = Buffer.from(Payloads.encode({ payloads: batch.payloads }).finish());
    check(framed.equals(framePayloads(batch.payloads)), `the prototype frames ${batch.name} as protobufjs does`);
    for (const c of codecs) {
      const out = await c.codec.encode(batch.payloads);
      check(out.length === batch.payloads.length, `${c.name} encode of ${batch.name} keeps the payload count`);
      for (const p of out) {
        const encoding = Buffer.from(p.metadata?.encoding ?? []).toString();
        check(
          encoding === c.encoding,
          `${c.name} encode of ${batch.name} writes encoding ${c.encoding}, not ${encoding}`,
        );
      }
      check(sameBatch(await c.codec.decode(out), batch.payloads), `${c.name}: decode(encode(${batch.name})) == input`);
      const framedOut = Buffer.from(Payloads.encode({ payloads: out }).finish());
      check(framedOut.equals(framePayloads(out)), `the prototype frames ${c.name}'s ${batch.name} as protobufjs does`);
      encoded.set(key(batch.name, c.name), out);
    }
  }
  return encoded;
}

/** Each codec reads the output of the others writing its format, so all are measured doing the same job. */
async function crossCheck(encoded: Map<string, Payload[]>): Promise<string[]> {
  const byName = new Map(competitors.map((c) => [c.name, c.codec]));
  const pairs: [string, string][] = [
    ['snappy raw', 'ours snappy'],
    ['snappy framed', 'ours snappy'],
    ['ours snappy', 'snappy framed'],
    ['node:zlib', 'ours zlib'],
    ['ours zlib', 'node:zlib'],
  ];
  const notes: string[] = [];
  for (const batch of batches) {
    for (const [writer, reader] of pairs) {
      const out = encoded.get(key(batch.name, writer)) ?? [];
      const back = await byName.get(reader)?.decode(out);
      check(back !== undefined && sameBatch(back, batch.payloads), `${reader} decodes ${writer}'s ${batch.name}`);
    }
    const ourBytes = serialized(encoded.get(key(batch.name, 'ours snappy')) ?? []);
    const framedBytes = serialized(encoded.get(key(batch.name, 'snappy framed')) ?? []);
    const same = ourBytes.length === framedBytes.length && ourBytes.every((b, i) => framedBytes[i]?.equals(b) === true);
    notes.push(`${batch.name}: ${same ? 'same bytes' : 'different bytes'}`);
  }
  return notes;
}

/** Which time a table shows: CPU time (the headline: waiting for a CPU adds nothing) or wall. */
type Clock = 'cpu' | 'wall';
const CLOCKS: Clock[] = ['cpu', 'wall'];
const clockName = (clock: Clock): string => (clock === 'cpu' ? 'CPU time' : 'wall time');
const pick = (r: Result, clock: Clock): number => (clock === 'cpu' ? r.cpuNs : r.ns);

function ratio(numerator: Result | undefined, denominator: Result | undefined, clock: Clock): string {
  if (numerator === undefined || denominator === undefined) return '?';
  return `${(pick(numerator, clock) / pick(denominator, clock)).toFixed(2)}x`;
}

const time = (r: Result | undefined, clock: Clock): string => (r === undefined ? '?' : formatTime(pick(r, clock)));

async function comparison(encoded: Map<string, Payload[]>): Promise<Map<string, Result>> {
  const cases: Case[] = [];
  for (const batch of batches) {
    for (const c of competitors) {
      cases.push({ row: `${batch.name} encode`, column: c.name, run: () => c.codec.encode(batch.payloads) });
      const input = encoded.get(key(batch.name, c.name)) ?? [];
      cases.push({ row: `${batch.name} decode`, column: c.name, run: () => c.codec.decode(input) });
    }
  }
  const results = await measure(cases, rounds, blockMs);
  const ratios: [string, string, string][] = [
    ['snappy raw / ours snappy', 'snappy raw', 'ours snappy'],
    ['snappy framed / ours snappy', 'snappy framed', 'ours snappy'],
    ['node:zlib / ours snappy', 'node:zlib', 'ours snappy'],
    ['node:zlib / ours zlib', 'node:zlib', 'ours zlib'],
    ['snappy raw / ours snappy, sync', 'snappy raw', 'ours snappy, sync'],
    ['snappy raw / prototype', 'snappy raw', 'prototype: hand-framed'],
  ];
  for (const clock of CLOCKS) {
    const times: string[][] = [];
    const speedups: string[][] = [];
    for (const batch of batches) {
      for (const op of ['encode', 'decode']) {
        const r = (column: string): Result | undefined => results.get(key(`${batch.name} ${op}`, column));
        times.push([batch.name, op, ...competitors.map((c) => time(r(c.name), clock))]);
        speedups.push([batch.name, op, ...ratios.map(([, slow, fast]) => ratio(r(slow), r(fast), clock))]);
      }
    }
    console.log(`\n## PayloadCodec encode/decode: ${clockName(clock)} per call (median)\n`);
    console.log(table(['batch', 'op', ...competitors.map((c) => c.name)], times));
    console.log(`\n## Ratios of ${clockName(clock)} (above 1: the second is faster)\n`);
    console.log(table(['batch', 'op', ...ratios.map(([name]) => name)], speedups));
  }
  return results;
}

function verdicts(results: Map<string, Result>, ourColumn: string): string[] {
  const lines: string[] = [];
  for (const batch of batches) {
    const small = batch.payloads.every((p) => ProtoPayload.encode(p).finish().length <= 200);
    for (const op of ['encode', 'decode']) {
      const r = (column: string, clock: Clock): number => {
        const found = results.get(key(`${batch.name} ${op}`, column));
        return found === undefined ? NaN : pick(found, clock);
      };
      const vsSnappy = r('snappy raw', 'cpu') / r(ourColumn, 'cpu');
      const vsZlib = r('node:zlib', 'cpu') / r(ourColumn, 'cpu');
      const wall = (other: string): string => `wall ${(r(other, 'wall') / r(ourColumn, 'wall')).toFixed(2)}x`;
      if (small) {
        const met = vsSnappy >= 1 / 1.5;
        lines.push(
          `${met ? 'met   ' : 'MISSED'} ${batch.name} ${op}: within 1.5x of snappy raw (takes ${(1 / vsSnappy).toFixed(2)}x its time; wall ${(r(ourColumn, 'wall') / r('snappy raw', 'wall')).toFixed(2)}x)`,
        );
      } else {
        lines.push(
          `${vsSnappy > 1 ? 'met   ' : 'MISSED'} ${batch.name} ${op}: faster than snappy raw (${vsSnappy.toFixed(2)}x; ${wall('snappy raw')})`,
        );
        lines.push(
          `${vsZlib >= 3 ? 'met   ' : 'MISSED'} ${batch.name} ${op}: at least 3x node:zlib (${vsZlib.toFixed(2)}x; ${wall('node:zlib')})`,
        );
        if (ourColumn === 'ours snappy') {
          // The same target read as zlib against zlib: our zlib codec against node:zlib's.
          const zlibVsZlib = r('node:zlib', 'cpu') / r('ours zlib', 'cpu');
          const zlibWall = (r('node:zlib', 'wall') / r('ours zlib', 'wall')).toFixed(2);
          lines.push(
            `${zlibVsZlib >= 3 ? 'met   ' : 'MISSED'} ${batch.name} ${op}: ours zlib at least 3x node:zlib (${zlibVsZlib.toFixed(2)}x; wall ${zlibWall}x)`,
          );
        }
      }
    }
  }
  return lines;
}

/** Where each codec's time goes: protobuf in JS, the compressor's call, protobuf back. */
async function breakdown(codec: OurCodec): Promise<void> {
  const cases: Case[] = [];
  for (const batch of batches) {
    const framed = Payloads.encode({ payloads: batch.payloads }).finish();
    const encodedBytes = codec.encodeBytes(framed);
    const encodedPayloads = Payloads.decode(encodedBytes);
    const each = serialized(batch.payloads);
    const compressed = each.map((b) => compressSync(b));
    const row = batch.name;
    cases.push(
      { row, column: 'ours: serialize Payloads', run: () => Payloads.encode({ payloads: batch.payloads }).finish() },
      { row, column: 'prototype: hand-frame Payloads', run: () => framePayloads(batch.payloads) },
      { row, column: 'ours: encodeBytes', run: () => codec.encodeBytes(framed) },
      { row, column: 'ours: parse encoded', run: () => Payloads.decode(encodedBytes) },
      { row, column: 'ours: serialize encoded', run: () => Payloads.encode(encodedPayloads).finish() },
      { row, column: 'ours: decodeBytes', run: () => codec.decodeBytes(encodedBytes) },
      { row, column: 'ours: parse decoded', run: () => Payloads.decode(framed) },
      { row, column: 'each: serialize Payload', run: () => serialized(batch.payloads) },
      { row, column: 'snappy: compressSync', run: () => each.map((b) => compressSync(b)) },
      {
        row,
        column: 'snappy: uncompressSync',
        run: () => compressed.map((b) => uncompressSync(b, { asBuffer: true })),
      },
      { row, column: 'each: parse Payload', run: () => each.map((b) => ProtoPayload.decode(b)) },
    );
  }
  const results = await measure(cases, rounds, blockMs);
  const columns = [...new Set(cases.map((c) => c.column))];
  console.log('\n## Where the time goes: CPU time per call (median; protobuf by @temporalio/proto, i.e. protobufjs)\n');
  console.log(
    table(
      ['batch', ...columns],
      batches.map((b) => [b.name, ...columns.map((c) => time(results.get(key(b.name, c)), 'cpu'))]),
    ),
  );
}

/** Our default codec on the calling thread against a worker thread, by size. */
async function syncVersusAsync(): Promise<void> {
  const sync = ours.make({ asyncThreshold: NEVER });
  const async = ours.make({ asyncThreshold: 0 });
  const list = [batches[0], ...sweepBatches].filter((b) => b !== undefined);
  const cases: Case[] = [];
  const inFlight = 8;
  for (const batch of list) {
    const encoded = await sync.encode(batch.payloads);
    for (const [name, codec] of [
      ['sync', sync],
      ['async', async],
    ] as const) {
      cases.push(
        { row: `${batch.name} encode`, column: name, run: () => codec.encode(batch.payloads) },
        { row: `${batch.name} decode`, column: name, run: () => codec.decode(encoded) },
        {
          row: `${batch.name} encode`,
          column: `${name} x${String(inFlight)}`,
          calls: inFlight,
          run: () => Promise.all(Array.from({ length: inFlight }, () => codec.encode(batch.payloads))),
        },
        {
          row: `${batch.name} decode`,
          column: `${name} x${String(inFlight)}`,
          calls: inFlight,
          run: () => Promise.all(Array.from({ length: inFlight }, () => codec.decode(encoded))),
        },
      );
    }
  }
  const results = await measure(cases, rounds, blockMs);
  const rows: string[][] = [];
  for (const batch of list) {
    for (const op of ['encode', 'decode']) {
      const r = (column: string): Result | undefined => results.get(key(`${batch.name} ${op}`, column));
      const s = r('sync');
      const a = r('async');
      rows.push([
        batch.name,
        String(batch.bytes),
        op,
        time(s, 'wall'),
        time(a, 'wall'),
        ratio(a, s, 'wall'),
        time(s, 'cpu'),
        time(a, 'cpu'),
        a === undefined ? '?' : formatTime(a.busyNs),
        time(r(`sync x${String(inFlight)}`), 'wall'),
        time(r(`async x${String(inFlight)}`), 'wall'),
        ratio(r(`sync x${String(inFlight)}`), r(`async x${String(inFlight)}`), 'wall'),
      ]);
    }
  }
  console.log('\n## Sync against async (worker thread), ours snappy, per call (medians)\n');
  console.log(
    table(
      [
        'batch',
        'serialized bytes',
        'op',
        'sync: wall',
        'async: wall',
        'async / sync, wall',
        'sync: CPU',
        'async: CPU (both threads)',
        'async: event loop busy',
        `sync, ${String(inFlight)} at once: wall per call`,
        `async, ${String(inFlight)} at once: wall per call`,
        'sync / async, at once',
      ],
      rows,
    ),
  );
}

/** The cost of crossing into the library: koffi alone, then the package's calls, on nothing. */
async function crossing(): Promise<void> {
  const codec = thin.newCodec('snappy');
  const empty = new Uint8Array(0);
  const pkg = ours.make({ asyncThreshold: NEVER });
  const row = 'empty';
  const cases: Case[] = [
    { row, column: 'koffi: tpc_abi_version()', run: () => thin.abiVersion() },
    { row, column: 'koffi: tpc_version()', run: () => thin.version() },
    {
      row,
      column: 'koffi: tpc_codec_encode(empty), sync',
      run: () => thin.codecEncode(codec, empty, 0, newBuffer(), newBuffer()),
    },
    {
      row,
      column: 'koffi: tpc_codec_encode(empty), async',
      run: () =>
        new Promise<number>((resolve, reject) => {
          thin.codecEncodeAsync(codec, empty, 0, newBuffer(), newBuffer(), (err, status) => {
            if (err != null) reject(new Error('koffi async call failed', { cause: err }));
            else resolve(status);
          });
        }),
    },
    { row, column: `${ours.label}: encodeBytes(empty)`, run: () => pkg.encodeBytes(empty) },
    { row, column: `${ours.label}: encodeBytesAsync(empty)`, run: () => pkg.encodeBytesAsync(empty) },
    { row, column: `${ours.label}: encode([])`, run: () => pkg.encode([]) },
    { row, column: 'snappy (napi-rs): compressSync(empty), for comparison', run: () => compressSync(empty) },
  ];
  const results = await measure(cases, rounds, blockMs);
  console.log('\n## FFI crossing cost, per call (medians)\n');
  console.log(
    table(
      ['call', 'wall', 'CPU'],
      cases.map((c) => {
        const r = results.get(key(c.row, c.column));
        return [c.column, time(r, 'wall'), time(r, 'cpu')];
      }),
    ),
  );
}

async function main(): Promise<void> {
  console.log(`# Node binding benchmark${args.smoke ? ' (smoke: one tiny round; times mean nothing)' : ''}\n`);
  console.log(`- ours: ${ours.label}; library ${thin.version()} (ABI ${String(thin.abiVersion())}) at ${library}`);
  console.log(`- node ${process.version}, ${String(cpus().length)} x ${cpus()[0]?.model ?? '?'}`);
  console.log(
    `- load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `- ${String(rounds)} rounds, blocks of ${String(blockMs)} ms; gc between blocks: ${typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'yes' : 'no'}`,
  );

  const encoded = await checkRoundTrips(competitors, batches);
  const syncOnly = ours.make({ asyncThreshold: NEVER });
  await checkRoundTrips([{ name: 'ours snappy, sync', codec: syncOnly, encoding: 'binary/snappy' }], sweepBatches);
  await checkRoundTrips(
    [{ name: 'ours snappy, async', codec: ours.make({ asyncThreshold: 0 }), encoding: 'binary/snappy' }],
    sweepBatches,
  );
  const sameBytes = await crossCheck(encoded);
  console.log('- round trips: every codec decodes its own output back to the input, on every batch');
  console.log(
    '- cross-checks: ours snappy reads snappy raw and snappy framed, snappy framed reads ours; ours zlib and node:zlib read each other',
  );
  console.log(`- ours snappy against snappy framed, byte for byte: ${sameBytes.join('; ')}`);

  const results = await comparison(encoded);
  for (const column of ['ours snappy', 'ours snappy, sync', 'prototype: hand-framed']) {
    console.log(`\n## Targets (issue 22) on CPU time: ${column}\n`);
    console.log(
      verdicts(results, column)
        .map((l) => `    ${l}`)
        .join('\n'),
    );
  }
  await breakdown(syncOnly);
  await syncVersusAsync();
  await crossing();
  console.log(
    `\n- load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
