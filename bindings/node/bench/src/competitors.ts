// The PayloadCodecs a TypeScript user would write instead of using the binding, each as the
// reference codec does it: serialize each Payload (`Payload.encode(p).finish()`), compress
// it, and wrap it with metadata {"encoding": <the layer's name>}; decode unwraps only the
// payloads that carry that encoding.
import { deflateSync, inflateSync } from 'node:zlib';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Compressor, Decompressor, compressSync, uncompressSync } from 'snappy';

const ProtoPayload = temporal.api.common.v1.Payload;

function serialize(p: Payload): Uint8Array {
  return ProtoPayload.encode(p).finish();
}

function hasEncoding(p: Payload, encoding: Buffer): boolean {
  const value = p.metadata?.encoding;
  return value != null && encoding.equals(value);
}

const SNAPPY = Buffer.from('binary/snappy');
const ZLIB = Buffer.from('binary/zlib');

/** The `snappy` package's one-shot raw block (the Go codec-server sample's dialect). */
export class SnappyRawCodec implements PayloadCodec {
  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(payloads.map((p) => ({ metadata: { encoding: SNAPPY }, data: compressSync(serialize(p)) })));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(
      payloads.map((p) =>
        hasEncoding(p, SNAPPY)
          ? ProtoPayload.decode(uncompressSync(p.data ?? new Uint8Array(), { asBuffer: true }) as Buffer)
          : p,
      ),
    );
  }
}

/**
 * The `snappy` package's framing format (its streaming `Compressor`/`Decompressor`, the only
 * one-call framing API it has): the reference codec's format.
 */
export class SnappyFramedCodec implements PayloadCodec {
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (p) => {
        const compressor = new Compressor();
        const head = compressor.update(serialize(p));
        const tail = await compressor.finish();
        return { metadata: { encoding: SNAPPY }, data: Buffer.concat([head, tail]) };
      }),
    );
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (p) => {
        if (!hasEncoding(p, SNAPPY)) return p;
        const decompressor = new Decompressor();
        const head = decompressor.update(p.data ?? new Uint8Array());
        const tail = await decompressor.finish();
        return ProtoPayload.decode(Buffer.concat([head, tail]));
      }),
    );
  }
}

/** node:zlib, as the Go and Java SDKs' zlib codecs write it (zlib format, level 6). */
export class NodeZlibCodec implements PayloadCodec {
  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(
      payloads.map((p) => ({
        metadata: { encoding: ZLIB },
        data: deflateSync(serialize(p), { level: 6 }),
      })),
    );
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(
      payloads.map((p) => (hasEncoding(p, ZLIB) ? ProtoPayload.decode(inflateSync(p.data ?? new Uint8Array())) : p)),
    );
  }
}
