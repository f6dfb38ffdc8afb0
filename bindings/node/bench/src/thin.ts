// Thin koffi calls of the C ABI, with no binding in between: the floor the package's own calls
// are compared with (the FFI crossing cost), and a stand-in for the package while it cannot
// be loaded (every table then says so).
import koffi from 'koffi';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Compression, OurCodec, OurCodecOptions } from './ours.js';

const Payloads = temporal.api.common.v1.Payloads;

const COMPRESSION: Record<Compression, number> = { none: 0, snappy: 1, 'snappy-raw': 2, zlib: 3 };

/** A `tpc_buffer` the library fills: [data, len] (LP64), passed by pointer to its storage. */
export type TpcBuffer = BigUint64Array;

export const newBuffer = (): TpcBuffer => new BigUint64Array(2);

type Call = (codec: unknown, input: Uint8Array, len: number, out: TpcBuffer, err: TpcBuffer) => number;
type AsyncCall = (
  codec: unknown,
  input: Uint8Array,
  len: number,
  out: TpcBuffer,
  err: TpcBuffer,
  callback: (failure: unknown, status: number) => void,
) => void;

/** The C functions this file calls, typed. */
export interface ThinLibrary {
  abiVersion: () => number;
  version: () => string;
  codecEncode: Call;
  codecEncodeAsync: AsyncCall;
  codecDecode: Call;
  codecDecodeAsync: AsyncCall;
  newCodec: (compression: Compression) => unknown;
  take: (buffer: TpcBuffer) => Buffer;
}

export function loadThin(path: string): ThinLibrary {
  const lib = koffi.load(path);
  // Pointers are BigInts in koffi 3; out-parameters are typed arrays, the cheapest marshalling.
  const abiVersion = lib.func('uint32_t tpc_abi_version(void)');
  const version = lib.func('const char *tpc_version(void)');
  const builderNew = lib.func('void *tpc_codec_builder_new(void)');
  const setCompression = lib.func('uint32_t tpc_codec_builder_set_compression(void *b, uint32_t compression)');
  const build = lib.func('uint32_t tpc_codec_build(void *b, void *out, void *err)');
  const encode = lib.func('uint32_t tpc_codec_encode(void *c, const uint8_t *in, size_t len, void *out, void *err)');
  const decode = lib.func('uint32_t tpc_codec_decode(void *c, const uint8_t *in, size_t len, void *out, void *err)');
  const bufferFree = lib.func('void tpc_buffer_free(void *b)');

  const take = (buffer: TpcBuffer): Buffer => {
    const len = Number(buffer[1]);
    // koffi.decode copies; a koffi.view would leave an external ArrayBuffer's bookkeeping
    // until GC, which the package found to keep malloc from reusing freed zlib state.
    const copy = len === 0 ? new Uint8Array(0) : (koffi.decode(buffer[0], 'uint8_t', len) as Uint8Array);
    const bytes = Buffer.from(copy.buffer, copy.byteOffset, copy.length);
    bufferFree(buffer);
    return bytes;
  };

  return {
    abiVersion: () => abiVersion() as number,
    version: () => version() as string,
    codecEncode: (...args) => encode(...args) as number,
    codecEncodeAsync: (...args) => {
      encode.async(...args);
    },
    codecDecode: (...args) => decode(...args) as number,
    codecDecodeAsync: (...args) => {
      decode.async(...args);
    },
    newCodec: (compression) => {
      const builder: unknown = builderNew();
      const status = setCompression(builder, COMPRESSION[compression]) as number;
      const codec = new BigUint64Array(1);
      const err = newBuffer();
      const built = build(builder, codec, err) as number;
      if (status !== 0 || built !== 0) {
        throw new Error(`tpc_codec_build: status ${String(built)}: ${take(err).toString()}`);
      }
      return codec[0];
    },
    take,
  };
}

/** A PayloadCodec on the thin calls, shaped like the package's `Codec`. */
export class ThinCodec implements OurCodec {
  readonly #lib: ThinLibrary;
  readonly #codec: unknown;
  readonly #asyncThreshold: number;

  constructor(lib: ThinLibrary, options: OurCodecOptions = {}) {
    this.#lib = lib;
    this.#codec = lib.newCodec(options.compression ?? 'snappy');
    this.#asyncThreshold = options.asyncThreshold ?? Infinity;
  }

  #call(encode: boolean, input: Uint8Array): Buffer {
    const out = newBuffer();
    const err = newBuffer();
    const status = (encode ? this.#lib.codecEncode : this.#lib.codecDecode)(this.#codec, input, input.length, out, err);
    return this.#result(status, out, err);
  }

  #callAsync(encode: boolean, input: Uint8Array): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const out = newBuffer();
      const err = newBuffer();
      (encode ? this.#lib.codecEncodeAsync : this.#lib.codecDecodeAsync)(
        this.#codec,
        input,
        input.length,
        out,
        err,
        (failure: unknown, status: number) => {
          if (failure != null) {
            reject(new Error('koffi async call failed', { cause: failure }));
            return;
          }
          try {
            resolve(this.#result(status, out, err));
          } catch (e) {
            reject(e instanceof Error ? e : new Error('decoding the result failed', { cause: e }));
          }
        },
      );
    });
  }

  #result(status: number, out: TpcBuffer, err: TpcBuffer): Buffer {
    if (status !== 0) {
      throw new Error(`tpc status ${String(status)}: ${this.#lib.take(err).toString()}`);
    }
    return this.#lib.take(out);
  }

  encodeBytes(payloads: Uint8Array): Uint8Array {
    return this.#call(true, payloads);
  }

  decodeBytes(payloads: Uint8Array): Uint8Array {
    return this.#call(false, payloads);
  }

  encodeBytesAsync(payloads: Uint8Array): Promise<Uint8Array> {
    return this.#callAsync(true, payloads);
  }

  decodeBytesAsync(payloads: Uint8Array): Promise<Uint8Array> {
    return this.#callAsync(false, payloads);
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    return this.#batch(true, payloads);
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return this.#batch(false, payloads);
  }

  async #batch(encode: boolean, payloads: Payload[]): Promise<Payload[]> {
    const input = Payloads.encode({ payloads }).finish();
    const output =
      input.length >= this.#asyncThreshold ? await this.#callAsync(encode, input) : this.#call(encode, input);
    return Payloads.decode(output).payloads;
  }
}
