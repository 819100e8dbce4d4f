/**
 * What it would cost to move the onnxruntime sessions from worker threads into a child process (issue 12: a native
 * abort in onnxruntime, e.g. on a zero-size tensor, kills the whole server; in a child it would cost one restart).
 *
 * Measures only the hop, with mobilenet_v2's sizes: a request's input (1×3×224×224 FP32, 602,112 bytes) to the session
 * side and its output (1,000 FP32, 4,000 bytes) back, echoed without inference:
 * - `worker`: a worker thread, the ArrayBuffers transferred (what edge/model/instance.ts does today);
 * - `child`: a child process (`fork`, `serialization: 'advanced'`), the bytes copied through the IPC pipe both ways
 *   (Node cannot share or transfer memory between processes).
 * At concurrency 1 (one request at a time) and 8 (eight requests joined in one message, as the batcher sends them).
 *
 * Usage: npm run build && node dist/bench/session-hop.js [--seconds 5]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';

const IN_BYTES = 3 * 224 * 224 * 4;
const OUT_BYTES = 1000 * 4;

interface Hop {
  send(id: number, inputs: ArrayBuffer[]): void;
  onReply(cb: (id: number, outputs: ArrayBuffer[]) => void): void;
  close(): Promise<void>;
}

const ECHO = `
  const { parentPort } = require('node:worker_threads');
  parentPort.on('message', (m) => {
    const outputs = m.inputs.map(() => new ArrayBuffer(${OUT_BYTES}));
    parentPort.postMessage({ id: m.id, outputs }, outputs);
  });
`;

function workerHop(): Hop {
  const w = new Worker(ECHO, { eval: true });
  return {
    send: (id, inputs) => w.postMessage({ id, inputs }, inputs),
    onReply: (cb) => w.on('message', (m: { id: number; outputs: ArrayBuffer[] }) => cb(m.id, m.outputs)),
    close: async () => {
      await w.terminate();
    },
  };
}

/** This file again, as the echo side (`--echo-child`). */
function childHop(): Hop {
  const c: ChildProcess = fork(__filename, ['--echo-child'], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    send: (id, inputs) => c.send({ id, inputs }),
    onReply: (cb) => c.on('message', (m: { id: number; outputs: ArrayBuffer[] }) => cb(m.id, m.outputs)),
    close: async () => {
      c.kill();
    },
  };
}

async function measure(hop: Hop, rows: number, seconds: number): Promise<{ p50Us: number; p99Us: number; perRowUs: number; n: number }> {
  const lat: number[] = [];
  let next = 1;
  let started = 0;
  let resolveOne: (() => void) | undefined;
  hop.onReply(() => {
    lat.push(performance.now() - started);
    resolveOne?.();
  });
  const once = () => new Promise<void>((resolve) => {
    resolveOne = resolve;
    started = performance.now();
    hop.send(next++, Array.from({ length: rows }, () => new ArrayBuffer(IN_BYTES)));
  });
  for (let i = 0; i < 20; i++) await once(); // warm-up
  lat.length = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) await once();
  lat.sort((a, b) => a - b);
  const p = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] * 1000;
  return { p50Us: p(0.5), p99Us: p(0.99), perRowUs: p(0.5) / rows, n: lat.length };
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--seconds');
  const seconds = i > 0 ? Number(process.argv[i + 1]) : 5;
  const rows: string[] = [];
  for (const [name, make] of [['worker thread (transfer)', workerHop], ['child process (copy)', childHop]] as const) {
    for (const batch of [1, 8]) {
      const hop = make();
      const r = await measure(hop, batch, seconds);
      await hop.close();
      rows.push(`${name.padEnd(26)} c${batch}: one hop of ${batch} × ${IN_BYTES} B in, ${batch} × ${OUT_BYTES} B out: p50 ${(r.p50Us / 1000).toFixed(3)} ms, p99 ${(r.p99Us / 1000).toFixed(3)} ms, ${r.perRowUs.toFixed(0)} µs per request (${r.n} hops)`);
      process.stdout.write(rows[rows.length - 1] + '\n');
    }
  }
}

if (process.argv.includes('--echo-child')) {
  process.on('message', (m: { id: number; inputs: ArrayBuffer[] }) => {
    process.send!({ id: m.id, outputs: m.inputs.map(() => new ArrayBuffer(OUT_BYTES)) });
  });
} else {
  void main();
}
