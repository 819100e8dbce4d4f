/**
 * One loaded model: a pool of session workers (./worker.ts) and the dynamic batching scheduler in front of them.
 * The main thread only queues, groups and forwards buffers (transferred, not copied); the workers join, run and encode.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { EdgeError } from '../errors';
import type { DecodedRequest, ModelSignature } from '../tensor/request';
import { bodyBuffers } from './buffer-pool';
import type { DoneMessage, FromWorker, ReadyMessage, RunMessage, TensorMeta, WireOutput, WorkerInit } from './protocol';

export interface InstanceOptions {
  readonly modelPath: string;
  readonly workers: number;
  /** Intra-op threads of each worker's session. */
  readonly intraOpThreads: number;
  /** Nice value of the session threads (0: same priority as the HTTP thread). */
  readonly workerNice: number;
  /** Scheduling policy of the session threads. */
  readonly workerPolicy: 'batch' | 'normal';
  readonly maxBatch: number;
  readonly batchDelayMs: number;
  readonly batching: boolean;
  readonly maxQueue: number;
  /** The compiled worker script; default: see resolveWorkerScript(). */
  readonly workerScript?: string;
}

/** Callbacks for metrics; all optional work happens outside the hot path's allocations. */
export interface SchedulerObserver {
  queueWait(seconds: number): void;
  batch(rows: number, requests: number, inferSeconds: number): void;
  depth(queued: number, running: number): void;
  workerCrash(message: string): void;
}

/** Where the compiled worker lives: beside this module (dist/edge/model/ or a bundle), else dist/ of the repo (tests run TS). */
export function resolveWorkerScript(): string {
  const candidates = [
    path.join(__dirname, 'worker.js'),
    path.resolve(__dirname, '..', '..', 'dist', 'edge', 'model', 'worker.js'),
  ];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new EdgeError('EDGE_ERR_MODEL_LOAD_FAILED', `the session worker script is missing (looked at ${candidates.join(', ')}): run \`npm run build\``);
}

interface Pending {
  readonly req: DecodedRequest;
  readonly enqueuedAt: number;
  readonly resolve: (outputs: readonly WireOutput[]) => void;
  readonly reject: (err: EdgeError) => void;
}

interface Batch {
  readonly id: number;
  readonly items: readonly Pending[];
  readonly rows: number;
  /** Sent while another batch ran on the worker: its queue wait is taken when the worker starts it. */
  readonly ahead: boolean;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Batches sent to the worker and not done yet, oldest first: the running one, and at most one sent ahead. */
  batches: Batch[];
  respawns: number;
}

const MAX_RESPAWNS = 5;

/**
 * Shortens a joined batch to the longest prefix whose row count is a power of two (or --max-batch itself), leaving
 * the rest queued for the next run. Fewer distinct shapes keep onnxruntime's memory arena small: measured on
 * mobilenet_v2, runs of every size 1..8 grew RSS to 253 MB, power-of-two sizes to 225 MB, batch 1 alone ~200 MB.
 */
export function roundBatch<T extends { readonly req: { readonly rows: number } }>(take: T[], maxBatch: number): T[] {
  if (take.length <= 1) return take;
  let rows = 0;
  let best = 1;
  for (let i = 0; i < take.length; i++) {
    rows += take[i].req.rows;
    if (rows === maxBatch || (rows > 0 && (rows & (rows - 1)) === 0)) best = i + 1;
  }
  return best === take.length ? take : take.slice(0, best);
}

const NO_OBSERVER: SchedulerObserver = { queueWait: () => undefined, batch: () => undefined, depth: () => undefined, workerCrash: () => undefined };

export class ModelInstance {
  /** Spawns the workers, waits until every session is loaded and warmed up. Throws EdgeError on failure. */
  public static load(opts: InstanceOptions, observer: SchedulerObserver): Promise<ModelInstance> {
    return ModelInstance.spawn(opts, observer).loaded();
  }

  /**
   * Starts the workers and returns at once (the sessions load in the background), so that the caller can do its
   * own start-up work meanwhile; `loaded()` waits for them. The observer can be set later (setObserver).
   */
  public static spawn(opts: InstanceOptions, observer?: SchedulerObserver): ModelInstance {
    const inst = new ModelInstance(opts, opts.workerScript ?? resolveWorkerScript(), observer ?? NO_OBSERVER);
    const starting = Promise.all(inst.slots.map((s, i) => inst.start(s, i)));
    inst.loading = (async () => {
      try {
        inst.ready = (await starting)[0];
      } catch (e) {
        await inst.close();
        throw e;
      }
      const r = inst.ready;
      const dyn0 = (t: TensorMeta) => t.shape.length > 0 && t.shape[0] === -1;
      inst.signature = {
        inputs: r.inputs,
        outputs: r.outputs,
        batchable: r.inputs.length > 0 && r.inputs.every(dyn0) && r.outputs.every(dyn0),
      };
      return inst;
    })();
    inst.loading.catch(() => undefined); // observed by loaded()
    return inst;
  }

