// The cross-language demo's TypeScript worker (demo/crosslang.py starts it): it hosts the
// QuoteShipping activity that the Go CrossLanguageWorkflow calls on TPC_SHIPPING_QUEUE
// (default tpc-node), with every payload through the codec of ./data-converter.
//   TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE (default default)

import { NativeConnection, Worker } from '@temporalio/worker';
import { codec, dataConverter } from './data-converter';

interface Order {
  customer: string;
  items: string[];
}

// An activity's name is its key here: the Go workflow calls "QuoteShipping".
const activities = {
  QuoteShipping(order: Order): Promise<string> {
    const days = 1 + Math.ceil(order.items.length / 2);
    return Promise.resolve(`${order.items.length} items to ${order.customer} in ${days} days (quoted by typescript)`);
  },
};

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env['TEMPORAL_ADDRESS'] || '127.0.0.1:7233' });
  const taskQueue = process.env['TPC_SHIPPING_QUEUE'] || 'tpc-node';
  const worker = await Worker.create({
    connection,
    namespace: process.env['TEMPORAL_NAMESPACE'] || 'default',
    taskQueue,
    activities,
    dataConverter,
  });
  console.log(`worker: QuoteShipping on ${taskQueue}`);
  // run() resolves after SIGINT or SIGTERM, once the activities in flight have finished.
  await worker.run();
  await connection.close();
  codec.close();
  console.log('worker: stopped');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
