// The demo's TypeScript worker: hosts the QuoteShipping activity that the Go
// CrossLanguageWorkflow calls on TPC_SHIPPING_QUEUE (default "tpc-node"), with every payload
// encoded by temporal-payload-codec (the codec from the environment, see env.ts).
//   TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE (default "default")
import { NativeConnection, Worker } from '@temporalio/worker';
import { codecFromEnv } from './env';

interface Order {
  customer: string;
  items: string[];
}

// An activity name is its key in this object: the Go workflow calls "QuoteShipping".
const activities = {
  async QuoteShipping(order: Order): Promise<string> {
    const days = 1 + Math.ceil(order.items.length / 2);
    return `${order.items.length} items to ${order.customer} in ${days} days (quoted by typescript)`;
  },
};

async function main(): Promise<void> {
  const codec = codecFromEnv();
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS || '127.0.0.1:7233' });
  const taskQueue = process.env.TPC_SHIPPING_QUEUE || 'tpc-node';
  const worker = await Worker.create({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE || 'default',
    taskQueue,
    activities,
    dataConverter: { payloadCodecs: [codec] },
  });
  console.log(`worker: QuoteShipping on ${taskQueue}`);
  // Worker.run resolves after SIGINT or SIGTERM, once in-flight activities have finished.
  await worker.run();
  await connection.close();
  codec.close();
  console.log('worker: stopped');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
