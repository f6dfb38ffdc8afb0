// The shared vectors (tests/vectors/): the reference Python codec's bytes and the Go
// encryption sample's, byte for byte, through the bytes API and the PayloadCodec API.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Codec } from 'temporal-payload-codec';
import { REPO, canonicalAll, hex, parse, serialize, unb64 } from './helpers';

function vectors<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(REPO, 'tests', 'vectors', name), 'utf8')) as T;
}

const reference = vectors<{ cases: { name: string; plain: string; encoded: string; raw_block: string }[] }>(
  'reference-snappy.json',
);
const goSample = vectors<{
  key_hex: string;
  key_id: string;
  cases: { name: string; plain: string; encoded: string }[];
}>('go-sample-encryption.json');

test('the vectors are there', () => {
  assert.ok(reference.cases.length >= 5);
  assert.ok(goSample.cases.length >= 2);
});

test('the default codec encodes as the reference codec, byte for byte', async () => {
  const codec = new Codec();
  for (const c of reference.cases) {
    assert.equal(hex(codec.encodeBytes(unb64(c.plain))), hex(unb64(c.encoded)), c.name);
    assert.equal(hex(await codec.encodeBytesAsync(unb64(c.plain))), hex(unb64(c.encoded)), c.name);
    // Through the PayloadCodec API: the payloads protobufjs parsed, serialized again by it.
    const encoded = await codec.encode(parse(unb64(c.plain)));
    assert.equal(hex(serialize(encoded)), hex(unb64(c.encoded)), `${c.name} via encode()`);
  }
  codec.close();
});

test('the default codec decodes the reference and raw-block dialects', async () => {
  const codec = new Codec();
  for (const c of reference.cases) {
    for (const encoded of [c.encoded, c.raw_block]) {
      assert.equal(hex(codec.decodeBytes(unb64(encoded))), hex(unb64(c.plain)), c.name);
      assert.deepEqual(canonicalAll(await codec.decode(parse(unb64(encoded)))), canonicalAll(parse(unb64(c.plain))));
    }
  }
  codec.close();
});

test('snappy-raw encodes the Go codec-server sample dialect', () => {
  const codec = new Codec({ compression: 'snappy-raw' });
  for (const c of reference.cases)
    assert.equal(hex(codec.encodeBytes(unb64(c.plain))), hex(unb64(c.raw_block)), c.name);
  codec.close();
});

test("the Go encryption sample's bytes decode under its key and the empty key id", async () => {
  assert.equal(goSample.key_id, '');
  const codec = new Codec({ keys: new Map([['', new Uint8Array(Buffer.from(goSample.key_hex, 'hex'))]]) });
  for (const c of goSample.cases) {
    assert.equal(hex(codec.decodeBytes(unb64(c.encoded))), hex(unb64(c.plain)), c.name);
    assert.equal(hex(await codec.decodeBytesAsync(unb64(c.encoded))), hex(unb64(c.plain)), c.name);
  }
  codec.close();
});
