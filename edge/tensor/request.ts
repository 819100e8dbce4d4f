/** Decoding of Open Inference Protocol infer requests (JSON and the binary tensor data extension). Pure, no I/O. */
import { EdgeError } from '../errors';
import type { TensorMeta, WireOutputRequest, WireTensor } from '../model/protocol';
import { byV2, numberToHalf, type DatatypeInfo, type NumericArray } from './datatypes';
import { findDataRanges, parseIntegersInto, parseJsonExactIntegers, parseNumbersInto, spliceOut, type DataRange } from './json-fast';

/** What the decoder checks a request against. */
export interface ModelSignature {
  readonly inputs: readonly TensorMeta[];
  readonly outputs: readonly TensorMeta[];
  /** Axis 0 of every input and output is dynamic: requests may be joined along it. */
  readonly batchable: boolean;
}

export interface DecodedRequest {
  readonly id?: string;
  /** In the model's input order. */
  readonly inputs: readonly WireTensor[];
  readonly outputs: readonly WireOutputRequest[];
  /** Axis-0 size shared by all inputs (0 when the request cannot be batched). */
  readonly rows: number;
  /** Requests with the same non-empty key can be joined along axis 0. */
  readonly batchKey: string;
  /** Buffers to transfer to the worker. */
  readonly transfer: readonly ArrayBuffer[];
}

const MAX_RANK = 32;

/**
 * Bytes of JSON a request may hold outside its inputs' `data` arrays (id, parameters, names, outputs): what JSON.parse
 * turns into JS objects. Bounded so that a body of 30 MB of `{}` in `parameters` or a 30 MB `id` is refused before
 * parsing (it would take GBs of heap and seconds of a thread); tensor data is parsed into typed arrays.
 */
export const MAX_JSON_OUTSIDE_DATA = 64 * 1024;

/**
 * Nesting of arrays and objects at most in requests of up to MAX_JSON_OUTSIDE_DATA bytes (larger ones: 512, the limit of
 * the data-array scanner; data arrays of rank 32 sit at depth 36). Nothing on the request path recurses over request
 * values without a bound of its own; this keeps absurd documents out of JSON.parse and the decoder altogether.
 */
export const MAX_JSON_DEPTH = 1000;

/**
 * A short text of a value from the request for an error message: at most `max` characters, nested values shown two
 * levels deep. Never JSON.stringify a request value whole: it may be 30 MB long or nested 100,000 deep.
 */
export function preview(v: unknown, max = 60): string {
  const show = (x: unknown, depth: number): string => {
    if (typeof x === 'string') return JSON.stringify(x.length > max ? x.slice(0, max) : x) + (x.length > max ? '...' : '');
    if (typeof x === 'bigint') return String(x);
    if (x === null || typeof x !== 'object') return String(x);
    if (depth >= 2) return Array.isArray(x) ? '[...]' : '{...}';
    const parts: string[] = [];
    let len = 0;
    const entries = Array.isArray(x) ? x : Object.keys(x);
    for (let i = 0; i < entries.length && len <= max; i++) {
      const part = Array.isArray(x) ? show(x[i], depth + 1) : `${show(entries[i], 2)}:${show((x as Record<string, unknown>)[entries[i] as string], depth + 1)}`;
      parts.push(part);
      len += part.length + 1;
    }
    const more = parts.length < entries.length ? ',...' : '';
    return Array.isArray(x) ? `[${parts.join(',')}${more}]` : `{${parts.join(',')}${more}}`;
  };
  const text = show(v, 0);
  return text.length > max + 3 ? `${text.slice(0, max)}...` : text;
}

/** A name from the request, quoted and cut to 100 characters. */
function q(name: string): string {
  return preview(name, 100);
}

