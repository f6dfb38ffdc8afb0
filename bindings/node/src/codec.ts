// The Codec: an @temporalio/common PayloadCodec over the library's configured codec.

import { inspect } from 'node:util';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { CodecClosedError, InternalError, InvalidArgumentError } from './errors';
import { check, native, newBuffer, take, type Native } from './native';
import { parsePayloads, serializePayloads } from './wire';

/** The compression layer (`TPC_COMPRESSION_*`). */
export enum Compression {
  None = 0,
  /** `binary/snappy`, framing format: the reference codec (the default). */
  Snappy = 1,
  /** `binary/snappy`, one raw block: the Go codec-server sample's dialect. */
  SnappyRaw = 2,
  /** `binary/zlib`, as the Go and Java SDKs write it. */
  Zlib = 3,
}

export type CompressionName = 'none' | 'snappy' | 'snappy-raw' | 'zlib';

const COMPRESSION_NAMES: ReadonlyMap<string, number> = new Map([
  ['none', Compression.None],
  ['snappy', Compression.Snappy],
  ['snappy-raw', Compression.SnappyRaw],
  ['zlib', Compression.Zlib],
]);

/** A key id: any bytes, the empty id included; a string stands for its UTF-8 bytes. */
export type KeyId = string | Uint8Array;

/** The library's builder options, by the other bindings' names in camelCase (see README). */
export interface CodecOptions {
  /** Default `'snappy'` (framing format, the reference codec). */
  compression?: CompressionName | Compression;
  /** AES-256 keys (32 bytes each) by key id; decoding picks the key a payload names. */
  keys?: Record<string, Uint8Array> | Map<KeyId, Uint8Array>;
  /** The id of the key that encrypts; encryption is on exactly when this is set. */
  encryptionKeyId?: KeyId;
  /** The most bytes one payload may decode to, per layer (default 64 MiB). */
  maxDecodedSize?: number | bigint;
  /** The most bytes one decode call may produce (default 256 MiB). */
  maxTotalDecodedSize?: number | bigint;
  /** Keep a payload unwrapped when compression does not make it smaller (default false). */
  onlyIfSmaller?: boolean;
  /** 0 to 9 (default 6). */
  zlibLevel?: number;
  /**
   * `encode`/`decode` run batches whose serialized size is at least this many bytes on a
   * worker thread, smaller ones synchronously (default `DEFAULT_ASYNC_THRESHOLD`, and
   * `DEFAULT_ZLIB_ASYNC_THRESHOLD` with zlib compression).
   */
  asyncThreshold?: number;
}

/**
 * Batches from this size up leave the event loop (README, "Async threshold", has the
 * measurement, tools/async-threshold.ts): below it, a worker-thread call costs the event loop
 * more time than the call itself.
 */
export const DEFAULT_ASYNC_THRESHOLD = 128 * 1024;

/** The default for zlib codecs, whose encode costs more per byte than snappy's (same measurement). */
export const DEFAULT_ZLIB_ASYNC_THRESHOLD = 8 * 1024;

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'compression',
  'keys',
  'encryptionKeyId',
  'maxDecodedSize',
  'maxTotalDecodedSize',
  'onlyIfSmaller',
  'zlibLevel',
  'asyncThreshold',
]);

// koffi refuses an async call when max_async_calls (256 by default) are already running or
// queued; calls beyond this many wait here instead, so that any number may be made at once.
const MAX_NATIVE_ASYNC = 128;
let nativeAsync = 0;
const waiting: (() => void)[] = [];

/** Calls `fn` on one of koffi's worker threads; resolves to its status. */
function callOnWorker(fn: Native['encode'], args: unknown[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = (): void => {
      nativeAsync++;
      const done = (): void => {
        nativeAsync--;
        waiting.shift()?.();
      };
      try {
        fn.async(...args, (err: unknown, status: number) => {
          done();
          if (err) reject(err instanceof Error ? err : new InternalError(`koffi: ${JSON.stringify(err)}`));
          else resolve(status);
        });
      } catch (e) {
        done();
        reject(e instanceof Error ? e : new InternalError(`koffi: ${JSON.stringify(e)}`));
      }
    };
    if (nativeAsync < MAX_NATIVE_ASYNC) start();
    else waiting.push(start);
  });
}

