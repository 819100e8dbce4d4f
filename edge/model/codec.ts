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
export const CODEC_IDLE_MS = 5000;

export class RequestDecoder {
  private worker?: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (d: DecodedRequest) => void; reject: (e: EdgeError) => void }>();
  private closed = false;
  private idleTimer?: NodeJS.Timeout;

  constructor(private readonly script?: string, private readonly threshold = OFFLOAD_JSON_BYTES, private readonly idleMs = CODEC_IDLE_MS) {}

  public decode(body: Uint8Array, headerLength: number | undefined, sig: ModelSignature): Promise<DecodedRequest> | DecodedRequest {
    const jsonBytes = headerLength ?? body.byteLength;
    if (jsonBytes < this.threshold || this.closed || !(body.buffer instanceof ArrayBuffer)) return decodeInferRequest(body, headerLength, sig);
    const worker = this.worker ?? this.start();
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
    const id = this.nextId++;
    const msg: DecodeMessage = { id, buffer: body.buffer, byteOffset: body.byteOffset, byteLength: body.byteLength, headerLength, signature: sig };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage(msg, [body.buffer as ArrayBuffer]);
    });
  }

  public async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate().catch(() => 0);
    this.failAll('the runtime is shutting down');
  }

  private start(): Worker {
    const worker = new Worker(this.script ?? resolveWorkerScript(), { workerData: { role: 'codec' } });
    worker.unref();
    worker.on('message', (m: DecodedMessage) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.request) p.resolve(m.request);
      else p.reject(EdgeError.fromWire(m.error!.code, m.error!.message));
      if (this.pending.size === 0) this.scheduleIdleStop(worker);
    });
    const died = (why: string) => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(`the request decoder thread ${why}`);
    };
    worker.on('error', (e) => died(`failed (${e.message})`));
    worker.on('exit', (code) => died(`exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  private scheduleIdleStop(worker: Worker): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.worker !== worker || this.pending.size > 0) return;
      this.worker = undefined;
      void worker.terminate().catch(() => 0);
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private failAll(why: string): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new EdgeError('EDGE_ERR_INTERNAL', why));
    }
  }
}
