// Encodes some values the way a Temporal worker would (the SDK's payload converter, then the
// codec of ./data-converter), prints what the server would store, decodes it back and checks
// that the values survive. Runnable as is:
//   npm run build && npm run build:tests && node build/examples/roundtrip.js
//   TPC_COMPRESSION=zlib TPC_KEY_HEX=$(openssl rand -hex 32) node build/examples/roundtrip.js

import { isDeepStrictEqual } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import { libraryPath, version } from 'temporal-payload-codec';
import { codec } from './data-converter';

async function main(): Promise<void> {
  const values: unknown[] = [
    { orderId: 'A-1', customer: 'Ada Lovelace', items: ['analytical engine', 'punch cards'] },
    'a string that repeats, a string that repeats, a string that repeats',
    new Uint8Array([0, 1, 2, 3]),
  ];
  const payloads = values.map((v) => defaultPayloadConverter.toPayload(v));
  const encoded = await codec.encode(payloads);
  console.log(`temporal-payload-codec ${version()} (${libraryPath()}), codec ${JSON.stringify(codec)}`);
  for (const [i, p] of encoded.entries()) {
    const metadata = Object.entries(p.metadata ?? {}).map(([k, v]) => `${k}=${Buffer.from(v).toString()}`);
    console.log(
      `payload ${i}: ${payloads[i]?.data?.length ?? 0} bytes -> ${p.data?.length ?? 0} bytes, ${metadata.join(' ')}`,
    );
  }
  const decoded = await codec.decode(encoded);
  const back = decoded.map((p) => defaultPayloadConverter.fromPayload(p));
  if (!isDeepStrictEqual(back, values)) throw new Error('the values changed on their way through the codec');
  console.log('decoded: all values back');
  codec.close();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
  process.exit(1);
});
