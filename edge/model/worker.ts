/**
 * The worker thread entry, in two roles (one file, so that a bundle needs only `cli.js` and `worker.js`):
 * - `session` (default): one onnxruntime session, so that the main thread stays free for HTTP (onnxruntime-node's
 *   run() and session creation block their thread). Spawned by ./instance.ts.
 * - `codec`: decodes large JSON request bodies off the main thread (./codec.ts). Never loads onnxruntime.
 * Spawned with `path.join(__dirname, 'worker.js')`; onnxruntime-node is loaded with a plain require (external in bundles).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type * as OrtTypes from 'onnxruntime-node';
import { byOrt, byV2, halfToNumber, type NumericArray } from '../tensor/datatypes';
import { MIN_POOLED_BYTES } from './buffer-pool';
import type {
  DoneMessage, FromWorker, RunMessage, TensorMeta, WireOutput, WireRequest, WireResult, WireTensor, WorkerInit,
} from './protocol';
import type { DecodedMessage, DecodeMessage } from './protocol';

let ort: typeof OrtTypes;

type Session = OrtTypes.InferenceSession;
type Tensor = OrtTypes.Tensor;

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(msg, transfer);
}

function toMeta(m: OrtTypes.InferenceSession.ValueMetadata): TensorMeta {
  if (!m.isTensor) throw new UnsupportedType(`${m.name} is not a tensor`);
  const dt = byOrt(m.type);
  if (!dt) throw new UnsupportedType(`${m.name} has element type ${m.type}`);
  return { name: m.name, datatype: dt.v2, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) };
}

class UnsupportedType extends Error {}

/** Builds an onnxruntime tensor over the bytes, copying only if the view would be misaligned. */
function tensorOf(t: WireTensor): Tensor {
  const dt = byOrt(t.ort)!;
  const ctor = dt.ctor!;
  const n = t.byteLength / dt.bytes;
  let data: NumericArray;
  if (t.byteOffset % dt.bytes === 0) {
    data = new ctor(t.buffer, t.byteOffset, n);
  } else {
    const copy = new ArrayBuffer(t.byteLength);
    new Uint8Array(copy).set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
    data = new ctor(copy, 0, n);
  }
  return new ort.Tensor(t.ort, data, t.shape as number[]);
}

/** Join buffers, one per input, reused across batches up to this size (larger joins allocate per batch). */
const joinBuffers: ArrayBuffer[] = [];
const MAX_KEPT_JOIN_BYTES = 16 * 1024 * 1024;

/** Joins the same input of several requests along axis 0. */
function joinInputs(requests: readonly WireRequest[], index: number): Tensor {
  const first = requests[0].inputs[index];
  const dt = byOrt(first.ort)!;
  let total = 0;
  let rows = 0;
  for (const r of requests) {
    total += r.inputs[index].byteLength;
    rows += r.inputs[index].shape[0];
  }
  let buf = joinBuffers[index];
  if (!buf || buf.byteLength < total) {
    buf = new ArrayBuffer(total);
    if (total <= MAX_KEPT_JOIN_BYTES) joinBuffers[index] = buf;
  }
  const bytes = new Uint8Array(buf);
  let off = 0;
  for (const r of requests) {
    const t = r.inputs[index];
    bytes.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), off);
    off += t.byteLength;
  }
  return new ort.Tensor(first.ort, new dt.ctor!(buf, 0, total / dt.bytes), [rows, ...first.shape.slice(1)]);
}

function jsonText(datatype: string, data: NumericArray): string {
  if (datatype === 'BOOL') {
    let s = '[';
    for (let i = 0; i < data.length; i++) s += (i ? ',' : '') + (data[i] ? 'true' : 'false');
    return s + ']';
  }
  if (datatype === 'FP16') {
    let s = '[';
    for (let i = 0; i < data.length; i++) s += (i ? ',' : '') + finite(halfToNumber(data[i] as number));
    return s + ']';
  }
  const text = '[' + Array.prototype.join.call(data, ',') + ']';
  if ((datatype === 'FP32' || datatype === 'FP64') && /[NI]/.test(text)) {
    // JSON has no NaN/Infinity: such values become null.
    let s = '[';
    for (let i = 0; i < data.length; i++) s += (i ? ',' : '') + finite(data[i] as number);
    return s + ']';
  }
  return text;
}

function finite(v: number): string {
  return Number.isFinite(v) ? String(v) : 'null';
}