  private loading?: Promise<ModelInstance>;

  /** Resolves when every session is loaded and warmed up; rejects with an EdgeError otherwise. */
  public loaded(): Promise<ModelInstance> {
    return this.loading!;
  }

  public setObserver(observer: SchedulerObserver): void {
    this.observer = observer;
  }

  public signature: ModelSignature = { inputs: [], outputs: [], batchable: false };
  /** The first worker's ready report (load and warm-up times). */
  public ready?: ReadyMessage;

  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private running = 0;
  private holds = 0;
  private nextId = 1;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private drainWaiters: (() => void)[] = [];

  private constructor(private readonly opts: InstanceOptions, private readonly script: string, private observer: SchedulerObserver) {
    for (let i = 0; i < opts.workers; i++) this.slots.push({ worker: undefined as unknown as Worker, ready: false, batches: [], respawns: 0 });
  }

  public get queued(): number {
    return this.queue.length;
  }

  public get inFlight(): number {
    return this.running;
  }

  /** Requests announced by hold() and not submitted yet (their bodies are arriving or being decoded). */
  public get held(): number {
    return this.holds;
  }

  /** Queues a decoded request; resolves with its outputs. Rejects with EDGE_ERR_INFER_QUEUE_FULL when the queue is full. */
  public submit(req: DecodedRequest): Promise<readonly WireOutput[]> {
    if (this.closed) return Promise.reject(new EdgeError('EDGE_ERR_INFER_SHUTTING_DOWN', 'the model is unloading'));
    if (this.queue.length >= this.opts.maxQueue) {
      return Promise.reject(new EdgeError('EDGE_ERR_INFER_QUEUE_FULL', `the queue holds ${this.queue.length} requests (--max-queue ${this.opts.maxQueue})`, { 'Retry-After': '1' }));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ req, enqueuedAt: performance.now(), resolve, reject });
      this.observer.depth(this.queue.length, this.running);
      this.pump();
    });
  }

  /**
   * Announces a request on its way to this instance (its body is arriving or being decoded): drain() waits for it,
   * and the batcher may wait for it (at most --batch-delay-ms). Call the returned function right before submit()
   * (or when the request fails).
   */
  public hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      if (this.queue.length > 0) this.pump();
      this.checkDrained();
    };
  }

  /** Resolves when nothing is held, queued or running. */
  public drain(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0 && this.holds === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private checkDrained(): void {
    if (this.queue.length === 0 && this.running === 0 && this.holds === 0 && this.drainWaiters.length > 0) {
      for (const w of this.drainWaiters.splice(0)) w();
    }
  }

  /** Terminates the workers; queued requests fail with EDGE_ERR_INFER_SHUTTING_DOWN. */
  public async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const p of this.queue.splice(0)) p.reject(new EdgeError('EDGE_ERR_INFER_SHUTTING_DOWN', 'the model was unloaded'));
    await Promise.all(this.slots.map((s) => (s.worker ? s.worker.terminate().catch(() => 0) : 0)));
  }

  private start(slot: Slot, index: number): Promise<ReadyMessage> {
    const init: WorkerInit = { modelPath: this.opts.modelPath, intraOpThreads: this.opts.intraOpThreads, workerIndex: index, nice: this.opts.workerNice, policy: this.opts.workerPolicy };
    const worker = new Worker(this.script, { workerData: init });
    slot.worker = worker;
    slot.ready = false;
    return new Promise((resolve, reject) => {
      let settled = false;
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') {
          slot.ready = true;
          settled = true;
          resolve(msg);
          this.pump();
        } else if (msg.type === 'load-error') {
          settled = true;
          reject(new EdgeError(msg.code, `cannot load ${this.opts.modelPath}: ${msg.message}`));
        } else {
          this.onDone(slot, msg);
        }
      });
      worker.on('error', (err) => {
        if (!settled) {
          settled = true;
          reject(new EdgeError('EDGE_ERR_MODEL_LOAD_FAILED', `the session worker for ${this.opts.modelPath} failed: ${err.message}`));
        } else {
          this.onCrash(slot, index, err.message);
        }
      });
      worker.on('exit', (code) => {
        if (!settled) {
          settled = true;
          reject(new EdgeError('EDGE_ERR_MODEL_LOAD_FAILED', `the session worker for ${this.opts.modelPath} exited with code ${code}`));
        } else if (!this.closed && slot.worker === worker) {
          this.onCrash(slot, index, `exited with code ${code}`);
        }
      });
    });
  }

  private onCrash(slot: Slot, index: number, message: string): void {
    if (this.closed || !slot.ready) return;
    slot.ready = false;
    this.observer.workerCrash(message);
    for (const b of slot.batches.splice(0)) {
      this.running -= b.items.length;
      for (const p of b.items) p.reject(new EdgeError('EDGE_ERR_INFER_WORKER_CRASHED', `the session worker crashed (${message})`));
    }
    void slot.worker.terminate().catch(() => 0);
    if (slot.respawns++ < MAX_RESPAWNS) {
      this.start(slot, index).catch((e: Error) => this.observer.workerCrash(`respawn failed: ${e.message}`));
    }
    this.afterBatch();
  }

  private onDone(slot: Slot, msg: DoneMessage): void {
    const i = slot.batches.findIndex((b) => b.id === msg.id);
    if (i < 0) return;
    const busy = slot.batches[i];
    slot.batches.splice(i, 1);
    this.running -= busy.items.length;
    if (busy.ahead) {
      const startedAt = msg.startedAt - performance.timeOrigin; // the worker's clock, in this thread's terms
      for (const p of busy.items) this.observer.queueWait(Math.max(0, startedAt - p.enqueuedAt) / 1000);
    }
    let rows = 0;
    busy.items.forEach((p, i) => {
      rows += Math.max(p.req.rows, 1);
      const r = msg.results[i];
      if (r.ok) p.resolve(r.outputs);
      else p.reject(new EdgeError('EDGE_ERR_INFER_FAILED', `onnxruntime failed on this request: ${r.message}`));
    });
    this.observer.batch(rows, busy.items.length, msg.inferMs / 1000);
    for (const b of msg.returned ?? []) bodyBuffers.give(b);
    this.afterBatch();
  }

  private afterBatch(): void {
    this.observer.depth(this.queue.length, this.running);
    this.pump();
    this.checkDrained();
  }

  /**
   * Sends queued requests to the workers. An idle worker takes what is queued (waiting for batch-mates only while
   * others are on their way, at most --batch-delay-ms). When no worker is idle, a busy one is sent its next batch
   * ahead (pipelining), once that batch has at least as many rows as the one running or is full: the worker starts it
   * the moment the running one ends, with no round trip through this thread in between (about 0.3 ms of idle
   * onnxruntime per batch otherwise). A worker holds at most one batch ahead.
   */
  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0 && !this.closed) {
      let slot = this.slots.find((s) => s.ready && s.batches.length === 0);
      const ahead = slot === undefined;
      if (ahead) slot = this.slots.find((s) => s.ready && s.batches.length === 1);
      if (!slot) return;
      const first = this.queue[0];
      let take: Pending[];
      if (!this.opts.batching || this.opts.maxBatch <= 1 || first.req.batchKey === '') {
        take = [first];
      } else {
        take = [];
        let rows = 0;
        for (const p of this.queue) {
          if (p.req.batchKey !== first.req.batchKey) continue;
          if (take.length > 0 && rows + p.req.rows > this.opts.maxBatch) break;
          take.push(p);
          rows += p.req.rows;
          if (rows >= this.opts.maxBatch) break;
        }
        if (ahead) {
          // a batch sent ahead cannot grow any more: send it only once it is as large as the running one (or full);
          // until then, requests keep queueing and this runs again on each arrival and when the running batch ends
          if (rows < this.opts.maxBatch && rows < slot.batches[0].rows) return;
        } else {
          const waited = performance.now() - first.enqueuedAt;
          // wait for batch-mates only while other requests are on their way (held: body or decoding in progress),
          // and at most --batch-delay-ms; with nothing on the way, run now (no timer on the critical path)
          if (rows < this.opts.maxBatch && this.holds > 0 && waited < this.opts.batchDelayMs) {
            this.timer = setTimeout(() => this.pump(), Math.max(1, this.opts.batchDelayMs - waited));
            return;
          }
        }
        take = roundBatch(take, this.opts.maxBatch);
      }
      this.dispatch(slot, take, ahead);
    }
  }

  private dispatch(slot: Slot, take: Pending[], ahead: boolean): void {
    if (take.length === 1 && this.queue[0] === take[0]) this.queue.shift();
    else {
      const set = new Set(take);
      let w = 0;
      for (let r = 0; r < this.queue.length; r++) if (!set.has(this.queue[r])) this.queue[w++] = this.queue[r];
      this.queue.length = w;
    }
    const now = performance.now();
    const transfer = new Set<ArrayBuffer>();
    let rows = 0;
    for (const p of take) {
      if (!ahead) this.observer.queueWait((now - p.enqueuedAt) / 1000);
      for (const b of p.req.transfer) transfer.add(b);
      rows += Math.max(p.req.rows, 1);
    }
    const id = this.nextId++;
    const msg: RunMessage = {
      type: 'run',
      id,
      concat: take.length > 1,
      requests: take.map((p) => ({ inputs: p.req.inputs, outputs: p.req.outputs, rows: p.req.rows })),
    };
    slot.batches.push({ id, items: take, rows, ahead });
    this.running += take.length;
    this.observer.depth(this.queue.length, this.running);
    slot.worker.postMessage(msg, [...transfer]);
  }
}
