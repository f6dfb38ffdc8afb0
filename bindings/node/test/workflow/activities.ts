// The activity of the workflow test, run by the test's worker.

import type { Order } from './workflows';

export function describeOrder(order: Order): Promise<string> {
  return Promise.resolve(`Order for ${order.customer}: ${order.items.join(', ')} (described by node)`);
}
