// The C ABI through koffi: finding the library, the ABI check, every function this binding
// calls, and the two ways a result leaves native memory.

import * as fs from 'node:fs';
import * as path from 'node:path';
// koffi's types are those of its ES module; its CommonJS entry exports the same object.
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };
import { errorFor } from './errors';

/** The ABI this binding was written against (`TPC_ABI_VERSION` of the header). */
export const ABI_VERSION = 2;

export const LIBRARY_ENV = 'TPC_LIBRARY_PATH';
const LIBRARY_FILE = `libtemporal_payload_codec.so.${ABI_VERSION}`;
/** The `${process.platform}-${process.arch}` folders the npm package carries under native/. */
export const SUPPORTED_PLATFORMS: readonly string[] = ['linux-x64', 'linux-arm64'];

// Pointers are BigInts in koffi 3. Out-parameters are passed as typed arrays: koffi hands the
// library a pointer to their storage, which is cheaper than marshalling a struct both ways.
// A `tpc_buffer` is two 64-bit words, data and len (both supported platforms are LP64).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const koffi = require('koffi') as typeof Koffi;
type Fn = ReturnType<Koffi.LibraryHandle['func']>;

export interface Native {
  readonly path: string;
  readonly builderNew: Fn;
  readonly setCompression: Fn;
  readonly setOnlyIfSmaller: Fn;
  readonly setZlibLevel: Fn;
  readonly setMaxDecodedSize: Fn;
  readonly setMaxTotalDecodedSize: Fn;
  readonly addKey: Fn;
  readonly setEncryptionKeyId: Fn;
  readonly build: Fn;
  readonly encode: Fn;
  readonly decode: Fn;
  readonly decodeInto: Fn;
  readonly codecFree: Fn;
  readonly bufferFree: Fn;
  readonly statusStr: Fn;
  readonly version: Fn;
  readonly abiVersion: Fn;
  readonly memcpy: Fn;
}

function packagedPath(): string {
  return path.join(__dirname, '..', 'native', `${process.platform}-${process.arch}`, LIBRARY_FILE);
}

function open(): Native {
  const override = process.env[LIBRARY_ENV];
  const file = override ? path.resolve(override) : packagedPath();
  if (!fs.existsSync(file)) {
    const where = override
      ? `${LIBRARY_ENV} names ${file}, which does not exist`
      : `this package has no library for ${process.platform}-${process.arch} (looked for ${file})`;
    throw new Error(
      `temporal-payload-codec: ${where}. The package carries the library for ` +
        `${SUPPORTED_PLATFORMS.join(' and ')}; elsewhere build it (scripts/build-lib.sh) and set ` +
        `${LIBRARY_ENV} to the file (target/release/libtemporal_payload_codec.so).`,
    );
  }
  const lib = koffi.load(file);
  // The ABI version first: calling anything else in a library of another ABI would be
  // undefined behaviour, so nothing else is looked up before it matches.
  const found = lib.func('uint32_t tpc_abi_version(void)')() as number;
  if (found !== ABI_VERSION) {
    throw new Error(
      `temporal-payload-codec: ${file} implements ABI version ${found}, this binding needs ABI ` +
        `version ${ABI_VERSION}; install the binding that matches the library (or rebuild both)`,
    );
  }
  const fn = (prototype: string): Fn => {
    try {
      return lib.func(prototype);
    } catch (e) {
      // Same ABI version but an older library: functions are only ever added.
      throw new Error(
        `temporal-payload-codec: ${file} lacks a function this binding needs (${prototype}): ` +
          `${(e as Error).message}; install the binding that matches the library`,
        { cause: e },
      );
    }
  };
  return {
    path: file,
    builderNew: fn('void *tpc_codec_builder_new(void)'),
    setCompression: fn('uint32_t tpc_codec_builder_set_compression(void *b, uint32_t c)'),
    setOnlyIfSmaller: fn('uint32_t tpc_codec_builder_set_only_if_smaller(void *b, uint32_t on)'),
    setZlibLevel: fn('uint32_t tpc_codec_builder_set_zlib_level(void *b, uint32_t level)'),
    setMaxDecodedSize: fn('uint32_t tpc_codec_builder_set_max_decoded_size(void *b, uint64_t n)'),
    setMaxTotalDecodedSize: fn('uint32_t tpc_codec_builder_set_max_total_decoded_size(void *b, uint64_t n)'),
    addKey: fn(
      'uint32_t tpc_codec_builder_add_key(void *b, const uint8_t *id, size_t id_len, const uint8_t *key, size_t key_len)',
    ),
    setEncryptionKeyId: fn(
      'uint32_t tpc_codec_builder_set_encryption_key_id(void *b, const uint8_t *id, size_t id_len)',
    ),
    build: fn('uint32_t tpc_codec_build(void *b, void *out, void *err)'),
    encode: fn('uint32_t tpc_codec_encode(void *c, const uint8_t *in, size_t len, void *out, void *err)'),
    decode: fn('uint32_t tpc_codec_decode(void *c, const uint8_t *in, size_t len, void *out, void *err)'),
    decodeInto: fn(
      'uint32_t tpc_codec_decode_into(void *c, const uint8_t *in, size_t len, uint8_t *dst, size_t cap, void *out_len, void *err)',
    ),
    codecFree: fn('void tpc_codec_free(void *c)'),
    bufferFree: fn('void tpc_buffer_free(void *b)'),
    statusStr: fn('const char *tpc_status_str(uint32_t status)'),
    version: fn('const char *tpc_version(void)'),
    abiVersion: fn('uint32_t tpc_abi_version(void)'),
    // The C library's, found through the codec library's own dependencies.
    memcpy: fn('void *memcpy(void *dst, const void *src, size_t n)'),
  };
}

let loaded: Native | undefined;

/** The library, opened and checked on first use (so that importing the package never fails). */
export function native(): Native {
  loaded ??= open();
  return loaded;
}

/** A `tpc_buffer` the library may fill: [data, len]. */
export function newBuffer(): BigUint64Array {
  return new BigUint64Array(2);
}

/**
 * Copies a filled `tpc_buffer` into JS memory (memcpy into a Buffer), then releases it.
 * Not koffi's own ways (koffi 3.3.4, measured with mallinfo2): koffi.view gives an external
 * ArrayBuffer whose bookkeeping, a small native block, lives until garbage collection, and
 * those blocks scattered through the heap kept malloc from reusing freed memory (the heap
 * grew by 300 KB per zlib encode, each call faulting fresh pages in: 190 µs instead of 14 µs
 * for 200 bytes); koffi.decode leaks about 18 bytes per call.
 */
export function take(lib: Native, buffer: BigUint64Array): Buffer {
  try {
    const len = Number(buffer[1]);
    if (len === 0) return Buffer.alloc(0);
    const copy = Buffer.allocUnsafe(len);
    lib.memcpy(copy, buffer[0], len);
    return copy;
  } finally {
    lib.bufferFree(buffer);
  }
}

const utf8 = new TextDecoder();

/** Throws the error for a failed status, with the library's message from `err` (released). */
export function check(lib: Native, status: number, err: BigUint64Array): void {
  if (status === 0) return;
  const message = utf8.decode(take(lib, err));
  throw errorFor(status, message, lib.statusStr(status) as string);
}
