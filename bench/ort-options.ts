/**
 * The onnxruntime session options the in-process baseline and the naive server use, so that they match the
 * runtime's defaults (edge/model): intra-op threads = cores, one inter-op thread, spinning as given.
 */
import * as os from 'os';
import type { InferenceSession, Tensor } from 'onnxruntime-node';

/** Thread settings shared by the baseline and the naive server. */
export interface ThreadSettings {
  /** Intra-op threads; the runtime's default is the number of cores. */
  readonly threads: number;
  /** Whether idle intra-op threads spin (`session.intra_op.allow_spinning`). */
  readonly spinning: boolean;
}

/** The number of cores, as the runtime counts them for its `--threads` default. */
export function defaultThreads(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Session options for the given thread settings. */
export function sessionOptions(t: ThreadSettings): InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: t.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: t.spinning ? '1' : '0' } } },
  };
}

/** One line for the report: what the thread settings are. */
export function describeThreads(t: ThreadSettings): string {
  return `intraOpNumThreads=${t.threads}, interOpNumThreads=1, allow_spinning=${t.spinning ? 1 : 0}`;
}

/** A typed array view of the bytes, of the type onnxruntime expects for the element type. */
export function typedArrayOf(type: string, bytes: Buffer): Tensor.DataType {
  // Copy into a fresh, aligned ArrayBuffer.
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  switch (type) {
    case 'float32': return new Float32Array(ab);
    case 'float64': return new Float64Array(ab);
    case 'float16': return new Uint16Array(ab);
    case 'int8': return new Int8Array(ab);
    case 'int16': return new Int16Array(ab);
    case 'int32': return new Int32Array(ab);
    case 'int64': return new BigInt64Array(ab);
    case 'uint8': return new Uint8Array(ab);
    case 'uint16': return new Uint16Array(ab);
    case 'uint32': return new Uint32Array(ab);
    case 'uint64': return new BigUint64Array(ab);
    case 'bool': return new Uint8Array(ab);
    default: throw new Error(`unsupported element type ${type}`);
  }
}

