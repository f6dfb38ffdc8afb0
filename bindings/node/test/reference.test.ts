// The reference codec of Temporal's documentation as the oracle: tests/oracle/oracle.py runs
// the real Python reference (temporalio + cramjam, from the project's .venv) on payloads made
// by the Python SDK's converter and by the TypeScript SDK's converter here. Our encode must be
// byte-identical to the reference's, the reference must decode ours, and we decode its.

import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { test } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Codec } from 'temporal-payload-codec';
import { PayloadMessage, REPO, b64, hex, parse, python, serialize, unb64 } from './helpers';

type ExternalPayloadDetails = temporal.api.common.v1.Payload.ExternalPayloadDetails;

const ORACLE = path.join(REPO, 'tests', 'oracle', 'oracle.py');

function varint(n: number): number[] {
  const out = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

function external(sizeBytes: number): ExternalPayloadDetails {
  // fromObject takes a number for the int64 field (the typings want a Long).
  return PayloadMessage.ExternalPayloadDetails.fromObject({ sizeBytes });
}

/** Payloads the TypeScript SDK's own converter makes, and shapes it never makes. */
function typescriptCases(): Uint8Array[] {
  const values: unknown[] = [
    null,
    true,
    -(2 ** 53),
    3.25,
    '',
    'ünïcødé ✓ '.repeat(50),
    new Uint8Array(0),
    new Uint8Array(randomBytes(70_000)), // incompressible, more than one 64 KiB chunk
    new Uint8Array(200_000).fill(97), // compressible, several chunks
    { order: 'A-1', items: Array.from({ length: 500 }, (_, i) => ({ sku: `sku-${i}`, qty: i % 7 })) },
  ];
  const batches = values.map((v) => [defaultPayloadConverter.toPayload(v)]);
  batches.push(values.slice(0, 6).map((v) => defaultPayloadConverter.toPayload(v))); // many in one call
  batches.push([]);
  batches.push([{}]); // an empty payload
  batches.push([{ metadata: { encoding: Buffer.from('binary/custom') }, data: Buffer.from('not ours') }]);
  batches.push([{ metadata: { k: Buffer.from('v') }, data: Buffer.from('x'), externalPayloads: [external(12345)] }]);
  const out = batches.map(serialize);
  // A payload with a field no schema knows yet (field 4242, varint 7): it must survive.
  const plain = PayloadMessage.encode({
    metadata: { encoding: Buffer.from('json/plain') },
    data: Buffer.from('1'),
  }).finish();
  const future = Uint8Array.from([...plain, ...varint(4242 << 3), 7]);
  out.push(Uint8Array.from([0x0a, ...varint(future.length), ...future]));
  return out;
}

test('byte-identical to the reference codec, both ways, on both SDKs payloads', async () => {
  const inputs = [...(JSON.parse(python([ORACLE, 'cases'])) as string[]).map(unb64), ...typescriptCases()];
  assert.ok(inputs.length > 25, `only ${inputs.length} cases`);
  const codec = new Codec();
  const ours = inputs.map((input) => codec.encodeBytes(input));
  const reply = JSON.parse(
    python([ORACLE], JSON.stringify({ encode: inputs.map(b64), decode: ours.map(b64), expect: inputs.map(b64) })),
  ) as { encode: string[]; encoded_from: string[]; decode: string[]; decode_matches: boolean[] };

  for (const [i, input] of inputs.entries()) {
    const what = `case ${i}`;
    const theirs = unb64(reply.encode[i]);
    // The reference re-serializes each payload (map order is its own): byte identity is
    // against the bytes it compressed.
    const from = unb64(reply.encoded_from[i]);
    assert.equal(hex(codec.encodeBytes(from)), hex(theirs), `${what}: encode differs from the reference`);
    assert.equal(hex(await codec.encodeBytesAsync(from)), hex(theirs), `${what}: async encode differs`);
    if (hex(from) === hex(input)) assert.equal(hex(ours[i]), hex(theirs), what);
    // The PayloadCodec API, whenever protobufjs serializes the payloads as the reference did.
    if (hex(serialize(parse(from))) === hex(from)) {
      assert.equal(hex(serialize(await codec.encode(parse(from)))), hex(theirs), `${what}: encode() differs`);
    }
    assert.equal(reply.decode_matches[i], true, `${what}: the reference does not decode ours to the input`);
    assert.equal(hex(codec.decodeBytes(theirs)), hex(from), `${what}: we do not decode the reference's`);
    assert.equal(hex(serialize(await codec.decode(parse(theirs)))), hex(serialize(parse(from))), what);
  }
  codec.close();
});

test('the PayloadCodec API keeps fields protobufjs does not know, and external payloads', async () => {
  const codec = new Codec();
  const input = typescriptCases().at(-1) as Uint8Array;
  const back = serialize(await codec.decode(await codec.encode(parse(input))));
  assert.equal(hex(back), hex(input));
  const withExternal = serialize([{ data: Buffer.from('x'), externalPayloads: [external(99)] }]);
  assert.equal(hex(serialize(await codec.decode(await codec.encode(parse(withExternal))))), hex(withExternal));
  codec.close();
});

test('encode() serializes payloads exactly as protobufjs does, on every shape', async () => {
  // encode() frames the batch itself (large data copied by hand); the result must be what
  // encodeBytes gives for protobufjs's serialization of the same payloads.
  const codec = new Codec();
  const withUnknown = (p: Payload): Payload => {
    const bytes = PayloadMessage.encode(p).finish();
    return parse(Uint8Array.from([0x0a, ...varint(bytes.length + 3), ...bytes, ...varint(777 << 3), 5]))[0];
  };
  const shapes: Payload[] = [];
  for (const size of [0, 1, 1023, 1024, 1025, 70_000]) {
    const data = new Uint8Array(randomBytes(size));
    const metadata = { encoding: Buffer.from('binary/plain'), other: Buffer.from('x') };
    shapes.push({ data }, { metadata, data }, { metadata: {}, data });
    shapes.push({ metadata, data, externalPayloads: [external(size), external(1)] });
    shapes.push(withUnknown({ metadata, data }), withUnknown({ data, externalPayloads: [external(3)] }));
    // A view into a larger buffer, as protobufjs's own parsing gives.
    shapes.push({ metadata, data: Buffer.concat([Buffer.alloc(7), data, Buffer.alloc(5)]).subarray(7, 7 + size) });
  }
  shapes.push(
    {},
    { metadata: { e: new Uint8Array(0) } },
    { metadata: { 'clé €': Buffer.from('v'), '1': Buffer.from('n') } },
  );
  for (const [i, p] of shapes.entries()) {
    assert.equal(hex(serialize(await codec.encode([p]))), hex(codec.encodeBytes(serialize([p]))), `shape ${i}`);
  }
  assert.equal(hex(serialize(await codec.encode(shapes))), hex(codec.encodeBytes(serialize(shapes))), 'all at once');

  // And encode()/decode() parse the library's output into the very objects protobufjs's
  // reader gives (the binding parses the usual shapes by hand), unknown fields included.
  const sameObjects = (ours: Payload[], theirs: Payload[], what: string): void => {
    assert.deepStrictEqual(ours, theirs, what);
    const unknowns = (p: Payload | undefined): string[] =>
      ((p as { $unknowns?: Uint8Array[] } | undefined)?.$unknowns ?? []).map(hex);
    for (const [i, p] of ours.entries())
      assert.deepStrictEqual(unknowns(p), unknowns(theirs[i]), `${what}: payload ${i}`);
  };
  const encoded = await codec.encode(shapes);
  sameObjects(encoded, parse(codec.encodeBytes(serialize(shapes))), 'encode');
  sameObjects(await codec.decode(encoded), parse(codec.decodeBytes(serialize(encoded))), 'decode');
  // Payloads the library passes through untouched, as they are (no encoding it knows).
  sameObjects(await codec.decode(shapes), parse(codec.decodeBytes(serialize(shapes))), 'decode of plain payloads');
  codec.close();
});

test('decode() of nested encodings: the result straight into JavaScript memory, sized twice', async () => {
  // A synchronous decode asks the library for the size first; nested layers tell it too
  // little from the headers, so a second, exact size query follows (tpc_codec_decode_into).
  const snappy = new Codec();
  const zlib = new Codec({ compression: 'zlib' });
  const plain = [
    { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify({ n: 'x'.repeat(5000) })) },
    { data: new Uint8Array(randomBytes(3000)) },
  ];
  const twice = await snappy.encode(await snappy.encode(plain));
  const zlibInSnappy = await snappy.encode(await zlib.encode(plain));
  for (const [name, encoded] of [
    ['snappy in snappy', twice],
    ['zlib in snappy', zlibInSnappy],
  ] as const) {
    const back = await snappy.decode(encoded);
    assert.equal(hex(serialize(back)), hex(serialize(plain)), name);
    assert.equal(hex(serialize(back)), hex(snappy.decodeBytes(serialize(encoded))), `${name}: as decodeBytes`);
  }
  snappy.close();
  zlib.close();
});

test('a call made from inside another (a payload getter) does not share its framing buffer', async () => {
  // Synchronous calls frame their input into one reused buffer; a payload whose getter calls
  // the codec while the outer call writes must not overwrite the outer call's bytes.
  const codec = new Codec();
  const inner: Promise<Payload[]>[] = [];
  const data = Buffer.from(JSON.stringify({ outer: 'o'.repeat(3000) }));
  const tricky: Payload = { metadata: { encoding: Buffer.from('json/plain') } };
  Object.defineProperty(tricky, 'data', {
    enumerable: true,
    get: () => {
      inner.push(codec.encode([{ data: Buffer.from('i'.repeat(2000)) }]));
      return data;
    },
  });
  const first: Payload = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('f'.repeat(1000)) };
  const encoded = await codec.encode([first, tricky]);
  assert.ok(inner.length > 0, 'the getter ran');
  const back = await codec.decode(encoded);
  assert.equal(hex(serialize(back)), hex(serialize([first, { metadata: tricky.metadata, data }])));
  for (const p of inner)
    assert.equal(
      hex(serialize(await codec.decode(await p))),
      hex(serialize([{ data: Buffer.from('i'.repeat(2000)) }])),
    );
  codec.close();
});
