/**
 * The served model and its hot swap: a new file (SIGHUP or a change of the --model file) is loaded beside the old
 * one, checked, warmed up and swapped in one assignment; requests already queued finish on the old instance.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EdgeConfig } from '../config';
import { EdgeError, toEdgeError } from '../errors';
import type { Logger } from '../log';
import type { EdgeMetrics } from '../metrics';
import { ModelInstance, type InstanceOptions } from './instance';
import type { TensorMeta } from './protocol';

export interface ContractFile {
  readonly name?: string;
  readonly version?: string;
  readonly sha256?: string;
  readonly inputs?: readonly TensorMeta[];
  readonly outputs?: readonly TensorMeta[];
}

export interface LoadedModel {
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly instance: ModelInstance;
  readonly contract?: ContractFile;
}

export function sha256File(file: string): Promise<{ sha256: string; sizeBytes: number }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let size = 0;
    fs.createReadStream(file)
      .on('data', (c) => {
        size += c.length;
        h.update(c);
      })
      .on('error', reject)
      .on('end', () => resolve({ sha256: h.digest('hex'), sizeBytes: size }));
  });
}

/** Reads contract.json beside the model, if any. */
export function readContract(modelPath: string): ContractFile | undefined {
  const file = path.join(path.dirname(modelPath), 'contract.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let c: unknown;
  try {
    c = JSON.parse(text);
  } catch (e) {
    throw new EdgeError('EDGE_ERR_MODEL_CONTRACT_INVALID', `${file} is not JSON (${(e as Error).message})`);
  }
  const o = c as Record<string, unknown>;
  if (typeof c !== 'object' || c === null || Array.isArray(c) || o.schemaVersion !== 1) {
    throw new EdgeError('EDGE_ERR_MODEL_CONTRACT_INVALID', `${file} must be an object with "schemaVersion": 1`);
  }
  for (const k of ['name', 'version', 'sha256'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string') throw new EdgeError('EDGE_ERR_MODEL_CONTRACT_INVALID', `${file}: "${k}" must be a string`);
  }
  if (typeof o.sha256 === 'string' && !/^[0-9a-f]{64}$/.test(o.sha256)) {
    throw new EdgeError('EDGE_ERR_MODEL_CONTRACT_INVALID', `${file}: "sha256" must be 64 lower-case hex characters`);
  }
  return o as ContractFile;
}

function sameTensors(a: readonly TensorMeta[], b: readonly TensorMeta[]): boolean {
  return a.length === b.length && a.every((t, i) => t.name === b[i].name && t.datatype === b[i].datatype && t.shape.join() === b[i].shape.join());
}

function describe(ts: readonly TensorMeta[]): string {
  return ts.map((t) => `${t.name}:${t.datatype}[${t.shape.join(',')}]`).join(' ');
}

export interface ManagerOptions {
  readonly workerScript?: string;
  readonly debounceMs?: number;
}

export class ModelManager {
  private model?: LoadedModel;
  private chain: Promise<unknown> = Promise.resolve();
  private watcher?: fs.FSWatcher;
  private debounce?: NodeJS.Timeout;
  private closed = false;
  private readonly retiring = new Set<Promise<void>>();

  constructor(
    private readonly config: EdgeConfig,
    private readonly log: Logger,
    private readonly metrics: EdgeMetrics,
    private readonly opts: ManagerOptions = {},
  ) {}

  public get current(): LoadedModel | undefined {
    return this.model;
  }

  /** The session pool options for a config (also used to spawn the first pool early, see runtime.ts). */
  public static instanceOptions(config: EdgeConfig, workerScript?: string): InstanceOptions {
    return {
      modelPath: config.modelPath,
      workers: config.workers,
      intraOpThreads: Math.max(1, Math.floor(config.threads / config.workers)),
      workerNice: config.workerNice,
      workerPolicy: config.workerPolicy,
      maxBatch: config.maxBatch,
      batchDelayMs: config.batchDelayMs,
      batching: config.batching,
      maxQueue: config.maxQueue,
      workerScript,
    };
  }

  /** Loads the configured model (or finishes loading `spawned`); throws an EdgeError when it cannot serve. */
  public async start(spawned?: ModelInstance): Promise<LoadedModel> {
    try {
      this.model = await this.load(undefined, spawned);
    } catch (e) {
      const err = toEdgeError(e);
      this.metrics.modelLoadFailures.labels(err.code).inc();
      throw err;
    }
    this.metrics.setModel(this.model.name, this.model.version, this.model.sha256);
    return this.model;
  }

  /** Loads the model file again and swaps if it changed. Serialized; never throws (a failure keeps the old model). */
  public reload(reason: string): Promise<boolean> {
    const next = this.chain.then(() => this.swap(reason));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Watches the model's folder (files are often replaced by rename) and reloads, debounced. */
  public watch(): void {
    const dir = path.dirname(this.config.modelPath);
    const base = path.basename(this.config.modelPath);
    try {
      this.watcher = fs.watch(dir, { persistent: false }, (_event, file) => {
        if (file !== null && file !== base && file !== 'contract.json') return;
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.reload('file-change'), this.opts.debounceMs ?? 500);
      });
      this.watcher.on('error', (e) => this.log.warn('model_watch_failed', { dir, error: e.message }));
    } catch (e) {
      this.log.warn('model_watch_failed', { dir, error: (e as Error).message });
    }
  }

  /** Stops watching, waits for queued work (bounded by the caller) and unloads. */
  public async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    if (this.debounce) clearTimeout(this.debounce);
    await this.chain;
    await Promise.all([...this.retiring]);
    await this.model?.instance.close();
  }

  private async swap(reason: string): Promise<boolean> {
    if (this.closed) return false;
    const old = this.model;
    if (!old) return false;
    const t0 = performance.now();
    let next: LoadedModel;
    try {
      const { sha256 } = await sha256File(this.config.modelPath);
      const contract = readContract(this.config.modelPath);
      if (sha256 === old.sha256 && (contract?.version ?? '') === (old.contract?.version ?? '')) {
        this.log.info('model_unchanged', { reason, sha256 });
        return false;
      }
      next = await this.load(old);
    } catch (e) {
      const err = toEdgeError(e);
      this.metrics.modelLoadFailures.labels(err.code).inc();
      this.log.error('model_swap_failed', { reason, code: err.code, error: err.message, serving_version: old.version });
      return false;
    }
    if (this.closed) {
      await next.instance.close();
      return false;
    }
    this.model = next; // the swap: requests decoded from now on go to the new instance
    this.metrics.setModel(next.name, next.version, next.sha256);
    this.metrics.modelSwaps.inc();
    this.log.info('model_swapped', {
      reason, from_version: old.version, to_version: next.version, sha256: next.sha256, ms: Math.round(performance.now() - t0),
    });
    const retire = old.instance.drain().then(() => old.instance.close());
    this.retiring.add(retire);
    void retire.finally(() => this.retiring.delete(retire));
    return true;
  }

  private async load(old: LoadedModel | undefined, spawned?: ModelInstance): Promise<LoadedModel> {
    const file = this.config.modelPath;
    const t0 = performance.now();
    const opts = ModelManager.instanceOptions(this.config, this.opts.workerScript);
    // the sessions load in their threads while this thread hashes the file
    const pending = spawned ?? ModelInstance.spawn(opts, this.metrics);
    let instance: ModelInstance;
    let sha256: string;
    let sizeBytes: number;
    let contract: ContractFile | undefined;
    try {
      ({ sha256, sizeBytes } = await sha256File(file).catch((e: Error) => {
        throw new EdgeError('EDGE_ERR_MODEL_LOAD_FAILED', `cannot read ${file}: ${e.message}`);
      }));
      contract = readContract(file);
      if (contract?.sha256 !== undefined && contract.sha256 !== sha256) {
        throw new EdgeError('EDGE_ERR_MODEL_SHA256_MISMATCH', `${file} has sha256 ${sha256}, contract.json beside it says ${contract.sha256}`);
      }
      instance = await pending.loaded();
    } catch (e) {
      await pending.close();
      throw e;
    }
    const base = path.basename(file);
    const name = old?.name ?? this.config.name
      ?? (base === 'model.onnx' && contract?.name ? contract.name : base.replace(/\.onnx$/i, ''));
    const version = this.config.modelVersion ?? contract?.version ?? sha256.slice(0, 12);
    const perWorker = opts.intraOpThreads;
    const sig = instance.signature;
    if (old && !this.config.allowContractChange) {
      const o = old.instance.signature;
      if (!sameTensors(o.inputs, sig.inputs) || !sameTensors(o.outputs, sig.outputs)) {
        await instance.close();
        throw new EdgeError('EDGE_ERR_MODEL_CONTRACT_CHANGED',
          `the new model has inputs ${describe(sig.inputs)} outputs ${describe(sig.outputs)}, the served one ${describe(o.inputs)} / ${describe(o.outputs)}`);
      }
    }
    if (contract?.inputs && !sameTensors(contract.inputs, sig.inputs)) {
      this.log.warn('contract_differs_from_model', { file, contract_inputs: describe(contract.inputs), model_inputs: describe(sig.inputs) });
    }
    const ready = instance.ready!;
    if (ready.warmupError) this.log.warn('model_warmup_failed', { file, error: ready.warmupError });
    this.metrics.modelLoadSeconds.set((ready.loadMs + ready.warmupMs) / 1000);
    this.log.info('model_loaded', {
      name, version, sha256, size_bytes: sizeBytes, workers: this.config.workers, intra_op_threads: perWorker, scheduling: ready.scheduling,
      batching: this.config.batching && sig.batchable, load_ms: Math.round(ready.loadMs), warmup_ms: Math.round(ready.warmupMs),
      total_ms: Math.round(performance.now() - t0), inputs: describe(sig.inputs), outputs: describe(sig.outputs),
    });
    if (this.config.modelVersion && old) this.log.warn('model_version_pinned', { version, note: '--model-version is fixed: the swapped model reports the same version' });
    return { name, version, sha256, sizeBytes, instance, contract };
  }
}
