// The process lives: the hostile batches of tests/hostile/ (made by the one generator every
// language uses) give their error through every decode path, then the codec goes on working.
// test.sh runs this file under a 4 GiB address-space limit (ulimit -v) and says so in
// TPC_WANT_ADDRESS_SPACE_LIMIT: a binding that sized anything from a batch's claims (62.5 GiB
// for "claims") would die here rather than pass.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Codec, type CodecOptions } from 'temporal-payload-codec';
import { ERRORS, KEY, REPO, hex, jsonPayload, parse, rejectsWith, serialize } from './helpers';

interface Batch {
  name: string;
  data: Uint8Array;
  status: string;
  fragment: string;
}

function batches(): Batch[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpc-node-hostile-'));
  try {
    const run = spawnSync('python3', [path.join(REPO, 'tests', 'hostile', 'make_hostile.py'), dir], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, `make_hostile.py failed: ${run.stderr}`);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
      name: string;
      file: string;
      status: string;
      message_contains: string;
    }[];
    assert.ok(manifest.length >= 3, 'the manifest lists too few batches');
    return manifest.map((e) => ({
      name: e.name,
      data: new Uint8Array(fs.readFileSync(path.join(dir, e.file))),
      status: e.status,
      fragment: e.message_contains,
    }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the address-space limit test.sh promised is in force', () => {
  const want = process.env['TPC_WANT_ADDRESS_SPACE_LIMIT'];
  if (want === undefined) return; // run by hand, without test.sh's limit
  const line = fs
    .readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max address space'));
  const soft = line?.split(/\s{2,}/)[1];
  assert.ok(soft !== undefined && soft !== 'unlimited' && Number(soft) <= Number(want), `address space: ${line}`);
});

const CODECS: [string, CodecOptions][] = [
  ['default', {}],
  // A key makes the encrypted layer live; zlib makes what it encodes with differ too.
  ['zlib+aes', { compression: 'zlib', keys: { k: KEY }, encryptionKeyId: 'k' }],
];

for (const [codecName, options] of CODECS) {
  test(`hostile batches fail cleanly with the ${codecName} codec, which then still works`, async () => {
    const codec = new Codec(options);
    for (const batch of batches()) {
      const cls = ERRORS[batch.status];
      assert.ok(cls, batch.status);
      const where = `${batch.name} with the ${codecName} codec`;
      await rejectsWith(`${where} via decodeBytes`, () => codec.decodeBytes(batch.data), cls, batch.fragment);
      await rejectsWith(`${where} via decodeBytesAsync`, () => codec.decodeBytesAsync(batch.data), cls, batch.fragment);
      const payloads = parse(batch.data);
      await rejectsWith(`${where} via decode`, () => codec.decode(payloads), cls, batch.fragment);
    }
    const plain = [jsonPayload({ still: 'working' }), jsonPayload('x'.repeat(100_000))];
    assert.equal(hex(serialize(await codec.decode(await codec.encode(plain)))), hex(serialize(plain)));
    codec.close();
  });
}