/** True when the JSON text in `b[0, end)` nests arrays and objects deeper than `limit` (strings skipped). */
function deeperThan(b: Uint8Array, end: number, limit: number): boolean {
  let depth = 0;
  for (let p = 0; p < end; p++) {
    const c = b[p];
    if (c === 0x22) {
      for (p++; p < end && b[p] !== 0x22; p++) if (b[p] === 0x5c) p++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** JSON headers at least this large try the fast path for FP32/FP64/INT64/UINT64 `data` arrays (./json-fast.ts). */
export const FAST_JSON_MIN_BYTES = 16 * 1024;

const FAST_DATATYPES: ReadonlySet<string> = new Set(['FP32', 'FP64', 'INT64', 'UINT64']);

/** Abandons the fast path (the request is then decoded again with JSON.parse alone). */
class FastPathMiss extends Error {}

/** An integer beyond 2^53 in the data of an integer input: JSON.parse may have rounded it (the request is read again exactly). */
class InexactInteger extends Error {}
const INEXACT = new InexactInteger();

/** Parsed JSON; bigint only for the integer literals parseJsonExactIntegers reads exactly. */
type Json = null | boolean | number | bigint | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function field(msg: string): EdgeError {
  return new EdgeError('EDGE_ERR_REQ_INVALID_FIELD', msg);
}

/**
 * Decodes an infer request. `body` is the whole request body; `headerLength` is the JSON header size from
 * Inference-Header-Content-Length (or json-header-size), undefined when the body is all JSON. Headers of at least
 * `fastJsonMinBytes` take the fast path for FP32/FP64/INT64/UINT64 data (Infinity: never; the result is the same
 * either way). Integer literals of INT64/UINT64 inputs are read exactly on every path (never through a double).
 */
export function decodeInferRequest(body: Uint8Array, headerLength: number | undefined, sig: ModelSignature, fastJsonMinBytes = FAST_JSON_MIN_BYTES): DecodedRequest {
  const hlen = headerLength ?? body.byteLength;
  if (!Number.isInteger(hlen) || hlen < 0 || hlen > body.byteLength) {
    throw new EdgeError('EDGE_ERR_REQ_BINARY_HEADER', `the JSON header length ${headerLength} does not fit the body of ${body.byteLength} bytes`);
  }
  let ranges: DataRange[] | undefined;
  if (hlen > MAX_JSON_OUTSIDE_DATA) {
    // the bulk of a large request must be its data arrays: measure the rest before JSON.parse sees it
    ranges = findDataRanges(body, hlen);
    let inData = 0;
    for (const r of ranges ?? []) inData += r.end - r.start;
    if (hlen - inData > MAX_JSON_OUTSIDE_DATA) {
      throw new EdgeError('EDGE_ERR_REQ_TOO_COMPLEX', ranges
        ? `the request has ${hlen - inData} bytes of JSON outside its inputs' "data" arrays, more than ${MAX_JSON_OUTSIDE_DATA}`
        : `the request has ${hlen} bytes of JSON, more than ${MAX_JSON_OUTSIDE_DATA}, and no inputs' "data" arrays that hold them (it must be an object with an "inputs" array, plain keys, arrays and objects nested at most ${MAX_JSON_DEPTH} deep)`);
    }
  } else if (hlen > 2 * MAX_JSON_DEPTH && deeperThan(body, hlen, MAX_JSON_DEPTH)) {
    throw new EdgeError('EDGE_ERR_REQ_TOO_COMPLEX', `the request nests arrays and objects more than ${MAX_JSON_DEPTH} deep`);
  }
  if (hlen >= fastJsonMinBytes && sig.inputs.some((m) => FAST_DATATYPES.has(m.datatype))) {
    ranges ??= findDataRanges(body, hlen);
    if (ranges) {
      try {
        return decode(body, headerLength, hlen, sig, ranges, false);
      } catch {
        // anything unusual (or an error to report): decode again the exact way, which gives the same result or error
      }
    }
  }
  try {
    return decode(body, headerLength, hlen, sig, undefined, false);
  } catch (e) {
    if (e !== INEXACT) throw e;
    // an integer input holds a value JSON.parse may have rounded: read the data's integer literals exactly
    return decode(body, headerLength, hlen, sig, undefined, true);
  }
}

/**
 * One decoding. `ranges`: the data arrays the fast path parses itself (JSON.parse sees the rest). `exact`: integer
 * literals beyond 2^53 in data are BigInts from their digits (else such a value in an integer input throws INEXACT).
 */
function decode(body: Uint8Array, headerLength: number | undefined, hlen: number, sig: ModelSignature, ranges: readonly DataRange[] | undefined, exact: boolean): DecodedRequest {
  let parsed: unknown;
  const text = ranges ? spliceOut(body, hlen, ranges) : Buffer.from(body.buffer, body.byteOffset, hlen).toString('utf8');
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const what = headerLength === undefined ? 'the body' : `the first ${hlen} bytes (Inference-Header-Content-Length)`;
    throw new EdgeError('EDGE_ERR_REQ_INVALID_JSON', `${what} is not valid JSON (${(e as Error).message})`);
  }
  if (exact) parsed = parseJsonExactIntegers(text);
  if (!isObject(parsed)) throw new EdgeError('EDGE_ERR_REQ_INVALID_JSON', 'the inference request must be a JSON object');
  const req = parsed;
  // data arrays cut out by the fast path, by the input object they belong to
  let fast: Map<Json, DataRange> | undefined;
  if (ranges) {
    if (!Array.isArray(req.inputs)) throw new FastPathMiss();
    fast = new Map();
    for (const r of ranges) {
      const raw = req.inputs[r.input];
      if (!isObject(raw) || !Array.isArray(raw.data) || raw.data.length !== 0) throw new FastPathMiss();
      fast.set(raw, r);
    }
  }

  const id = req.id;
  if (id !== undefined && typeof id !== 'string') throw field(`"id" must be a string, got ${preview(id)}`);
  const params = req.parameters;
  if (params !== undefined && !isObject(params)) throw field('"parameters" must be an object');
  if (params && params.classification !== undefined) throw field('"parameters.classification" is not supported: ask for the raw outputs');
  const binaryDefault = params?.binary_data_output;
  if (binaryDefault !== undefined && typeof binaryDefault !== 'boolean') throw field('"parameters.binary_data_output" must be true or false');

  if (!Array.isArray(req.inputs)) throw field('"inputs" must be an array of tensors');
  const byName = new Map<string, JsonObject>();
  for (const [i, raw] of req.inputs.entries()) {
    if (!isObject(raw)) throw field(`"inputs[${i}]" must be an object`);
    if (typeof raw.name !== 'string') throw field(`"inputs[${i}].name" must be a string`);
    if (byName.has(raw.name)) throw new EdgeError('EDGE_ERR_INPUT_DUPLICATE', `input ${q(raw.name)} appears twice`);
    if (!sig.inputs.some((m) => m.name === raw.name)) {
      throw new EdgeError('EDGE_ERR_INPUT_UNKNOWN', `input ${q(raw.name)} is not an input of the model (inputs: ${sig.inputs.map((m) => m.name).join(', ')})`);
    }
    byName.set(raw.name, raw);
  }

  // binary sections follow the header in the order of the inputs in the request
  let binOffset = hlen;
  const binaryAt = new Map<string, { offset: number; size: number }>();
  for (const raw of req.inputs as JsonObject[]) {
    const p = raw.parameters;
    if (p !== undefined && !isObject(p)) throw field(`"inputs.${raw.name as string}.parameters" must be an object`);
    const size = p?.binary_data_size;
    if (size === undefined) continue;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
      throw new EdgeError('EDGE_ERR_REQ_BINARY_SIZE', `"inputs.${raw.name as string}.parameters.binary_data_size" must be a non-negative integer, got ${preview(size)}`);
    }
    if (headerLength === undefined) {
      throw new EdgeError('EDGE_ERR_REQ_BINARY_HEADER', `input ${q(raw.name as string)} has binary_data_size but the request has no Inference-Header-Content-Length`);
    }
    if (binOffset + size > body.byteLength) {
      throw new EdgeError('EDGE_ERR_REQ_BINARY_SIZE', `input ${q(raw.name as string)} declares ${size} binary bytes but only ${body.byteLength - binOffset} remain in the body`);
    }
    binaryAt.set(raw.name as string, { offset: binOffset, size });
    binOffset += size;
  }
  if (binOffset !== body.byteLength) {
    throw new EdgeError('EDGE_ERR_REQ_BINARY_SIZE', `the body has ${body.byteLength - binOffset} bytes after the JSON header and binary inputs that no binary_data_size accounts for`);
  }

  const inputs: WireTensor[] = [];
  const transfer: ArrayBuffer[] = [];
  let rows = -1;
  let batchable = sig.batchable;
  const keyParts: string[] = [];
  for (const meta of sig.inputs) {
    const raw = byName.get(meta.name);
    if (!raw) throw new EdgeError('EDGE_ERR_INPUT_MISSING', `input "${meta.name}" is missing (the model needs: ${sig.inputs.map((m) => m.name).join(', ')})`);
    if (typeof raw.datatype !== 'string') throw field(`"inputs.${meta.name}.datatype" must be a string`);
    if (raw.datatype !== meta.datatype) {
      if (raw.datatype === 'BYTES' || meta.datatype === 'BYTES') {
        throw new EdgeError('EDGE_ERR_INPUT_BYTES_UNSUPPORTED', `input "${meta.name}": BYTES tensors are not supported`);
      }
      throw new EdgeError('EDGE_ERR_INPUT_DATATYPE', `input "${meta.name}" has datatype ${preview(raw.datatype, 20)} but the model expects ${meta.datatype}`);
    }
    const dt = byV2(meta.datatype)!;
    if (dt.bytes === 0) throw new EdgeError('EDGE_ERR_INPUT_BYTES_UNSUPPORTED', `input "${meta.name}": BYTES tensors are not supported`);
    const shape = checkShape(meta, raw.shape);
    let count = 1;
    for (const d of shape) count *= d;
    const bin = binaryAt.get(meta.name);
    let tensor: WireTensor;
    if (bin) {
      if (raw.data !== undefined) throw field(`input "${meta.name}" has both "data" and binary_data_size: send one`);
      if (bin.size !== count * dt.bytes) {
        throw new EdgeError('EDGE_ERR_INPUT_DATA_LENGTH', `input "${meta.name}" with shape [${shape}] needs ${count * dt.bytes} bytes of ${meta.datatype}, binary_data_size is ${bin.size}`);
      }
      tensor = { name: meta.name, ort: dt.ort, shape, buffer: body.buffer as ArrayBuffer, byteOffset: body.byteOffset + bin.offset, byteLength: bin.size };
      if (!transfer.includes(body.buffer as ArrayBuffer)) transfer.push(body.buffer as ArrayBuffer);
    } else {
      if (raw.data === undefined) throw field(`input "${meta.name}" has no "data" (and no parameters.binary_data_size)`);
      // every JSON element takes at least one byte: refuse absurd shapes before allocating
      if (count > hlen) {
        throw new EdgeError('EDGE_ERR_INPUT_DATA_LENGTH', `input "${meta.name}" with shape [${shape}] needs ${count} elements, more than the request can hold`);
      }
      const arr = new dt.ctor!(count);
      const range = fast?.get(raw);
      let n: number;
      if (range) {
        if (arr instanceof Float32Array || arr instanceof Float64Array) n = parseNumbersInto(body, range, arr);
        else if (arr instanceof BigInt64Array || arr instanceof BigUint64Array) n = parseIntegersInto(body, range, arr);
        else throw new FastPathMiss();
        if (n !== count) throw new FastPathMiss(); // not valid JSON after all (or not for the fast path): the exact path reports it
      } else {
        n = fill(arr, dt, raw.data, meta.name, count, exact);
      }
      if (n !== count) {
        throw new EdgeError('EDGE_ERR_INPUT_DATA_LENGTH', `input "${meta.name}" with shape [${shape}] needs ${count} elements, "data" has ${n}`);
      }
      tensor = { name: meta.name, ort: dt.ort, shape, buffer: arr.buffer as ArrayBuffer, byteOffset: 0, byteLength: arr.byteLength };
      transfer.push(arr.buffer as ArrayBuffer);
    }
    inputs.push(tensor);
    if (batchable) {
      if (rows < 0) rows = shape[0];
      else if (rows !== shape[0]) batchable = false;
      keyParts.push(`${meta.datatype}[${shape.slice(1).join(',')}]`);
    }
  }

  const outputs = decodeOutputs(req.outputs, sig, binaryDefault === true);
  return {
    id,
    inputs,
    outputs,
    rows: batchable ? Math.max(rows, 0) : 0,
    batchKey: batchable ? keyParts.join(';') : '',
    transfer,
  };
}

function checkShape(meta: TensorMeta, raw: Json | undefined): number[] {
  if (!Array.isArray(raw) || raw.length > MAX_RANK || raw.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0)) {
    throw field(`"inputs.${meta.name}.shape" must be an array of at most ${MAX_RANK} non-negative integers, got ${preview(raw, 100)}`);
  }
  const shape = raw as number[];
  if (shape.includes(0)) {
    throw new EdgeError('EDGE_ERR_INPUT_ZERO_SIZE', `input "${meta.name}" has shape [${shape.join(', ')}], which holds no element`);
  }
  if (meta.shape.length > 0) {
    const expect = `[${meta.shape.join(', ')}] (-1: any size)`;
    if (shape.length !== meta.shape.length) {
      throw new EdgeError('EDGE_ERR_INPUT_SHAPE', `input "${meta.name}" has shape [${shape.join(', ')}] of rank ${shape.length}, the model expects ${expect}`);
    }
    for (let i = 0; i < shape.length; i++) {
      if (meta.shape[i] >= 0 && meta.shape[i] !== shape[i]) {
        throw new EdgeError('EDGE_ERR_INPUT_SHAPE', `input "${meta.name}" has shape [${shape.join(', ')}], the model expects ${expect}`);
      }
    }
  }
  return shape;
}

