/**
 * Decodes large JSON request bodies in a worker thread (worker.js, role `codec`), so that the main thread keeps
 * answering health checks: a 224×224×3 FP32 tensor is about 3 MB of JSON and 20 ms of JSON.parse. Small bodies and
 * binary bodies (whose JSON header is small) are decoded on the main thread, where that is cheaper than a hop.
 * The worker starts on first use (a binary-only workload never pays for it) and is restarted if it dies.
 */
import { Worker } from 'node:worker_threads';
import { EdgeError } from '../errors';
import { decodeInferRequest, type DecodedRequest, type ModelSignature } from '../tensor/request';
import { resolveWorkerScript } from './instance';
import type { DecodedMessage, DecodeMessage } from './protocol';

/** JSON headers at least this large are decoded off the main thread. */
export const OFFLOAD_JSON_BYTES = 128 * 1024;

/** The decoder thread ends after this long without work (its heap grows to the largest bodies seen). */
export const CODEC_IDLE_MS = 3000;

interface Pending {
  readonly resolve: (d: DecodedRequest) => void;
  readonly reject: (e: EdgeError) => void;
}

interface CodecThread {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

export class RequestDecoder {
  private readonly threads: CodecThread[] = [];
  private nextId = 1;
  private closed = false;
  private idleTimer?: NodeJS.Timeout;

  /**
   * @param size decoder threads at most (started one by one as load needs them)
   * @param threshold JSON headers at least this large are decoded in a thread
   * @param idleMs the threads end after this long without work
   */
  constructor(
    private readonly script?: string,
    private readonly threshold = OFFLOAD_JSON_BYTES,
    private readonly idleMs = CODEC_IDLE_MS,
    private readonly size = 1,
  ) {}

  public decode(body: Uint8Array, headerLength: number | undefined, sig: ModelSignature): Promise<DecodedRequest> | DecodedRequest {
    const jsonBytes = headerLength ?? body.byteLength;
    if (jsonBytes < this.threshold || this.closed || !(body.buffer instanceof ArrayBuffer)) return decodeInferRequest(body, headerLength, sig);
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
    const thread = this.pick();
    const id = this.nextId++;
    const msg: DecodeMessage = { id, buffer: body.buffer, byteOffset: body.byteOffset, byteLength: body.byteLength, headerLength, signature: sig };
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage(msg, [body.buffer as ArrayBuffer]);
    });
  }

  public async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate().catch(() => 0)));
    for (const t of threads) this.fail(t, 'the runtime is shutting down');
  }

  /** The least busy thread; a new one while every thread is busy and the pool is not full. */
  private pick(): CodecThread {
    let best: CodecThread | undefined;
    for (const t of this.threads) if (!best || t.pending.size < best.pending.size) best = t;
    if (best && (best.pending.size === 0 || this.threads.length >= this.size)) return best;
    return this.start();
  }

  private start(): CodecThread {
    const worker = new Worker(this.script ?? resolveWorkerScript(), { workerData: { role: 'codec' } });
    worker.unref();
    const thread: CodecThread = { worker, pending: new Map() };
    worker.on('message', (m: DecodedMessage) => {
      const p = thread.pending.get(m.id);
      if (!p) return;
      thread.pending.delete(m.id);
      if (m.request) p.resolve(m.request);
      else p.reject(EdgeError.fromWire(m.error!.code, m.error!.message));
      if (this.threads.every((t) => t.pending.size === 0)) this.scheduleIdleStop();
    });
    const died = (why: string) => {
      const i = this.threads.indexOf(thread);
      if (i >= 0) this.threads.splice(i, 1);
      this.fail(thread, `the request decoder thread ${why}`);
    };
    worker.on('error', (e) => died(`failed (${e.message})`));
    worker.on('exit', (code) => died(`exited with code ${code}`));
    this.threads.push(thread);
    return thread;
  }

  private scheduleIdleStop(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.threads.some((t) => t.pending.size > 0)) return;
      for (const t of this.threads.splice(0)) void t.worker.terminate().catch(() => 0);
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private fail(thread: CodecThread, why: string): void {
    for (const [id, p] of thread.pending) {
      thread.pending.delete(id);
      p.reject(new EdgeError('EDGE_ERR_INTERNAL', why));
    }
  }

  /** Decoder threads running now. */
  public get running(): number {
    return this.threads.length;
  }
}
