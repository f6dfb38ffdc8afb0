// The codec the examples build from the environment: the demo and payload-tool contract that
// every language's examples keep (see the README's "Payload tools").
//   TPC_COMPRESSION = none | snappy (default) | snappy-raw | zlib
//   TPC_KEY_HEX     = 64 hex digits: the codec holds that key under TPC_KEY_ID (default
//                     "demo-key") and encrypts with it (AES-256-GCM after compression)
// An empty variable counts as unset.
import { Codec, type CodecOptions } from 'temporal-payload-codec';

/** The environment is wrong in a way the user must fix (not a codec failure). */
export class UsageError extends Error {}

const COMPRESSIONS = ['none', 'snappy', 'snappy-raw', 'zlib'] as const;

export function codecFromEnv(env: NodeJS.ProcessEnv = process.env): Codec {
  const options: CodecOptions = {};
  const compression = env.TPC_COMPRESSION || 'snappy';
  if (!(COMPRESSIONS as readonly string[]).includes(compression)) {
    throw new UsageError(`TPC_COMPRESSION must be one of ${COMPRESSIONS.join(', ')}, not ${JSON.stringify(compression)}`);
  }
  options.compression = compression as (typeof COMPRESSIONS)[number];
  const keyHex = env.TPC_KEY_HEX || '';
  if (keyHex) {
    if (!/^[0-9a-fA-F]{64}$/.test(keyHex)) {
      throw new UsageError('TPC_KEY_HEX must be 64 hex digits (a 32-byte AES-256 key)');
    }
    const keyId = env.TPC_KEY_ID || 'demo-key';
    options.keys = { [keyId]: Buffer.from(keyHex, 'hex') };
    options.encryptionKeyId = keyId;
  }
  return new Codec(options);
}
