// temporal-payload-codec: one Temporal payload codec for every language, for Node.js.

import { ABI_VERSION, native } from './native';

export { Codec, Compression, DEFAULT_ASYNC_THRESHOLD, DEFAULT_ZLIB_ASYNC_THRESHOLD } from './codec';
export type { CodecOptions, CompressionName, KeyId } from './codec';
export {
  BufferTooSmallError,
  CodecClosedError,
  CorruptPayloadError,
  DecryptFailedError,
  InternalError,
  InvalidArgumentError,
  LimitExceededError,
  MalformedInputError,
  NullArgumentError,
  TpcError,
  UnknownKeyError,
} from './errors';
export { ABI_VERSION };

/** The loaded library's version, e.g. `"0.2.0"`. */
export function version(): string {
  return native().version() as string;
}

/** The loaded library's ABI version (always `ABI_VERSION`: another is refused at load). */
export function abiVersion(): number {
  return native().abiVersion() as number;
}

/** Where the loaded shared library lives (the package's copy, or `TPC_LIBRARY_PATH`). */
export function libraryPath(): string {
  return native().path;
}
