// The workflow of the workflow test (bundled by @temporalio/worker into its sandbox).

import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './activities';

export interface Order {
  customer: string;
  items: string[];
}

export interface Receipt {
  summary: string;
  itemCount: number;
}

const { describeOrder } = proxyActivities<typeof activities>({ startToCloseTimeout: '30 seconds' });

export async function orderWorkflow(order: Order): Promise<Receipt> {
  return { summary: await describeOrder(order), itemCount: order.items.length };
}
