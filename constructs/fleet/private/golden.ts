/**
 * The golden request: a sample input that fits a model's contract, run through the model at synth time with
 * onnxruntime-web, so that every target (SageMaker, Kubernetes, the Pis) can be checked against the same answer.
 * File format: docs/design.md (`golden.json`).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { packageRoot } from '../../greengrass/components/private/artifacts';
import { GOLDEN_WORKER_SOURCE } from './golden-worker';

/** The default tolerance of a golden comparison (docs/design.md). */
export const DEFAULT_GOLDEN_TOLERANCE = 1e-5;

/** A tensor as the Open Inference Protocol (KServe V2) writes it in JSON: flat, row-major data. */
export interface V2Tensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: number[];
  readonly data: Array<number | boolean | string>;
}

/** A V2 inference request with JSON tensors. */
export interface V2InferRequest {
  readonly id?: string;
  readonly inputs: V2Tensor[];
  readonly outputs?: Array<{ readonly name: string }>;
}

/** A V2 inference response with JSON tensors. */
export interface V2InferResponse {
  readonly model_name: string;
  readonly model_version?: string;
  readonly id?: string;
  readonly outputs: V2Tensor[];
}

/** `golden.json`. */
export interface GoldenDocument {
  readonly model: string;
  readonly version: string;
  readonly request: V2InferRequest;
  readonly response: V2InferResponse;
  readonly tolerance: number;
}