function compression(value: CompressionName | Compression): number {
  if (typeof value === 'string') {
    const known = COMPRESSION_NAMES.get(value);
    if (known === undefined) {
      throw new InvalidArgumentError(
        `unknown compression ${JSON.stringify(value)}; expected one of ${[...COMPRESSION_NAMES.keys()].join(', ')}`,
      );
    }
    return known;
  }
  // Any other number reaches the library, which rejects unknown algorithms with its message.
  return Number(unsigned('compression', value, 32));
}

function unsigned(what: string, value: unknown, bits: 32 | 64): number | bigint {
  // koffi would silently wrap a negative or oversized number: say what was wrong instead.
  if (typeof value === 'bigint') {
    if (value < 0n || value >= 1n << BigInt(bits)) {
      throw new InvalidArgumentError(`${what} ${value} is out of range`);
    }
    return value;
  }
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value)) throw new TypeError(`${what} must be an integer, got ${value}`);
  if (value < 0 || value >= 2 ** bits || !Number.isSafeInteger(value)) {
    throw new InvalidArgumentError(`${what} ${value} is out of range`);
  }
  return value;
}

function keyIdBytes(what: string, value: unknown): Uint8Array {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return value;
  throw new TypeError(`${what} must be a string or a Uint8Array, got ${typeof value}`);
}

function bytesInput(what: string, value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new TypeError(`${what} must be a Uint8Array (a serialized Payloads), got ${typeof value}`);
}

/** A key id in messages: quoted text, or hex for bytes. */
function describeKeyId(id: KeyId): string {
  return typeof id === 'string' ? JSON.stringify(id) : `0x${Buffer.from(id).toString('hex')}`;
}

/** A key id in inspect() and toJSON(): the text itself, or hex for bytes. */
function showKeyId(id: KeyId): string {
  return typeof id === 'string' ? id : `0x${Buffer.from(id).toString('hex')}`;
}

const syncOut = newBuffer();
const syncErr = newBuffer();
const syncLen = new BigUint64Array(1);

// Inputs of synchronous calls up to this size are framed into one reused buffer: the library
// reads them only during the call, and a fresh buffer per call costs more than the framing
// itself for large batches (allocating fresh memory, then collecting it).
const SCRATCH_SIZE = 128 * 1024;
let scratch: Buffer | undefined;
let scratchFree = true;

const BUFFER_TOO_SMALL = 8;
// Results up to this size are decoded straight into JavaScript memory; larger ones (the
// library's limits allow up to 256 MiB by default) go through tpc_codec_decode.
const DECODE_INTO_MAX = 1 << 30;

// A codec that is never closed is released when it is garbage-collected.
const finalizers = new FinalizationRegistry<bigint>((handle) => {
  native().codecFree(handle);
});

/**
 * A Temporal payload codec backed by the shared temporal-payload-codec library.
 *
 * `new Codec()` is the reference codec of Temporal's documentation, byte for byte (snappy
 * framing format of each serialized payload, metadata `{"encoding": "binary/snappy"}`). Encode
 * compresses, then encrypts (when `encryptionKeyId` is set). Decode peels every layer the
 * library knows and passes anything else through. A codec may serve any number of concurrent
 * calls.
 */
