// How an application wires the codec into Temporal: one codec, shared by its Client and its
// Worker through `dataConverter: { payloadCodecs: [codec] }`.
//
//   import { Client } from '@temporalio/client';
//   import { Worker } from '@temporalio/worker';
//   import { dataConverter } from './data-converter';
//   const client = new Client({ connection, dataConverter });
//   const worker = await Worker.create({ taskQueue, workflowsPath, activities, dataConverter });
//
// Configuration from the environment, as the other languages' examples do:
//   TPC_COMPRESSION  none | snappy (default) | snappy-raw | zlib
//   TPC_KEY_HEX      a 32-byte AES-256 key in 64 hex digits: encrypt under it
//   TPC_KEY_ID       the key's id (default demo-key)
// An empty variable counts as unset.

import type { DataConverter } from '@temporalio/common';
import { Codec, type CodecOptions, type CompressionName } from 'temporal-payload-codec';

export function codecFromEnv(env: NodeJS.ProcessEnv = process.env): Codec {
  const options: CodecOptions = {};
  if (env['TPC_COMPRESSION']) options.compression = env['TPC_COMPRESSION'] as CompressionName;
  const keyHex = env['TPC_KEY_HEX'];
  if (keyHex) {
    if (!/^[0-9a-fA-F]{64}$/.test(keyHex)) throw new Error('TPC_KEY_HEX must be 64 hex digits (a 32-byte key)');
    const id = env['TPC_KEY_ID'] || 'demo-key';
    options.keys = { [id]: new Uint8Array(Buffer.from(keyHex, 'hex')) };
    options.encryptionKeyId = id;
  }
  return new Codec(options);
}

export const codec = codecFromEnv();

export const dataConverter: DataConverter = { payloadCodecs: [codec] };