/** The part of a model contract's tensor description the golden request needs. */
export interface GoldenTensorSpec {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

/** Inputs larger than this are not generated: the user gives a request instead. */
export const MAX_GENERATED_ELEMENTS = 4 * 1024 * 1024;

const DATATYPES = new Set(['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64',
  'FP16', 'FP32', 'FP64', 'BYTES']);

/** The value of element `i` of a generated input: deterministic, small, valid for its type. */
function sampleValue(datatype: string, i: number): number | boolean | string {
  switch (datatype) {
    case 'BOOL': return i % 2 === 0;
    case 'BYTES': return `sample-${i}`;
    case 'FP16': case 'FP32': case 'FP64':
      // In [0, 1) with three decimals: valid for normalized images and for tabular features alike.
      return ((i * 389 + 211) % 1000) / 1000;
    default: return (i * 7 + 3) % 10;
  }
}

/**
 * A V2 request that fits the given inputs: every dynamic dimension (-1) becomes 1 (a batch of one), and the data is a
 * fixed sequence, so the same contract always gives the same request.
 */
export function sampleRequest(inputs: readonly GoldenTensorSpec[]): V2InferRequest {
  return {
    inputs: inputs.map((input) => {
      if (!DATATYPES.has(input.datatype)) {
        throw new Error(`input '${input.name}' has datatype ${input.datatype}, which is not a V2 datatype`);
      }
      const shape = input.shape.map((d) => (d < 0 ? 1 : d));
      const count = shape.reduce((a, b) => a * b, 1);
      if (count > MAX_GENERATED_ELEMENTS) {
        throw new Error(`input '${input.name}' of shape [${shape.join(', ')}] has ${count} elements, more than the `
          + `${MAX_GENERATED_ELEMENTS} a generated golden request may have`);
      }
      const data = Array.from({ length: count }, (_, i) => sampleValue(input.datatype, i));
      return { name: input.name, datatype: input.datatype, shape, data };
    }),
  };
}

/** Checks that a request fits the model's inputs; returns the problems found (empty when it fits). */
export function checkRequest(request: V2InferRequest, inputs: readonly GoldenTensorSpec[]): string[] {
  const problems: string[] = [];
  if (!request || !Array.isArray(request.inputs)) {
    return ['the request has no "inputs" array'];
  }
  const byName = new Map(inputs.map((i) => [i.name, i]));
  for (const tensor of request.inputs) {
    const spec = byName.get(tensor.name);
    if (!spec) {
      problems.push(`input '${tensor.name}' is not an input of the model (inputs: ${[...byName.keys()].join(', ')})`);
      continue;
    }
    if (tensor.datatype !== spec.datatype) {
      problems.push(`input '${tensor.name}' has datatype ${tensor.datatype}, the model expects ${spec.datatype}`);
    }
    const shape = Array.isArray(tensor.shape) ? tensor.shape : [];
    const fits = shape.length === spec.shape.length && shape.every((d, i) => spec.shape[i] < 0 || spec.shape[i] === d);
    if (!fits) {
      problems.push(`input '${tensor.name}' has shape [${shape.join(', ')}], the model expects [${spec.shape.join(', ')}]`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (!Array.isArray(tensor.data) || tensor.data.length !== count) {
      problems.push(`input '${tensor.name}' has ${Array.isArray(tensor.data) ? tensor.data.length : 0} values, `
        + `its shape [${shape.join(', ')}] needs ${count}`);
    }
  }
  for (const name of byName.keys()) {
    if (!request.inputs.some((t) => t.name === name)) {
      problems.push(`the model's input '${name}' is missing`);
    }
  }
  return problems;
}

/** One inference to run at synth. */
export interface GoldenJob {
  /** Model name (the response's `model_name`). */
  readonly name: string;
  /** Model version (the response's `model_version`). */
  readonly version: string;
  /** Absolute path of the `.onnx` file. */
  readonly modelPath: string;
  /** The sha256 of the model file: with the request, the key of the in-process cache. */
  readonly sha256: string;
  readonly request: V2InferRequest;
}

/** The result of one job: a response, or the error onnxruntime gave. */
export interface GoldenResult {
  readonly response?: V2InferResponse;
  readonly error?: string;
}

interface WorkerHandle {
  readonly worker: Worker;
  readonly port: MessageChannel['port1'];
  readonly signal: Int32Array;
}

let shared: WorkerHandle | undefined;
const cache = new Map<string, GoldenResult>();

/**
 * The golden engine: onnxruntime-web bundled into the package at build time (`dist/golden-engine/ort-web.js`, see
 * scripts/build-edge-artifacts.ts).
 */
export function goldenEnginePath(): string {
  const file = path.join(packageRoot(__dirname), 'dist', 'golden-engine', 'ort-web.js');
  if (!fs.existsSync(file)) {
    throw new Error(`the golden engine ${file} is missing: in the modelfleet repository run \`npm run build\``);
  }
  return file;
}

function startWorker(): WorkerHandle {
  const channel = new MessageChannel();
  const signalBuffer = new SharedArrayBuffer(4);
  const worker = new Worker(GOLDEN_WORKER_SOURCE, {
    eval: true,
    workerData: { ortPath: goldenEnginePath(), signal: signalBuffer, port: channel.port2 },
    transferList: [channel.port2],
  });
  // Synth must still exit when it is done: neither the worker nor its port keeps the process alive.
  worker.unref();
  channel.port1.unref();
  return { worker, port: channel.port1, signal: new Int32Array(signalBuffer) };
}

/** Stops the shared worker (tests; a CDK app does not need it: the worker does not keep the process alive). */
export async function stopGoldenWorker(): Promise<void> {
  const handle = shared;
  shared = undefined;
  cache.clear();
  if (handle) {
    handle.port.close();
    await handle.worker.terminate();
  }
}

function cacheKey(job: GoldenJob): string {
  return createHash('sha256').update(job.sha256).update('\0').update(job.name).update('\0').update(job.version)
    .update('\0').update(JSON.stringify(job.request)).digest('hex');
}

/**
 * Runs the jobs through onnxruntime-web, synchronously (for CDK synth). One worker thread, started on first use,
 * serves every call of the process; a result is cached by model sha256 and request.
 */
export function runGoldenInferences(jobs: readonly GoldenJob[], timeoutMs = 120_000): GoldenResult[] {
  const todo = jobs.filter((job) => !cache.has(cacheKey(job)));
  if (todo.length > 0) {
    shared = shared ?? startWorker();
    const handle = shared;
    Atomics.store(handle.signal, 0, 0);
    handle.port.postMessage(todo);
    const outcome = Atomics.wait(handle.signal, 0, 0, timeoutMs);
    const message = receiveMessageOnPort(handle.port);
    if (!message) {
      // A worker that did not answer is not reused.
      shared = undefined;
      void handle.worker.terminate();
      throw new Error(outcome === 'timed-out'
        ? `the golden inference did not finish within ${timeoutMs} ms`
        : 'the golden inference worker stopped without an answer');
    }
    const results = message.message as GoldenResult[];
    todo.forEach((job, i) => cache.set(cacheKey(job), results[i]));
  }
  return jobs.map((job) => cache.get(cacheKey(job)) as GoldenResult);
}

/** The `golden.json` document of a model, from its request and the response computed at synth. */
export function goldenDocument(job: GoldenJob, response: V2InferResponse, tolerance: number): GoldenDocument {
  return { model: job.name, version: job.version, request: job.request, response, tolerance };
}
