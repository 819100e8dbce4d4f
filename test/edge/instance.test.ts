/** The session pool on its own, with a stand-in worker script: crash recovery and queue accounting. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EdgeError } from '../../edge/errors';
import { ModelInstance, roundBatch, type SchedulerObserver } from '../../edge/model/instance';
import type { DecodedRequest } from '../../edge/tensor/request';
import { RequestDecoder } from '../../edge/model/codec';
import { edgeBundle, tempDir } from './helpers/runtime';

/** A stand-in session worker: reports ready; on its first run ever (no flag file yet) it dies, later it answers. */
const FAKE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.postMessage({ type: 'ready', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }], loadMs: 1, warmupMs: 0 });
parentPort.on('message', (m) => {
  if (!fs.existsSync(workerData.modelPath)) { fs.writeFileSync(workerData.modelPath, 'crashed once'); process.exit(3); }
  parentPort.postMessage({ type: 'done', id: m.id, inferMs: 0, runs: 1,
    results: m.requests.map(() => ({ ok: true, outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 1], json: '[1]' }] })) });
});`;

function request(): DecodedRequest {
  const buf = new Float32Array([1]).buffer;
  return {
    inputs: [{ name: 'x', ort: 'float32', shape: [1, 1], buffer: buf, byteOffset: 0, byteLength: 4 }],
    outputs: [{ name: 'y', binary: false }], rows: 1, batchKey: 'FP32[1]', transfer: [buf],
  };
}

describe('ModelInstance', () => {
  test('a worker that dies fails only its own batch with EDGE_ERR_INFER_WORKER_CRASHED and is restarted', async () => {
    const dir = tempDir();
    const script = path.join(dir, 'fake-worker.js');
    fs.writeFileSync(script, FAKE_WORKER);
    const crashes: string[] = [];
    const observer: SchedulerObserver = { queueWait: () => undefined, batch: () => undefined, depth: () => undefined, workerCrash: (m) => crashes.push(m) };
    const inst = await ModelInstance.load({
      modelPath: path.join(dir, 'flag'), workers: 1, intraOpThreads: 1, workerNice: 0, workerPolicy: 'normal', maxBatch: 8, batchDelayMs: 0, batching: true, maxQueue: 4, workerScript: script,
    }, observer);
    try {
      expect(inst.signature.batchable).toBe(true);
      const err = await inst.submit(request()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EdgeError);
      expect((err as EdgeError).code).toBe('EDGE_ERR_INFER_WORKER_CRASHED');
      expect((err as EdgeError).status).toBe(500);
      expect(crashes).toHaveLength(1);
      const outputs = await inst.submit(request());
      expect(outputs).toEqual([{ name: 'y', datatype: 'FP32', shape: [1, 1], json: '[1]' }]);
      expect(inst.queued + inst.inFlight).toBe(0);
      await inst.drain();
    } finally {
      await inst.close();
    }
  });

  test('sends a busy worker its next batch ahead, once it is as large as the running one, and answers each caller', async () => {
    // a stand-in that answers after 40 ms and reports, in each output, how many batches it held when this one came
    const dir = tempDir();
    const script = path.join(dir, 'slow-worker.js');
    fs.writeFileSync(script, `
