// The binding under test: the package in bindings/node (its built dist/index.js), loaded by
// path so the bench compiles and runs while the package changes; or, when asked or when the
// package cannot be loaded, thin koffi calls of the C ABI shaped like it (thin.ts).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { PayloadCodec } from '@temporalio/common';
import { ThinCodec, type ThinLibrary } from './thin.js';

export type Compression = 'snappy' | 'snappy-raw' | 'zlib' | 'none';

export interface OurCodecOptions {
  compression?: Compression;
  /** Serialized bytes at or above which `encode`/`decode` run on a worker thread. */
  asyncThreshold?: number;
}

/** The part of the package's `Codec` the bench uses. */
export interface OurCodec extends PayloadCodec {
  encodeBytes(payloads: Uint8Array): Uint8Array;
  decodeBytes(payloads: Uint8Array): Uint8Array;
  encodeBytesAsync(payloads: Uint8Array): Promise<Uint8Array>;
  decodeBytesAsync(payloads: Uint8Array): Promise<Uint8Array>;
}

export interface Ours {
  /** What the tables call it: the package, or the thin stand-in. */
  label: string;
  make(options?: OurCodecOptions): OurCodec;
}

type CodecClass = new (options?: OurCodecOptions) => OurCodec;

export function loadOurs(packageDir: string, thin: ThinLibrary, forceThin: boolean): Ours {
  const entry = resolve(packageDir, 'dist/index.js');
  if (!forceThin) {
    if (!existsSync(entry)) {
      throw new Error(`the package is not built: no ${entry} (run npm run build in ${packageDir})`);
    }
    const loaded = createRequire(entry)(entry) as { Codec?: CodecClass };
    const Codec = loaded.Codec;
    if (Codec === undefined) throw new Error(`${entry} exports no Codec`);
    return { label: 'temporal-payload-codec (the package)', make: (options) => new Codec(options) };
  }
  return {
    label: 'thin koffi calls of the C ABI (bench/src/thin.ts, NOT the package)',
    make: (options) => new ThinCodec(thin, options),
  };
}