/** Encodes rows [start, start+rows) of an output (all of it when rows < 0). */
function encodeOutput(name: string, t: Tensor, binary: boolean, startRow: number, rows: number, own: boolean, transfer: ArrayBuffer[]): WireOutput {
  const dt = byOrt(t.type)!;
  const dims = t.dims as number[];
  let data = t.data as NumericArray;
  let shape = dims;
  if (rows >= 0) {
    const rowElems = dims.slice(1).reduce((a, b) => a * b, 1);
    data = data.subarray(startRow * rowElems, (startRow + rows) * rowElems) as NumericArray;
    shape = [rows, ...dims.slice(1)];
    own = false;
  }
  if (!binary) return { name, datatype: dt.v2, shape, json: jsonText(dt.v2, data) };
  let buffer: ArrayBuffer;
  if (own && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) {
    buffer = data.buffer;
  } else {
    buffer = new ArrayBuffer(data.byteLength);
    new Uint8Array(buffer).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  if (!transfer.includes(buffer)) transfer.push(buffer);
  return { name, datatype: dt.v2, shape, buffer };
}

let session: Session;
let outputNames: readonly string[] = [];

async function runOne(req: WireRequest, transfer: ArrayBuffer[]): Promise<WireResult> {
  try {
    const feeds: Record<string, Tensor> = {};
    for (const t of req.inputs) feeds[t.name] = tensorOf(t);
    const fetches = req.outputs.map((o) => o.name);
    const out = await session.run(feeds, fetches);
    return {
      ok: true,
      outputs: req.outputs.map((o) => encodeOutput(o.name, out[o.name] as Tensor, o.binary, 0, -1, true, transfer)),
    };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

async function runJoined(requests: readonly WireRequest[], transfer: ArrayBuffer[]): Promise<WireResult[] | undefined> {
  const feeds: Record<string, Tensor> = {};
  const first = requests[0];
  for (let i = 0; i < first.inputs.length; i++) feeds[first.inputs[i].name] = joinInputs(requests, i);
  const wanted = new Set<string>();
  for (const r of requests) for (const o of r.outputs) wanted.add(o.name);
  const out = await session.run(feeds, outputNames.filter((n) => wanted.has(n)));
  const total = requests.reduce((a, r) => a + r.rows, 0);
  for (const n of wanted) {
    const dims = (out[n] as Tensor).dims;
    if (dims.length === 0 || dims[0] !== total) return undefined; // output not batched along axis 0
  }
  const results: WireResult[] = [];
  let row = 0;
  for (const r of requests) {
    results.push({
      ok: true,
      outputs: r.outputs.map((o) => encodeOutput(o.name, out[o.name] as Tensor, o.binary, row, r.rows, false, transfer)),
    });
    row += r.rows;
  }
  return results;
}

async function handleRun(msg: RunMessage): Promise<void> {
  const transfer: ArrayBuffer[] = [];
  const t0 = performance.now();
  const startedAt = performance.timeOrigin + t0;
  let runs = 0;
  let results: WireResult[] | undefined;
  if (msg.concat && msg.requests.length > 1) {
    runs++;
    try {
      results = await runJoined(msg.requests, transfer);
    } catch {
      results = undefined; // one bad request must not fail its batch-mates: run each alone below
    }
    if (!results) transfer.length = 0;
  }
  if (!results) {
    results = [];
    for (const r of msg.requests) {
      runs++;
      results.push(await runOne(r, transfer));
    }
  }
  // the inputs are no longer needed: hand their large buffers back to the HTTP thread for the next bodies
  const returned: ArrayBuffer[] = [];
  for (const r of msg.requests) {
    for (const t of r.inputs) {
      if (t.buffer.byteLength >= MIN_POOLED_BYTES && !returned.includes(t.buffer) && !transfer.includes(t.buffer)) returned.push(t.buffer);
    }
  }
  const done: DoneMessage = { type: 'done', id: msg.id, results, inferMs: performance.now() - t0, runs, startedAt, returned };
  transfer.push(...returned);
  post(done, transfer);
}

function zerosFor(meta: TensorMeta): Tensor {
  const dt = byV2(meta.datatype)!;
  const shape = meta.shape.map((d) => (d < 0 ? 1 : d));
  const n = shape.reduce((a, b) => a * b, 1);
  return new ort.Tensor(dt.ort, new dt.ctor!(n), shape);
}

/**
 * Sets this thread's scheduling before the session exists: on Linux, nice value and policy are per thread, and the
 * onnxruntime pool threads that the session creates inherit both. SCHED_BATCH threads never preempt another thread
 * when they wake, so the HTTP thread answers a health check at once even while inference keeps every core busy; the
 * nice value (default 10) also gives the HTTP thread the larger share of the CPU under full load (measured: README,
 * Benchmarks).
 * Node has no call for the policy: util-linux's `chrt` sets it (present on Debian, Raspberry Pi OS and the serving
 * image). Returns what was applied, with the reason for anything that was not.
 */
function setScheduling(nice: number, policy: 'batch' | 'normal'): string {
  if (process.platform !== 'linux') return `default (${process.platform}: no per-thread scheduling)`;
  let tid: number;
  try {
    tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) throw new Error(`thread id ${tid}`);
  } catch (e) {
    return `default (no thread id from /proc/thread-self: ${(e as Error).message})`;
  }
  const applied: string[] = [];
  if (policy === 'batch') {
    try {
      execFileSync('chrt', ['--batch', '--pid', '0', String(tid)], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
      applied.push('batch');
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
      const why = err.code === 'ENOENT' ? 'chrt not found: install util-linux' : (err.stderr?.toString().trim() || err.message);
      applied.push(`normal (batch not applied: ${why})`);
    }
  } else {
    applied.push('normal');
  }
  if (nice > 0) {
    try {
      os.setPriority(tid, nice);
      applied.push(`nice ${nice}`);
    } catch (e) {
      applied.push(`nice 0 (nice ${nice} not applied: ${(e as Error).message})`);
    }
  } else {
    applied.push('nice 0');
  }
  return applied.join(', ');
}

async function init(): Promise<void> {
  const cfg = workerData as WorkerInit;
  const scheduling = setScheduling(cfg.nice, cfg.policy);
  const t0 = performance.now();
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ort = require('onnxruntime-node') as typeof OrtTypes;
    session = await ort.InferenceSession.create(cfg.modelPath, {
      intraOpNumThreads: cfg.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
  } catch (e) {
    post({ type: 'load-error', code: 'EDGE_ERR_MODEL_LOAD_FAILED', message: (e as Error).message });
    return;
  }
  const loadMs = performance.now() - t0;
  let inputs: TensorMeta[];
  let outputs: TensorMeta[];
  try {
    inputs = session.inputMetadata.map(toMeta);
    outputs = session.outputMetadata.map(toMeta);
  } catch (e) {
    post({ type: 'load-error', code: e instanceof UnsupportedType ? 'EDGE_ERR_MODEL_UNSUPPORTED_TYPE' : 'EDGE_ERR_MODEL_LOAD_FAILED', message: (e as Error).message });
    return;
  }
  outputNames = outputs.map((o) => o.name);
  const t1 = performance.now();
  let warmupError: string | undefined;
  if (!inputs.some((i) => i.datatype === 'BYTES')) {
    try {
      const feeds: Record<string, Tensor> = {};
      for (const i of inputs) feeds[i.name] = zerosFor(i);
      await session.run(feeds);
    } catch (e) {
      warmupError = (e as Error).message;
    }
  }
  post({ type: 'ready', inputs, outputs, loadMs, warmupMs: performance.now() - t1, warmupError, scheduling });
  // batches run one after another, in the order they came: the scheduler may send the next batch while one runs
  // (see instance.ts, pipelining), and it must wait here, not start a second run on the session
  let chain: Promise<void> = Promise.resolve();
  parentPort!.on('message', (msg: RunMessage) => {
    chain = chain.then(() => handleRun(msg));
  });
}

function runCodec(): void {
  // loaded here, not at import: a session worker never needs the request codec (its start is on the cold-start path)
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { decodeInferRequest } = require('../tensor/request') as typeof import('../tensor/request');
  const { toEdgeError } = require('../errors') as typeof import('../errors');
  /* eslint-enable @typescript-eslint/no-require-imports */
  parentPort!.on('message', (msg: DecodeMessage) => {
    try {
      const body = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
      const request = decodeInferRequest(body, msg.headerLength, msg.signature);
      const reply: DecodedMessage = { type: 'decoded', id: msg.id, request };
      parentPort!.postMessage(reply, [...new Set(request.transfer)]);
    } catch (e) {
      const err = toEdgeError(e);
      const reply: DecodedMessage = { type: 'decoded', id: msg.id, error: { code: err.code, message: err.message } };
      parentPort!.postMessage(reply);
    }
  });
}

if ((workerData as { role?: string } | null)?.role === 'codec') runCodec();
else void init();