export class Codec implements PayloadCodec {
  #handle: bigint | null;
  #closed = false;
  // Async calls holding the native codec: close() leaves freeing it to the last of them.
  #inFlight = 0;
  readonly #asyncThreshold: number;
  // Synchronous decodes write straight into a JavaScript Buffer (tpc_codec_decode_into),
  // except with zlib, whose size the library learns only by inflating (it would inflate twice).
  readonly #decodeInto: boolean;
  // What inspect() and toJSON() show: no key bytes are kept on the JS side at all.
  readonly #summary: {
    compression: string;
    keyIds: string[];
    encryptionKeyId: string | null;
    asyncThreshold: number;
  };

  constructor(options: CodecOptions = {}) {
    for (const name of Object.keys(options)) {
      if (!OPTION_NAMES.has(name)) {
        throw new TypeError(`unknown codec option ${JSON.stringify(name)}; known: ${[...OPTION_NAMES].join(', ')}`);
      }
    }
    const keys: [KeyId, Uint8Array][] =
      options.keys instanceof Map ? [...options.keys] : Object.entries(options.keys ?? {});
    const algorithm: number = options.compression === undefined ? Compression.Snappy : compression(options.compression);
    const defaultThreshold =
      algorithm === Number(Compression.Zlib) ? DEFAULT_ZLIB_ASYNC_THRESHOLD : DEFAULT_ASYNC_THRESHOLD;
    this.#asyncThreshold =
      options.asyncThreshold === undefined
        ? defaultThreshold
        : Number(unsigned('asyncThreshold', options.asyncThreshold, 64));
    this.#decodeInto = algorithm !== Number(Compression.Zlib);
    this.#handle = build(options, keys);
    finalizers.register(this, this.#handle, this);
    this.#summary = {
      compression: [...COMPRESSION_NAMES].find(([, v]) => v === algorithm)?.[0] ?? String(algorithm),
      keyIds: keys.map(([id]) => showKeyId(id)),
      encryptionKeyId: options.encryptionKeyId === undefined ? null : showKeyId(options.encryptionKeyId),
      asyncThreshold: this.#asyncThreshold,
    };
  }

  /** Encodes a batch of payloads (compress, then encrypt if configured). */
  encode(payloads: Payload[]): Promise<Payload[]> {
    return this.#payloads('encode', payloads);
  }

  /** Decodes a batch of payloads, peeling every layer the library knows. */
  decode(payloads: Payload[]): Promise<Payload[]> {
    return this.#payloads('decode', payloads);
  }

  /** Encodes a serialized `Payloads`; returns the serialized encoded `Payloads`. */
  encodeBytes(serializedPayloads: Uint8Array): Uint8Array {
    return this.#call(native().encode, bytesInput('encodeBytes input', serializedPayloads));
  }

  /** Decodes a serialized `Payloads`; returns the serialized decoded `Payloads`. */
  decodeBytes(serializedPayloads: Uint8Array): Uint8Array {
    return this.#call(native().decode, bytesInput('decodeBytes input', serializedPayloads));
  }

  /** `encodeBytes` on a worker thread. Do not modify the input until the promise settles. */
  async encodeBytesAsync(serializedPayloads: Uint8Array): Promise<Uint8Array> {
    return this.#callAsync(native().encode, bytesInput('encodeBytesAsync input', serializedPayloads));
  }

  /** `decodeBytes` on a worker thread. Do not modify the input until the promise settles. */
  async decodeBytesAsync(serializedPayloads: Uint8Array): Promise<Uint8Array> {
    return this.#callAsync(native().decode, bytesInput('decodeBytesAsync input', serializedPayloads));
  }

  /**
   * Releases the native codec and wipes its keys. Calls already made complete first (the codec
   * is freed after the last of them); later calls throw `CodecClosedError`. Closing twice is
   * harmless.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#inFlight === 0) this.#free();
  }

  get closed(): boolean {
    return this.#closed;
  }

  toJSON(): object {
    return { ...this.#summary, closed: this.#closed };
  }

  [inspect.custom](): string {
    return `Codec ${inspect(this.toJSON())}`;
  }

  #free(): void {
    if (this.#handle === null) return;
    finalizers.unregister(this);
    native().codecFree(this.#handle);
    this.#handle = null;
  }

  #live(): bigint {
    if (this.#closed || this.#handle === null) throw new CodecClosedError();
    return this.#handle;
  }

  // Not an async function: a synchronous batch settles without a second promise (about a
  // microsecond of a 200-byte encode's four). Every failure still becomes a rejection.
  #payloads(op: 'encode' | 'decode', payloads: Payload[]): Promise<Payload[]> {
    const threshold = this.#asyncThreshold;
    let borrowed = false;
    try {
      const fn = native()[op];
      const input = serializePayloads(payloads, (size) => {
        // Only for a synchronous call, and not while another holds it (a payload's getter
        // could call the codec).
        if (scratchFree && size < threshold && size <= SCRATCH_SIZE) {
          scratchFree = false;
          borrowed = true;
          return (scratch ??= Buffer.allocUnsafeSlow(SCRATCH_SIZE)).subarray(0, size);
        }
        return Buffer.allocUnsafe(size);
      });
      if (input.length >= threshold) return this.#callAsync(fn, input).then(parsePayloads);
      const output = op === 'decode' && this.#decodeInto ? this.#decodeIntoBuffer(input) : this.#call(fn, input);
      return Promise.resolve(parsePayloads(output));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new InternalError(String(e)));
    } finally {
      if (borrowed) scratchFree = true;
    }
  }

  #call(fn: Native['encode'], input: Uint8Array): Buffer {
    const handle = this.#live();
    const lib = native();
    // Synchronous calls never overlap, so they share two tpc_buffers (a typed array handed to
    // koffi gets native backing memory, released only by garbage collection). take() and
    // check() free them after use, which zeroes them.
    const out = syncOut;
    const err = syncErr;
    check(lib, fn(handle, input, input.length, out, err) as number, err);
    return take(lib, out);
  }

  // A synchronous decode into a Buffer of the size the library asks for: no library-owned
  // result, no copy out of it (about 15% of a 256 KiB or 1 MiB decode, BENCHMARKS.md). The
  // library reads the size from the headers, then may ask once more with the exact size.
  #decodeIntoBuffer(input: Uint8Array): Buffer {
    const handle = this.#live();
    const lib = native();
    let dst: Buffer | null = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      const status = lib.decodeInto(handle, input, input.length, dst, dst?.length ?? 0, syncLen, syncErr) as number;
      if (status === 0) return dst === null ? Buffer.alloc(0) : dst.subarray(0, Number(syncLen[0]));
      if (status !== BUFFER_TOO_SMALL) check(lib, status, syncErr); // throws
      lib.bufferFree(syncErr);
      const need = Number(syncLen[0]);
      if (need > DECODE_INTO_MAX) break;
      // Zeroed, as the library's contract asks (initialized memory); large ones come from
      // calloc, whose fresh pages are zero already.
      dst = Buffer.alloc(need);
    }
    return this.#call(lib.decode, input);
  }

  async #callAsync(fn: Native['encode'], input: Uint8Array): Promise<Buffer> {
    const handle = this.#live();
    const lib = native();
    this.#inFlight++;
    try {
      const out = newBuffer();
      const err = newBuffer();
      check(lib, await callOnWorker(fn, [handle, input, input.length, out, err]), err);
      return take(lib, out);
    } finally {
      this.#inFlight--;
      if (this.#closed && this.#inFlight === 0) this.#free();
    }
  }
}

/** Builds the native codec; every option is checked before the builder exists. */
function build(options: CodecOptions, keys: [KeyId, Uint8Array][]): bigint {
  const algorithm = options.compression === undefined ? undefined : compression(options.compression);
  const cKeys = keys.map(([id, key]): [Uint8Array, Uint8Array] => {
    const idBytes = keyIdBytes('a key id', id);
    if (!(key instanceof Uint8Array)) {
      throw new TypeError(`the key for id ${describeKeyId(id)} must be a Uint8Array, got ${typeof key}`);
    }
    return [idBytes, key];
  });
  const encryption =
    options.encryptionKeyId === undefined ? undefined : keyIdBytes('encryptionKeyId', options.encryptionKeyId);
  const max = options.maxDecodedSize === undefined ? undefined : unsigned('maxDecodedSize', options.maxDecodedSize, 64);
  const maxTotal =
    options.maxTotalDecodedSize === undefined
      ? undefined
      : unsigned('maxTotalDecodedSize', options.maxTotalDecodedSize, 64);
  const level = options.zlibLevel === undefined ? undefined : unsigned('zlibLevel', options.zlibLevel, 32);
  if (options.onlyIfSmaller !== undefined && typeof options.onlyIfSmaller !== 'boolean') {
    throw new TypeError(`onlyIfSmaller must be a boolean, got ${typeof options.onlyIfSmaller}`);
  }

  const lib = native();
  const builder = lib.builderNew() as bigint | null;
  if (!builder) throw new InternalError('tpc_codec_builder_new returned NULL (out of memory)');
  // A failing setter poisons the builder and tpc_codec_build reports the first error with its
  // message, so the setters' statuses need no check of their own.
  if (algorithm !== undefined) lib.setCompression(builder, algorithm);
  if (options.onlyIfSmaller) lib.setOnlyIfSmaller(builder, 1);
  if (level !== undefined) lib.setZlibLevel(builder, level);
  if (max !== undefined) lib.setMaxDecodedSize(builder, max);
  if (maxTotal !== undefined) lib.setMaxTotalDecodedSize(builder, maxTotal);
  for (const [id, key] of cKeys) lib.addKey(builder, id, id.length, key, key.length);
  if (encryption !== undefined) lib.setEncryptionKeyId(builder, encryption, encryption.length);
  const handle = new BigUint64Array(1);
  const err = newBuffer();
  check(lib, lib.build(builder, handle, err) as number, err); // consumes the builder
  if (handle[0] === 0n) throw new InternalError('tpc_codec_build succeeded but returned NULL');
  return handle[0];
}
