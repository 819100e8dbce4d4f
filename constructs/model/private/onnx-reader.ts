import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ONNX_TO_V2_DATATYPE, OnnxHeader, OnnxValueInfo, readOnnxHeader } from './onnx-wire';
import { ErrorCode } from '../../core/private/error-codes';

/** A tensor as read from a model file (V2 datatype, -1 for dynamic dimensions). */
export interface ReadTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: number[];
}

/** What a model file says about itself. */
export interface OnnxFileFacts {
  readonly path: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly irVersion: number;
  readonly opset: number;
  readonly producerName: string;
  readonly inputs: ReadTensor[];
  readonly outputs: ReadTensor[];
}

/** Why a file could not be read as an ONNX model. `code` is one of the ModelFleetError codes. */
export class OnnxReadError extends Error {
  constructor(public readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'OnnxReadError';
  }
}

interface CacheEntry {
  readonly key: string;
  readonly facts?: OnnxFileFacts;
  readonly error?: OnnxReadError;
}

const cache = new Map<string, CacheEntry>();
let opened = 0;

/** How many times a model file was actually opened and parsed (the rest came from the cache). */
export function onnxReadCount(): number {
  return opened;
}

/**
 * Reads the contract facts of an ONNX file: names, element types and shapes of the graph inputs (initializers
 * excluded) and outputs, the default-domain opset, the byte size and the sha256.
 *
 * Cached per absolute path + mtime + size, so an app that uses a file many times opens and hashes it once.
 * Throws `OnnxReadError` with code `ModelFileNotFound`, `ModelFileInvalid` or `ModelTensorTypeUnsupported`.
 */
export function readOnnxFile(file: string): OnnxFileFacts {
  const abs = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new OnnxReadError('ModelFileNotFound', `model file ${abs} does not exist; check the path given to ModelSource.fromAsset`);
  }
  if (!stat.isFile()) {
    throw new OnnxReadError('ModelFileNotFound', `model file ${abs} is not a regular file; give the path of an .onnx file`);
  }
  const key = `${stat.mtimeMs}:${stat.size}`;
  const hit = cache.get(abs);
  if (hit && hit.key === key) {
    if (hit.error) throw hit.error;
    return hit.facts!;
  }
  try {
    const facts = parse(abs, fs.readFileSync(abs));
    cache.set(abs, { key, facts });
    return facts;
  } catch (err) {
    const error = err instanceof OnnxReadError ? err : new OnnxReadError('ModelFileInvalid', String(err));
    cache.set(abs, { key, error });
    throw error;
  }
}

function parse(abs: string, bytes: Buffer): OnnxFileFacts {
  opened++;
  const invalid = (why: string) =>
    new OnnxReadError('ModelFileInvalid', `${abs} is not a valid ONNX model (${why}); give a file saved by an ONNX exporter`);

  let header: OnnxHeader;
  try {
    header = readOnnxHeader(bytes);
  } catch (err) {
    throw invalid(`protobuf decoding failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!header.irVersion || header.irVersion < 1) throw invalid('no ir_version');
  const graph = header.graph;
  if (!graph) throw invalid('no graph');
  if (!graph.output || graph.output.length === 0) throw invalid('the graph has no outputs');
  const opset = (header.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version;
  if (!opset) throw invalid('no opset_import for the default ONNX domain');

  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const tensor = (kind: string) => (v: OnnxValueInfo): ReadTensor => {
    const name = v.name ?? '';
    const tt = v.type?.tensorType;
    if (!tt) {
      throw new OnnxReadError('ModelTensorTypeUnsupported',
        `${abs}: ${kind} '${name}' is not a tensor (sequence, map or optional values are not supported); ` +
        'export the model with plain tensor inputs and outputs');
    }
    const datatype = ONNX_TO_V2_DATATYPE.get(tt.elemType ?? 0);
    if (!datatype) {
      throw new OnnxReadError('ModelTensorTypeUnsupported',
        `${abs}: ${kind} '${name}' has ONNX element type ${tt.elemType ?? 0}, which has no Open Inference Protocol ` +
        'datatype; cast it to a supported type (e.g. FP32) in the graph');
    }
    const shape = (tt.shape?.dim ?? []).map((d) => (typeof d.dimValue === 'number' && d.dimValue >= 0 ? d.dimValue : -1));
    return { name, datatype, shape };
  };

  return {
    path: abs,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    sizeBytes: bytes.length,
    irVersion: header.irVersion,
    opset,
    producerName: header.producerName ?? '',
    inputs: (graph.input ?? []).filter((v) => !initializers.has(v.name)).map(tensor('input')),
    outputs: graph.output.map(tensor('output')),
  };
}
