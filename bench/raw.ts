/**
 * Child process: the limit. onnxruntime-node `session.run` in-process, sequential calls on one session, at each
 * batch size asked for; reports the session creation time, the latencies and the process's RSS.
 *
 * Run by bench/run.ts as `node dist/bench/raw.js '<json config>'`.
 */
import * as path from 'path';
import { childConfig, emitResult } from './child';
import { sessionOptions, ThreadSettings, typedArrayOf } from './ort-options';
import { makeInputs, ModelSpec, ORT_TO_V2, TensorSpec, V2_TO_ORT } from './payload';
import { LatencySummary, summarize } from './stats';

/** Configuration of the baseline child. */
export interface RawConfig extends ThreadSettings {
  readonly file: string;
  readonly batches: readonly number[];
  readonly warmupSec: number;
  readonly durationSec: number;
}

/** What the baseline child reports. */
export interface RawResult {
  readonly spec: ModelSpec;
  /** `require('onnxruntime-node')`, in ms. */
  readonly loadOrtMs: number;
  /** `InferenceSession.create`, in ms. */
  readonly sessionCreateMs: number;
  /** Process start (performance.timeOrigin) to session created: Node's own boot + `require` + create, in ms. */
  readonly processStartToCreateMs: number;
  /** Process start to session created and one warm-up run done, in ms. */
  readonly startToReadyMs: number;
  /** Per batch size: latencies, and process CPU time (all threads) per item over the window. */
  readonly byBatch: { readonly batch: number; readonly summary: LatencySummary; readonly cpuMsPerItem: number }[];
  /** RSS after all runs, in bytes. */
  readonly rssBytes: number;
}

type Ort = typeof import('onnxruntime-node');

function specOf(file: string, meta: readonly import('onnxruntime-node').InferenceSession.ValueMetadata[]): TensorSpec[] {
  return meta.map((m) => {
    if (!m.isTensor) {
      throw new Error(`${file}: ${m.name} is not a tensor; the benchmark needs tensor inputs and outputs`);
    }
    const datatype = ORT_TO_V2[m.type];
    if (datatype === undefined) {
      throw new Error(`${file}: ${m.name} has element type ${m.type}, which has no V2 datatype`);
    }
    return { name: m.name, datatype, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) };
  });
}

async function main(): Promise<void> {
  const cfg = childConfig<RawConfig>();
  const t0 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as Ort;
  const t1 = performance.now();
  const session = await ort.InferenceSession.create(cfg.file, sessionOptions(cfg));
  const t2 = performance.now();
  const spec: ModelSpec = {
    name: path.basename(cfg.file).replace(/\.onnx$/, ''),
    file: cfg.file,
    inputs: specOf(cfg.file, session.inputMetadata),
    outputs: specOf(cfg.file, session.outputMetadata),
  };
  const feedsFor = (batch: number): Record<string, import('onnxruntime-node').Tensor> => {
    const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
    for (const t of makeInputs(spec, batch)) {
      const type = V2_TO_ORT[t.datatype] as import('onnxruntime-node').Tensor.Type;
      feeds[t.name] = new ort.Tensor(type, typedArrayOf(type, t.bytes), t.shape);
    }
    return feeds;
  };
  await session.run(feedsFor(1));
  const startToReadyMs = performance.now();

  const byBatch: { batch: number; summary: LatencySummary; cpuMsPerItem: number }[] = [];
  for (const batch of cfg.batches) {
    const feeds = feedsFor(batch);
    const warmEnd = performance.now() + cfg.warmupSec * 1000;
    for (let i = 0; i < 3 || performance.now() < warmEnd; i++) {
      await session.run(feeds);
    }
    const lat: number[] = [];
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    const end = start + cfg.durationSec * 1000;
    let now = start;
    while (lat.length < 10 || now < end) {
      const a = performance.now();
      await session.run(feeds);
      now = performance.now();
      lat.push(now - a);
    }
    const cpu = process.cpuUsage(cpu0);
    byBatch.push({ batch, summary: summarize(lat, now - start, batch), cpuMsPerItem: (cpu.user + cpu.system) / 1000 / (lat.length * batch) });
  }
  emitResult({
    spec,
    loadOrtMs: t1 - t0,
    sessionCreateMs: t2 - t1,
    processStartToCreateMs: t2,
    startToReadyMs,
    byBatch,
    rssBytes: process.memoryUsage().rss,
  } satisfies RawResult);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  });
}
