/** Messages between the main thread and a session worker (edge/model/worker.ts). Plain data, structured-clone safe. */
import type { ErrorCode } from '../errors';
import type { OrtType, V2Datatype } from '../tensor/datatypes';
import type { DecodedRequest, ModelSignature } from '../tensor/request';

export interface TensorMeta {
  readonly name: string;
  readonly datatype: V2Datatype;
  /** -1 for a dynamic dimension. */
  readonly shape: readonly number[];
}

export interface WorkerInit {
  readonly modelPath: string;
  readonly intraOpThreads: number;
  readonly workerIndex: number;
  /** Nice value for the worker and its onnxruntime threads (Linux; 0 keeps the default). */
  readonly nice: number;
  /** Scheduling policy for the worker and its onnxruntime threads (Linux; `normal` keeps the default). */
  readonly policy: 'batch' | 'normal';
}

/** One input of one request, as bytes in a (transferred) buffer. */
export interface WireTensor {
  readonly name: string;
  readonly ort: OrtType;
  readonly shape: readonly number[];
  readonly buffer: ArrayBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
}

export interface WireOutputRequest {
  readonly name: string;
  /** true: return bytes; false: return the JSON text of the data array. */
  readonly binary: boolean;
}

export interface WireRequest {
  readonly inputs: readonly WireTensor[];
  readonly outputs: readonly WireOutputRequest[];
  /** Size of axis 0 (rows) when batching, else 0. */
  readonly rows: number;
}

export interface RunMessage {
  readonly type: 'run';
  readonly id: number;
  readonly requests: readonly WireRequest[];
  /** Join the requests along axis 0 in one run. */
  readonly concat: boolean;
}

export interface WireOutput {
  readonly name: string;
  readonly datatype: V2Datatype;
  readonly shape: readonly number[];
  /** Binary outputs. */
  readonly buffer?: ArrayBuffer;
  /** JSON outputs: the text of the `data` array. */
  readonly json?: string;
}

export type WireResult =
  | { readonly ok: true; readonly outputs: readonly WireOutput[] }
  | { readonly ok: false; readonly message: string };

export interface ReadyMessage {
  readonly type: 'ready';
  readonly inputs: readonly TensorMeta[];
  readonly outputs: readonly TensorMeta[];
  readonly loadMs: number;
  readonly warmupMs: number;
  readonly warmupError?: string;
  /** The scheduling the session threads got: e.g. `batch, nice 10`; with the reason when a setting could not be applied. */
  readonly scheduling: string;
}

export interface LoadErrorMessage {
  readonly type: 'load-error';
  readonly code: 'EDGE_ERR_MODEL_LOAD_FAILED' | 'EDGE_ERR_MODEL_UNSUPPORTED_TYPE';
  readonly message: string;
}

export interface DoneMessage {
  readonly type: 'done';
  readonly id: number;
  readonly results: readonly WireResult[];
  /** Time inside session.run, summed over the runs of this batch. */
  readonly inferMs: number;
  /** Number of session.run calls (1, or one per request after a failed joined run). */
  readonly runs: number;
  /** When the worker started on this batch: `performance.timeOrigin + performance.now()` in the worker, in ms. */
  readonly startedAt: number;
  /** The requests' large input buffers, handed back after the run for reuse (see buffer-pool.ts). */
  readonly returned?: readonly ArrayBuffer[];
}

export type FromWorker = ReadyMessage | LoadErrorMessage | DoneMessage;

/** To a codec worker: decode this body (the buffer is transferred). */
export interface DecodeMessage {
  readonly id: number;
  readonly buffer: ArrayBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
  readonly headerLength: number | undefined;
  readonly signature: ModelSignature;
}

/** From a codec worker: the decoded request (its tensors transferred) or the error. */
export interface DecodedMessage {
  readonly type: 'decoded';
  readonly id: number;
  readonly request?: DecodedRequest;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}
