/**
 * Request bodies of the Open Inference Protocol (KServe V2) for the benchmark: JSON tensors and the binary tensor
 * data extension, built once per phase from a model's input spec, and light checks of the responses.
 */

/** A tensor as the V2 protocol describes it: datatype name and shape (-1 for a dynamic dimension). */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

/** What the harness knows of a model: where it is and its inputs and outputs. */
export interface ModelSpec {
  /** The name the runtime serves it under (the file's base name). */
  readonly name: string;
  readonly file: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/** onnxruntime element type → V2 datatype. */
export const ORT_TO_V2: Readonly<Record<string, string>> = {
  float32: 'FP32',
  float64: 'FP64',
  float16: 'FP16',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  bool: 'BOOL',
  string: 'BYTES',
};

/** V2 datatype → onnxruntime element type. */
export const V2_TO_ORT: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(ORT_TO_V2).map(([k, v]) => [v, k]));

const BYTES_PER_ELEMENT: Readonly<Record<string, number>> = {
  FP32: 4, FP64: 8, FP16: 2, INT8: 1, INT16: 2, INT32: 4, INT64: 8, UINT8: 1, UINT16: 2, UINT32: 4, UINT64: 8, BOOL: 1,
};

/** Bytes per element of a fixed-size V2 datatype; throws for BYTES and unknown names. */
export function bytesPerElement(datatype: string): number {
  const n = BYTES_PER_ELEMENT[datatype];
  if (n === undefined) {
    throw new Error(`the benchmark cannot build tensors of datatype ${datatype}: use a model whose inputs are numeric or BOOL`);
  }
  return n;
}

/** The concrete shape of a tensor for a batch: the first dynamic axis becomes `batch`, other dynamic axes 1. */
export function concreteShape(shape: readonly number[], batch: number): number[] {
  let batchUsed = false;
  return shape.map((d, i) => {
    if (d >= 0) {
      return d;
    }
    if (!batchUsed && i === 0) {
      batchUsed = true;
      return batch;
    }
    return 1;
  });
}

/** Number of elements of a concrete shape. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A small deterministic PRNG (mulberry32), so every run sends the same bytes. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A concrete input tensor: the raw little-endian bytes and the same values as JSON-ready numbers/booleans. */
export interface InputTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  /** Little-endian bytes, exactly as the binary extension and onnxruntime take them. */
  readonly bytes: Buffer;
}

/** Fills one input with seeded values in a range that every datatype holds (floats in [0, 1), integers in [0, 4)). */
export function makeInput(spec: TensorSpec, batch: number, seed: number): InputTensor {
  const shape = concreteShape(spec.shape, batch);
  const n = elementCount(shape);
  const size = bytesPerElement(spec.datatype);
  const buf = Buffer.alloc(n * size);
  const rand = mulberry32(seed);
  for (let i = 0; i < n; i++) {
    const r = rand();
    const k = Math.floor(r * 4);
    switch (spec.datatype) {
      case 'FP32': buf.writeFloatLE(r, i * 4); break;
      case 'FP64': buf.writeDoubleLE(r, i * 8); break;
      case 'FP16': buf.writeUInt16LE(k === 0 ? 0 : 0x3c00, i * 2); break; // 0.0 or 1.0
      case 'INT8': buf.writeInt8(k, i); break;
      case 'UINT8': case 'BOOL': buf.writeUInt8(spec.datatype === 'BOOL' ? k & 1 : k, i); break;
      case 'INT16': buf.writeInt16LE(k, i * 2); break;
      case 'UINT16': buf.writeUInt16LE(k, i * 2); break;
      case 'INT32': buf.writeInt32LE(k, i * 4); break;
      case 'UINT32': buf.writeUInt32LE(k, i * 4); break;
      case 'INT64': buf.writeBigInt64LE(BigInt(k), i * 8); break;
      case 'UINT64': buf.writeBigUInt64LE(BigInt(k), i * 8); break;
      default: bytesPerElement(spec.datatype);
    }
  }
  return { name: spec.name, datatype: spec.datatype, shape, bytes: buf };
}