/**
 * Writes the (possibly nested) JSON data into arr; returns the number of elements seen. Unless `exact`, throws INEXACT
 * at an integer beyond 2^53 for an integer datatype (JSON.parse may have rounded it: the caller parses exactly).
 */
function fill(arr: NumericArray, dt: DatatypeInfo, data: Json, name: string, limit: number, exact: boolean): number {
  let n = 0;
  const bad = (v: Json, why: string) =>
    new EdgeError('EDGE_ERR_INPUT_DATA_VALUE', `input "${name}" element ${n} is ${preview(v, 40)}: ${why}`);
  const put = (v: Json): void => {
    if (n >= limit) {
      n++;
      return;
    }
    switch (dt.v2) {
      case 'BOOL':
        if (typeof v !== 'boolean') throw bad(v, 'BOOL data must be true or false');
        arr[n] = v ? 1 : 0;
        break;
      case 'FP32':
      case 'FP64':
        if (typeof v === 'number') arr[n] = v;
        else if (typeof v === 'bigint') arr[n] = Number(v); // an exact integer literal: the double JSON.parse gives for it
        else throw bad(v, `${dt.v2} data must be numbers`);
        break;
      case 'FP16':
        if (typeof v === 'number') arr[n] = numberToHalf(v);
        else if (typeof v === 'bigint') arr[n] = numberToHalf(Number(v));
        else throw bad(v, 'FP16 data must be numbers');
        break;
      default:
        if (typeof v === 'bigint') {
          // exact: the digits as sent
          if (!dt.bigint || v < (dt.min as bigint) || v > (dt.max as bigint)) throw bad(v, `out of the ${dt.v2} range`);
          arr[n] = v;
          break;
        }
        if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(v, `${dt.v2} data must be integers`);
        if (!exact && !Number.isSafeInteger(v)) throw INEXACT;
        if (dt.bigint) {
          const b = BigInt(v);
          if (b < (dt.min as bigint) || b > (dt.max as bigint)) throw bad(v, `out of the ${dt.v2} range`);
          arr[n] = b;
        } else {
          if (v < (dt.min as number) || v > (dt.max as number)) throw bad(v, `out of the ${dt.v2} range`);
          arr[n] = v;
        }
    }
    n++;
  };
  const walk = (v: Json, depth: number): void => {
    if (Array.isArray(v)) {
      if (depth > MAX_RANK) throw bad(null, `"data" is nested deeper than ${MAX_RANK} levels`);
      for (const x of v) {
        walk(x, depth + 1);
        if (n > limit) return;
      }
    } else {
      put(v);
    }
  };
  if (!Array.isArray(data)) throw field(`"inputs.${name}.data" must be an array`);
  walk(data, 0);
  return n;
}