const { parentPort } = require('node:worker_threads');
parentPort.postMessage({ type: 'ready', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }], loadMs: 1, warmupMs: 0 });
// one batch at a time, in order, as the real worker does
let held = 0;
let chain = Promise.resolve();
parentPort.on('message', (m) => {
  held++;
  const seen = held;
  chain = chain.then(() => new Promise((resolve) => {
    const startedAt = performance.timeOrigin + performance.now();
    setTimeout(() => {
      held--;
      parentPort.postMessage({ type: 'done', id: m.id, inferMs: 40, runs: 1, startedAt,
        results: m.requests.map((r) => ({ ok: true, outputs: [{ name: 'y', datatype: 'FP32', shape: [r.rows, 1], json: '[' + seen + ',' + m.requests.length + ']' }] })) });
      resolve();
    }, 40);
  }));
});`);
    const waits: number[] = [];
    const observer: SchedulerObserver = { queueWait: (s) => waits.push(s), batch: () => undefined, depth: () => undefined, workerCrash: () => undefined };
    const inst = await ModelInstance.load({
      modelPath: 'unused', workers: 1, intraOpThreads: 1, workerNice: 0, workerPolicy: 'normal', maxBatch: 8, batchDelayMs: 0, batching: true, maxQueue: 16, workerScript: script,
    }, observer);
    try {
      const first = inst.submit(request()); // runs alone at once
      await new Promise((r) => setImmediate(r));
      const a = inst.submit(request()); // 1 row, as large as the running batch: sent ahead
      const b = inst.submit(request()); // the worker already holds a batch ahead: waits here
      await new Promise((r) => setImmediate(r));
      expect(inst.inFlight).toBe(2);
      expect(inst.queued).toBe(1);
      const json = async (p: Promise<readonly { json?: string }[]>) => JSON.parse((await p)[0].json!) as number[];
      expect(await json(first)).toEqual([1, 1]); // alone on the worker
      expect(await json(a)).toEqual([2, 1]); // arrived while the first one ran
      expect(await json(b)).toEqual([2, 1]); // sent ahead in turn while a ran
      expect(waits).toHaveLength(3);
      expect(waits[1]).toBeGreaterThanOrEqual(0.03); // a's queue wait lasts until the worker started it
      await inst.drain();
      expect(inst.queued + inst.inFlight).toBe(0);
      // a smaller batch is not sent ahead: it waits (and may still grow) until the worker is free
      const two = request();
      const buf = new Float32Array([1, 2]).buffer;
      const big = inst.submit({ ...two, inputs: [{ ...two.inputs[0], shape: [2, 1], buffer: buf, byteLength: 8 }], rows: 2, transfer: [buf] });
      await new Promise((r) => setImmediate(r));
      const small = inst.submit(request());
      await new Promise((r) => setImmediate(r));
      expect(inst.inFlight).toBe(1);
      expect(inst.queued).toBe(1);
      expect(await json(big)).toEqual([1, 1]);
      expect(await json(small)).toEqual([1, 1]);
    } finally {
      await inst.close();
    }
  });

  test('a worker that dies with a batch running and one sent ahead fails both, then serves again', async () => {
    const dir = tempDir();
    const script = path.join(dir, 'dying-worker.js');
    // dies 40 ms into its first batch (once: a flag file remembers), answers at once afterwards
    fs.writeFileSync(script, `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.postMessage({ type: 'ready', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }], loadMs: 1, warmupMs: 0 });
