// The activity of the workflow test, run by the test's worker.

import type { Order } from './workflows';

export async function describeOrder(order: Order): Promise<string> {
  return `Order for ${order.customer}: ${order.items.join(', ')} (described by node)`;
}
