// Errors: wrong keys, tampering, bad options (the library's messages, typed), a closed codec,
// and key bytes never showing in messages, inspect() or JSON.

import * as assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import type { Payload } from '@temporalio/common';
import * as tpc from 'temporal-payload-codec';
import { KEY, hex, jsonPayload, parse, rejectsWith, serialize } from './helpers';

const OTHER_KEY = new Uint8Array(32).fill(0xa5);
const batch = [jsonPayload({ order: 1 }), jsonPayload('two')];

function encrypted(key: Uint8Array, id: string): Uint8Array {
  const codec = new tpc.Codec({ keys: { [id]: key }, encryptionKeyId: id });
  try {
    return codec.encodeBytes(serialize(batch));
  } finally {
    codec.close();
  }
}

test('an unknown key id is UnknownKeyError naming the id, through every path', async () => {
  const codec = new tpc.Codec({ keys: { mine: KEY } });
  const data = encrypted(KEY, 'someone-else');
  const fragment = 'payload 0: no key with id "someone-else"';
  await rejectsWith('decodeBytes', () => codec.decodeBytes(data), tpc.UnknownKeyError, fragment);
  await rejectsWith('decodeBytesAsync', () => codec.decodeBytesAsync(data), tpc.UnknownKeyError, fragment);
  await rejectsWith('decode', () => codec.decode(parse(data)), tpc.UnknownKeyError, fragment);
  codec.close();
});

test('the wrong key under the right id is DecryptFailedError', async () => {
  const codec = new tpc.Codec({ keys: { k: OTHER_KEY } });
  const data = encrypted(KEY, 'k');
  const fragment = 'payload 0: authentication failed with key "k"';
  await rejectsWith('decodeBytes', () => codec.decodeBytes(data), tpc.DecryptFailedError, fragment);
  await rejectsWith('decode', () => codec.decode(parse(data)), tpc.DecryptFailedError, fragment);
  codec.close();
});

test('a tampered payload is DecryptFailedError naming its index', async () => {
  const codec = new tpc.Codec({ keys: { k: KEY }, encryptionKeyId: 'k' });
  const encoded = await codec.encode(batch);
  const data = Uint8Array.from(encoded[1]?.data as Uint8Array);
  data[data.length - 1] ^= 1;
  const tampered: Payload[] = [encoded[0], { ...encoded[1], data }];
  await rejectsWith('decode', () => codec.decode(tampered), tpc.DecryptFailedError, 'payload 1:');
  // The untouched batch still decodes.
  assert.equal(hex(serialize(await codec.decode(encoded))), hex(serialize(batch)));
  codec.close();
});

test('key bytes never show in errors, inspect() or JSON', async () => {
  const codec = new tpc.Codec({ keys: { k: KEY, old: OTHER_KEY }, encryptionKeyId: 'k' });
  const shown = [inspect(codec, { showHidden: true, depth: 10 }), JSON.stringify(codec), `${inspect(codec)}`];
  let error: unknown;
  try {
    await codec.decode(parse(encrypted(new Uint8Array(32).fill(1), 'k')));
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof tpc.DecryptFailedError);
  shown.push(inspect(error), JSON.stringify(error), String(error));
  for (const key of [KEY, OTHER_KEY]) {
    for (const text of shown) {
      assert.ok(!text.includes(hex(key)), text);
      assert.ok(!text.includes(Buffer.from(key).toString('base64')), text);
      assert.ok(!text.includes(inspect(key)), text);
      assert.ok(!text.includes(Array.from(key).join(',')), text);
    }
  }
  assert.match(shown[0], /keyIds: \[ 'k', 'old' \]/);
  codec.close();
});

test('bad options are InvalidArgumentError with the library message, or TypeError for wrong types', () => {
  const invalid: [tpc.CodecOptions, string][] = [
    [{ keys: { a: new Uint8Array(31) } }, 'key "a" is 31 bytes; AES-256 needs exactly 32'],
    [{ encryptionKeyId: 'nope' }, 'encryption key "nope" was never added'],
    [
      {
        keys: new Map<tpc.KeyId, Uint8Array>([
          ['a', KEY],
          [Buffer.from('a'), KEY],
        ]),
      },
      'key id "a" was added twice',
    ],
    [{ compression: 7 as tpc.Compression }, 'unknown compression algorithm 7'],
    [{ compression: 'lz4' as tpc.CompressionName }, 'unknown compression "lz4"'],
    [{ zlibLevel: 10 }, 'zlib level 10 is out of range'],
    [{ maxDecodedSize: 0 }, 'max decoded size must be at least 1'],
    [{ maxTotalDecodedSize: -1 }, 'maxTotalDecodedSize -1 is out of range'],
    [{ maxDecodedSize: 2n ** 64n }, 'out of range'],
  ];
  for (const [options, fragment] of invalid) {
    assert.throws(
      () => new tpc.Codec(options),
      (e: unknown) => e instanceof tpc.InvalidArgumentError && e.status === 2 && e.message.includes(fragment),
      fragment,
    );
  }
  const wrongTypes: [unknown, RegExp][] = [
    [{ zlibLevel: 1.5 }, /zlibLevel must be an integer/],
    [{ maxDecodedSize: '10' }, /maxDecodedSize must be a number/],
    [{ keys: { a: 'not bytes' } }, /the key for id "a" must be a Uint8Array/],
    [{ encryptionKeyId: 5 }, /encryptionKeyId must be a string or a Uint8Array/],
    [{ onlyIfSmaller: 'yes' }, /onlyIfSmaller must be a boolean/],
    [{ compresion: 'zlib' }, /unknown codec option "compresion"/],
  ];
  for (const [options, pattern] of wrongTypes) {
    assert.throws(
      () => new tpc.Codec(options as tpc.CodecOptions),
      (e: unknown) => e instanceof TypeError && pattern.test(e.message),
    );
  }
  assert.throws(() => new tpc.Codec().encodeBytes('text' as unknown as Uint8Array), TypeError);
});

test('the empty key id is an id, and the Compression enum and names agree', async () => {
  const codec = new tpc.Codec({ keys: new Map([['', KEY]]), encryptionKeyId: '', compression: tpc.Compression.Zlib });
  const encoded = await codec.encode(batch);
  assert.equal(Buffer.from(encoded[0]?.metadata?.['encryption-key-id'] as Uint8Array).toString(), '');
  assert.equal(hex(serialize(await codec.decode(encoded))), hex(serialize(batch)));
  assert.equal((JSON.parse(JSON.stringify(codec)) as { compression: string }).compression, 'zlib');
  codec.close();
});

test('a closed codec throws CodecClosedError; closing twice is harmless', async () => {
  const codec = new tpc.Codec();
  codec.close();
  codec.close();
  assert.equal(codec.closed, true);
  assert.throws(() => codec.encodeBytes(new Uint8Array()), tpc.CodecClosedError);
  await assert.rejects(codec.decodeBytesAsync(new Uint8Array()), tpc.CodecClosedError);
  await assert.rejects(codec.encode(batch), tpc.CodecClosedError);
});

test('version, ABI version and error classes', () => {
  assert.match(tpc.version(), /^\d+\.\d+\.\d+/);
  assert.equal(tpc.abiVersion(), 2);
  assert.equal(tpc.ABI_VERSION, 2);
  const e = new tpc.LimitExceededError('payload 3: too big');
  assert.ok(e instanceof tpc.TpcError && e instanceof Error);
  assert.equal(e.name, 'LimitExceededError');
  assert.equal(e.status, 5);
  assert.equal(e.statusName, 'TPC_ERR_LIMIT_EXCEEDED');
});
