// CPU time per encode() call next to the same work through protobufjs's Payloads.encode
// (README, "Serialization"):
//   node bindings/node/build/tools/encode-cost.js

import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Codec } from 'temporal-payload-codec';

const { Payloads } = temporal.api.common.v1;

async function cpuPerCall(n: number, call: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < n / 10; i++) await call();
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await call();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

async function main(): Promise<void> {
  const codec = new Codec({ asyncThreshold: Number.MAX_SAFE_INTEGER }); // the synchronous path
  for (const size of [200, 4096, 65536]) {
    const text = 'lorem ipsum dolor sit amet '.repeat(Math.ceil(size / 27)).slice(0, size);
    const payloads = [defaultPayloadConverter.toPayload({ text })];
    const n = size > 10_000 ? 3000 : 30_000;
    const ours = await cpuPerCall(n, () => codec.encode(payloads));
    const viaProtobufjs = await cpuPerCall(n, () =>
      Promise.resolve(Payloads.decode(codec.encodeBytes(Payloads.encode({ payloads }).finish())).payloads),
    );
    console.log(`${size} B: encode() ${ours.toFixed(2)} µs, through Payloads.encode ${viaProtobufjs.toFixed(2)} µs`);
  }
  codec.close();
}

void main();
