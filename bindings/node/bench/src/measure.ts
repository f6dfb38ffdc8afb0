// Interleaved timing: every round measures each row's cases one after the other, in an order
// rotated from round to round, so machine noise and warm caches hit them all alike; a case's
// figure is the median over rounds of its time per call in a block of calls.
import { performance } from 'node:perf_hooks';

export interface Case {
  /** The table row (a batch), and the column within it. */
  row: string;
  column: string;
  /** One call; a Promise is awaited before the next call starts. */
  run: () => unknown;
  /** Calls one `run` makes (a run that starts 8 calls at once counts 8). */
  calls?: number;
}

export interface Result {
  /** Median wall time per call, ns. */
  ns: number;
  /**
   * Median CPU time per call, ns: user and system, all threads of the process (so a worker
   * thread's work counts). Unlike wall time, waiting for a CPU on a busy machine adds nothing.
   */
  cpuNs: number;
  /** Median time per call the event loop was busy (not waiting for I/O or a worker), ns. */
  busyNs: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

async function block(c: Case, iterations: number): Promise<Result> {
  gc?.();
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const r = c.run();
    if (r instanceof Promise) await r;
  }
  const ns = Number(process.hrtime.bigint() - start);
  const cpuUsed = process.cpuUsage(cpu);
  const busy = performance.eventLoopUtilization(elu);
  const calls = iterations * (c.calls ?? 1);
  // A loop of synchronous calls never yields, so the event loop counts none of it as idle.
  return {
    ns: ns / calls,
    cpuNs: ((cpuUsed.user + cpuUsed.system) * 1e3) / calls,
    busyNs: Math.min(ns, busy.active * 1e6) / calls,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

export const key = (row: string, column: string): string => `${row}\u0000${column}`;

/**
 * Runs `cases` for `rounds` rounds of blocks of about `blockMs` each; returns the medians by
 * `key(row, column)`. A `blockMs` of 0 makes each block one call, with no warm-up.
 */
export async function measure(cases: Case[], rounds: number, blockMs: number): Promise<Map<string, Result>> {
  const iterations = new Map<Case, number>();
  for (const c of blockMs > 0 ? cases : []) {
    // Warm up, then size the block from the time of a few calls.
    await block(c, 3);
    let n = 1;
    let took = 0;
    while (took < blockMs * 1e6 * 0.25) {
      n *= 2;
      took = (await block(c, n)).ns * n * (c.calls ?? 1);
    }
    iterations.set(c, Math.max(1, Math.round((n * blockMs * 1e6) / took)));
  }
  const rows = new Map<string, Case[]>();
  for (const c of cases) rows.set(c.row, [...(rows.get(c.row) ?? []), c]);
  const samples = new Map<Case, Result[]>();
  for (let round = 0; round < rounds; round++) {
    for (const row of rows.values()) {
      for (let i = 0; i < row.length; i++) {
        const c = row[(i + round) % row.length];
        if (c === undefined) continue;
        const result = await block(c, iterations.get(c) ?? 1);
        samples.set(c, [...(samples.get(c) ?? []), result]);
      }
    }
  }
  const out = new Map<string, Result>();
  for (const [c, results] of samples) {
    out.set(key(c.row, c.column), {
      ns: median(results.map((r) => r.ns)),
      cpuNs: median(results.map((r) => r.cpuNs)),
      busyNs: median(results.map((r) => r.busyNs)),
    });
  }
  return out;
}

export function formatTime(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
