// Shared by the tests: where things are, protobuf helpers, and running the Python peers.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import * as tpc from 'temporal-payload-codec';

// build/test/<file>.js -> bindings/node -> the repository.
export const PACKAGE = path.resolve(__dirname, '..', '..');
export const REPO = path.resolve(PACKAGE, '..', '..');
export const VENV_PYTHON = path.join(REPO, '.venv', 'bin', 'python');

export const { Payload: PayloadMessage, Payloads } = temporal.api.common.v1;

export const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);

/** The error class each C status name must give. */
export const ERRORS: Record<string, typeof tpc.TpcError> = {
  TPC_ERR_NULL_ARGUMENT: tpc.NullArgumentError,
  TPC_ERR_INVALID_ARGUMENT: tpc.InvalidArgumentError,
  TPC_ERR_MALFORMED_INPUT: tpc.MalformedInputError,
  TPC_ERR_CORRUPT_PAYLOAD: tpc.CorruptPayloadError,
  TPC_ERR_LIMIT_EXCEEDED: tpc.LimitExceededError,
  TPC_ERR_UNKNOWN_KEY: tpc.UnknownKeyError,
  TPC_ERR_DECRYPT_FAILED: tpc.DecryptFailedError,
  TPC_ERR_BUFFER_TOO_SMALL: tpc.BufferTooSmallError,
  TPC_ERR_INTERNAL: tpc.InternalError,
};

export function b64(data: Uint8Array): string {
  return Buffer.from(data).toString('base64');
}

export function unb64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function hex(data: Uint8Array): string {
  return Buffer.from(data).toString('hex');
}

export function serialize(payloads: Payload[]): Uint8Array {
  return Payloads.encode({ payloads }).finish();
}

// A reader of the protobufjs copy @temporalio/proto uses, told to keep unknown fields.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const protobuf = require(require.resolve('protobufjs', { paths: [require.resolve('@temporalio/proto')] })) as {
  Reader: { create(buffer: Uint8Array): Parameters<typeof Payloads.decode>[0] & { discardUnknown: boolean } };
};

function reader(data: Uint8Array): Parameters<typeof Payloads.decode>[0] {
  const r = protobuf.Reader.create(data);
  r.discardUnknown = false;
  return r;
}

/** Parses a serialized Payloads, keeping every field (protobufjs drops unknown ones by default). */
export function parse(data: Uint8Array): Payload[] {
  return Payloads.decode(reader(data)).payloads;
}

/**
 * A payload's serialization with its metadata in key order: two equal messages parsed from
 * different bytes may list map entries in different orders. Unknown fields are kept
 * (protobufjs keeps them on the decoded message).
 */
export function canonical(payload: Payload): string {
  const copy = PayloadMessage.decode(reader(PayloadMessage.encode(payload).finish()));
  const sorted: Record<string, Uint8Array> = {};
  for (const key of Object.keys(copy.metadata).sort()) sorted[key] = copy.metadata[key];
  copy.metadata = sorted;
  return hex(PayloadMessage.encode(copy).finish());
}

export function canonicalAll(payloads: Payload[]): string[] {
  return payloads.map(canonical);
}

export function jsonPayload(value: unknown): Payload {
  return { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) };
}

/** Runs the project's Python (the .venv with the real temporalio SDK and the reference codec). */
export function python(args: string[], input?: string): string {
  if (!fs.existsSync(VENV_PYTHON)) {
    throw new Error(`${VENV_PYTHON} is missing: run scripts/setup.sh (bindings/node/test.sh does)`);
  }
  const run = spawnSync(VENV_PYTHON, args, { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (run.status !== 0) {
    throw new Error(`${VENV_PYTHON} ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
  }
  return run.stdout;
}

/** Asserts that `promise` rejects with exactly `cls`, the status and a message containing `fragment`. */
export async function rejectsWith(
  what: string,
  call: () => unknown,
  cls: typeof tpc.TpcError,
  fragment: string,
): Promise<void> {
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  if (!(error instanceof tpc.TpcError)) throw new Error(`${what}: expected ${cls.name}, got ${String(error)}`);
  if (error.constructor !== cls) throw new Error(`${what}: expected ${cls.name}, got ${error.name}: ${error.message}`);
  if (error.status !== cls.STATUS || error.statusName !== cls.STATUS_NAME) {
    throw new Error(`${what}: status ${error.status} ${error.statusName}, expected ${cls.STATUS} ${cls.STATUS_NAME}`);
  }
  if (!error.message.includes(fragment))
    throw new Error(`${what}: message ${JSON.stringify(error.message)} lacks ${JSON.stringify(fragment)}`);
}