function decodeOutputs(raw: Json | undefined, sig: ModelSignature, binaryDefault: boolean): WireOutputRequest[] {
  if (raw === undefined) return sig.outputs.map((o) => ({ name: o.name, binary: binaryDefault }));
  if (!Array.isArray(raw)) throw field('"outputs" must be an array');
  const seen = new Set<string>();
  return raw.map((o, i) => {
    if (!isObject(o) || typeof o.name !== 'string') throw field(`"outputs[${i}]" must be an object with a "name"`);
    if (!sig.outputs.some((m) => m.name === o.name)) {
      throw new EdgeError('EDGE_ERR_OUTPUT_UNKNOWN', `output ${q(o.name)} is not an output of the model (outputs: ${sig.outputs.map((m) => m.name).join(', ')})`);
    }
    if (seen.has(o.name)) throw field(`output ${q(o.name)} is requested twice`);
    seen.add(o.name);
    const p = o.parameters;
    if (p !== undefined && !isObject(p)) throw field(`"outputs.${o.name}.parameters" must be an object`);
    if (p?.classification !== undefined) throw field(`"outputs.${o.name}.parameters.classification" is not supported: ask for the raw output`);
    const b = p?.binary_data;
    if (b !== undefined && typeof b !== 'boolean') throw field(`"outputs.${o.name}.parameters.binary_data" must be true or false`);
    return { name: o.name, binary: b ?? binaryDefault };
  });
}