let dying = false;
parentPort.on('message', (m) => {
  if (dying) return; // batches run in order: the one sent ahead waits behind the dying one
  if (!fs.existsSync(workerData.modelPath)) { dying = true; fs.writeFileSync(workerData.modelPath, 'x'); setTimeout(() => process.exit(3), 40); return; }
  parentPort.postMessage({ type: 'done', id: m.id, inferMs: 0, runs: 1, startedAt: performance.timeOrigin + performance.now(), returned: [],
    results: m.requests.map(() => ({ ok: true, outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 1], json: '[7]' }] })) });
});`);
    const observer: SchedulerObserver = { queueWait: () => undefined, batch: () => undefined, depth: () => undefined, workerCrash: () => undefined };
    const inst = await ModelInstance.load({
      modelPath: path.join(dir, 'flag'), workers: 1, intraOpThreads: 1, workerNice: 0, workerPolicy: 'normal', maxBatch: 8, batchDelayMs: 0, batching: true, maxQueue: 4, workerScript: script,
    }, observer);
    try {
      const first = inst.submit(request()).catch((e: unknown) => e);
      await new Promise((r) => setImmediate(r));
      const ahead = inst.submit(request()).catch((e: unknown) => e);
      await new Promise((r) => setImmediate(r));
      expect(inst.inFlight).toBe(2);
      for (const e of [await first, await ahead]) expect((e as EdgeError).code).toBe('EDGE_ERR_INFER_WORKER_CRASHED');
      expect(inst.inFlight).toBe(0);
      expect(await inst.submit(request())).toEqual([{ name: 'y', datatype: 'FP32', shape: [1, 1], json: '[7]' }]);
    } finally {
      await inst.close();
    }
  });

  test('fails with EDGE_ERR_MODEL_LOAD_FAILED when the worker script exits before it is ready', async () => {
    const dir = tempDir();
    const script = path.join(dir, 'dead.js');
    fs.writeFileSync(script, 'process.exit(2)');
    const observer: SchedulerObserver = { queueWait: () => undefined, batch: () => undefined, depth: () => undefined, workerCrash: () => undefined };
    await expect(ModelInstance.load({
      modelPath: 'x', workers: 2, intraOpThreads: 1, workerNice: 0, workerPolicy: 'normal', maxBatch: 8, batchDelayMs: 0, batching: true, maxQueue: 4, workerScript: script,
    }, observer)).rejects.toMatchObject({ code: 'EDGE_ERR_MODEL_LOAD_FAILED' });
  });
});

describe('roundBatch', () => {
  const of = (...rows: number[]) => rows.map((r) => ({ req: { rows: r } }));
  const sizes = (t: { req: { rows: number } }[]) => t.map((x) => x.req.rows);

  test('keeps the longest prefix with a power-of-two row count, or exactly --max-batch rows', () => {
    expect(sizes(roundBatch(of(1, 1, 1), 8))).toEqual([1, 1]);
    expect(sizes(roundBatch(of(1, 1, 1, 1, 1, 1, 1), 8))).toEqual([1, 1, 1, 1]);
    expect(sizes(roundBatch(of(1, 1, 1, 1, 1, 1, 1, 1), 8))).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(sizes(roundBatch(of(3, 1, 2), 8))).toEqual([3, 1]);
    expect(sizes(roundBatch(of(1, 1, 1, 1, 1, 1), 6))).toEqual([1, 1, 1, 1, 1, 1]);
  });

  test('never drops the first request', () => {
    expect(sizes(roundBatch(of(3, 2), 8))).toEqual([3]);
    expect(sizes(roundBatch(of(5), 8))).toEqual([5]);
    expect(sizes(roundBatch(of(0, 0), 8))).toEqual([0]);
  });
});

describe('RequestDecoder', () => {
  const sig = {
    inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [-1, 2] }],
    outputs: [{ name: 'y', datatype: 'FP32' as const, shape: [-1, 2] }],
    batchable: true,
  };
  const body = (data: unknown[]) => new Uint8Array(Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [data.length / 2, 2], data }] })));

  test('decodes in its threads (at most `size`), stops them when idle and starts again on the next large body', async () => {
    const decoder = new RequestDecoder(edgeBundle().worker, 1, 20, 2);
    try {
      const a = await decoder.decode(body([1, 2, 3, 4]), undefined, sig);
      expect(Array.from(new Float32Array(a.inputs[0].buffer, a.inputs[0].byteOffset, 4))).toEqual([1, 2, 3, 4]);
      expect(a.rows).toBe(2);
      const many = await Promise.all(Array.from({ length: 6 }, (_, i) => decoder.decode(body([i, i + 1]), undefined, sig)));
      many.forEach((d, i) => expect(Array.from(new Float32Array(d.inputs[0].buffer, d.inputs[0].byteOffset, 2))).toEqual([i, i + 1]));
      expect(decoder.running).toBeLessThanOrEqual(2);
      for (let i = 0; i < 100 && decoder.running > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(decoder.running).toBe(0);
      const b = await decoder.decode(body([5, 6]), undefined, sig);
      expect(b.inputs[0].shape).toEqual([1, 2]);
      await expect(Promise.resolve(decoder.decode(body([1, 'x']), undefined, sig))).rejects.toMatchObject({ code: 'EDGE_ERR_INPUT_DATA_VALUE', status: 400 });
    } finally {
      await decoder.close();
    }
  });
});
