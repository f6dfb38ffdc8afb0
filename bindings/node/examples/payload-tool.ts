// The payload tool of the cross-language decode matrix, in TypeScript (every language has one,
// with one contract: see the root README's "Payload tools"):
//   node build/examples/payload-tool.js encode|decode FILE|-
// Reads a serialized temporal.api.common.v1.Payloads from FILE (or stdin for "-") and writes
// the encoded or decoded Payloads to stdout. The codec comes from the environment:
//   TPC_COMPRESSION  none | snappy (default) | snappy-raw | zlib
//   TPC_KEY_HEX      a 32-byte AES-256 key in 64 hex digits: encrypt under it
//   TPC_KEY_ID       the key's id (default demo-key)
// An empty variable counts as unset. Exit status: 0 on success, 2 for usage errors, 3 for codec
// errors, with one stderr line such as "UnknownKeyError: TPC_ERR_UNKNOWN_KEY (6): payload 0: ...".

import { readFileSync } from 'node:fs';
import { Codec, type CodecOptions, TpcError } from 'temporal-payload-codec';

const USAGE = 'usage: payload-tool encode|decode FILE|-';
const COMPRESSIONS = ['none', 'snappy', 'snappy-raw', 'zlib'] as const;

class UsageError extends Error {}

function codecFromEnv(env: NodeJS.ProcessEnv): Codec {
  const compression = env['TPC_COMPRESSION'] || 'snappy';
  if (!(COMPRESSIONS as readonly string[]).includes(compression)) {
    throw new UsageError(
      `TPC_COMPRESSION must be one of ${COMPRESSIONS.join(', ')}, not ${JSON.stringify(compression)}`,
    );
  }
  const options: CodecOptions = { compression: compression as (typeof COMPRESSIONS)[number] };
  const keyHex = env['TPC_KEY_HEX'];
  if (keyHex) {
    if (!/^[0-9a-fA-F]{64}$/.test(keyHex)) throw new UsageError('TPC_KEY_HEX must be 64 hex digits (a 32-byte key)');
    const id = env['TPC_KEY_ID'] || 'demo-key';
    options.keys = { [id]: new Uint8Array(Buffer.from(keyHex, 'hex')) };
    options.encryptionKeyId = id;
  }
  return new Codec(options);
}

function main(argv: string[]): number {
  const [mode, path] = argv;
  if (argv.length !== 2 || path === undefined || (mode !== 'encode' && mode !== 'decode')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let input: Buffer;
  try {
    input = readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    process.stderr.write(`cannot read ${path}: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    const codec = codecFromEnv(process.env);
    try {
      process.stdout.write(mode === 'encode' ? codec.encodeBytes(input) : codec.decodeBytes(input));
    } finally {
      codec.close();
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    if (e instanceof TpcError) {
      process.stderr.write(`${e.name}: ${e.statusName} (${e.status}): ${e.message}\n`);
      return 3;
    }
    throw e;
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