/** The values of an input as they go into a JSON body (V2 `data`, flattened row-major). */
export function jsonData(t: InputTensor): (number | boolean)[] {
  const n = elementCount(t.shape);
  const out: (number | boolean)[] = new Array(n);
  const b = t.bytes;
  for (let i = 0; i < n; i++) {
    switch (t.datatype) {
      case 'FP32': out[i] = b.readFloatLE(i * 4); break;
      case 'FP64': out[i] = b.readDoubleLE(i * 8); break;
      case 'FP16': out[i] = b.readUInt16LE(i * 2) === 0 ? 0 : 1; break;
      case 'INT8': out[i] = b.readInt8(i); break;
      case 'UINT8': out[i] = b.readUInt8(i); break;
      case 'BOOL': out[i] = b.readUInt8(i) !== 0; break;
      case 'INT16': out[i] = b.readInt16LE(i * 2); break;
      case 'UINT16': out[i] = b.readUInt16LE(i * 2); break;
      case 'INT32': out[i] = b.readInt32LE(i * 4); break;
      case 'UINT32': out[i] = b.readUInt32LE(i * 4); break;
      case 'INT64': out[i] = Number(b.readBigInt64LE(i * 8)); break;
      case 'UINT64': out[i] = Number(b.readBigUInt64LE(i * 8)); break;
      default: bytesPerElement(t.datatype);
    }
  }
  return out;
}

/** A request ready to send many times: headers and one body buffer. */
export interface PreparedRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** A JSON-tensor V2 infer request for all inputs, asking for every output of the model. */
export function jsonRequest(model: ModelSpec, inputs: readonly InputTensor[]): PreparedRequest {
  const body = Buffer.from(JSON.stringify({
    inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: jsonData(t) })),
    outputs: model.outputs.map((o) => ({ name: o.name })),
  }));
  return { headers: { 'content-type': 'application/json' }, body };
}

/** A binary-extension V2 infer request: JSON header, then each input's raw bytes; all outputs asked for as binary. */
export function binaryRequest(model: ModelSpec, inputs: readonly InputTensor[]): PreparedRequest {
  const header = Buffer.from(JSON.stringify({
    inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: t.bytes.length } })),
    outputs: model.outputs.map((o) => ({ name: o.name, parameters: { binary_data: true } })),
  }));
  return {
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
    body: Buffer.concat([header, ...inputs.map((t) => t.bytes)]),
  };
}

/** Builds the inputs of a model for a batch, each with its own seed. */
export function makeInputs(model: ModelSpec, batch: number, seed = 1): InputTensor[] {
  return model.inputs.map((s, i) => makeInput(s, batch, seed + i * 7919));
}

interface ResponseOutput {
  name?: unknown;
  shape?: unknown;
  datatype?: unknown;
  data?: unknown;
  parameters?: { binary_data_size?: unknown };
}

/**
 * Checks a V2 infer response: every output of the model is present, its first axis is the batch where the model's
 * is dynamic, and its data length matches its shape (JSON) or the binary sizes add up to the body (binary).
 * Returns `undefined` when it is right, else a short description of what is wrong.
 */
export function checkResponse(model: ModelSpec, batch: number, body: Buffer, headerLength: number | undefined): string | undefined {
  let jsonPart: Buffer = body;
  if (headerLength !== undefined) {
    if (!Number.isInteger(headerLength) || headerLength < 0 || headerLength > body.length) {
      return `bad Inference-Header-Content-Length ${headerLength} for a body of ${body.length} bytes`;
    }
    jsonPart = body.subarray(0, headerLength);
  }
  let parsed: { outputs?: unknown };
  try {
    parsed = JSON.parse(jsonPart.toString('utf8')) as { outputs?: unknown };
  } catch {
    return `response is not JSON: ${jsonPart.subarray(0, 80).toString('utf8')}`;
  }
  if (!Array.isArray(parsed.outputs)) {
    return `response has no outputs array: ${jsonPart.subarray(0, 120).toString('utf8')}`;
  }
  const outputs = parsed.outputs as ResponseOutput[];
  let binaryTotal = 0;
  for (const spec of model.outputs) {
    const out = outputs.find((o) => o.name === spec.name);
    if (out === undefined) {
      return `output ${spec.name} missing`;
    }
    if (!Array.isArray(out.shape)) {
      return `output ${spec.name} has no shape`;
    }
    const shape = out.shape as number[];
    if (spec.shape.length > 0 && spec.shape[0] < 0 && shape[0] !== batch) {
      return `output ${spec.name} has batch ${shape[0]}, expected ${batch}`;
    }
    const n = elementCount(shape);
    if (headerLength !== undefined && out.parameters?.binary_data_size !== undefined) {
      const size = Number(out.parameters.binary_data_size);
      if (size !== n * bytesPerElement(spec.datatype)) {
        return `output ${spec.name} binary_data_size ${size} disagrees with shape ${JSON.stringify(shape)}`;
      }
      binaryTotal += size;
    } else if (!Array.isArray(out.data) || out.data.length !== n) {
      return `output ${spec.name} data length disagrees with shape ${JSON.stringify(shape)}`;
    }
  }
  if (headerLength !== undefined && headerLength + binaryTotal !== body.length) {
    return `binary body is ${body.length} bytes, header says ${headerLength} + ${binaryTotal}`;
  }
  return undefined;
}
