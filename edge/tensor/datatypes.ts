/** Open Inference Protocol datatypes and their onnxruntime counterparts. Pure, no I/O. */

export const V2_DATATYPES = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES',
] as const;
export type V2Datatype = (typeof V2_DATATYPES)[number];

/** onnxruntime-node tensor type names (`Tensor.Type`) that map to a V2 datatype. */
export type OrtType =
  | 'bool' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'int8' | 'int16' | 'int32' | 'int64'
  | 'float16' | 'float32' | 'float64' | 'string';

export type NumericArray =
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Float32Array | Float64Array;

interface TypedArrayCtor {
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): NumericArray;
  new (length: number): NumericArray;
  readonly BYTES_PER_ELEMENT: number;
}

export interface DatatypeInfo {
  readonly v2: V2Datatype;
  readonly ort: OrtType;
  /** Bytes per element; 0 for BYTES. */
  readonly bytes: number;
  readonly ctor?: TypedArrayCtor;
  /** For integer types: the inclusive range. */
  readonly min?: number | bigint;
  readonly max?: number | bigint;
  readonly bigint?: boolean;
}

const TABLE: readonly DatatypeInfo[] = [
  { v2: 'BOOL', ort: 'bool', bytes: 1, ctor: Uint8Array },
  { v2: 'UINT8', ort: 'uint8', bytes: 1, ctor: Uint8Array, min: 0, max: 255 },
  { v2: 'UINT16', ort: 'uint16', bytes: 2, ctor: Uint16Array, min: 0, max: 65535 },
  { v2: 'UINT32', ort: 'uint32', bytes: 4, ctor: Uint32Array, min: 0, max: 4294967295 },
  { v2: 'UINT64', ort: 'uint64', bytes: 8, ctor: BigUint64Array as unknown as TypedArrayCtor, min: 0n, max: 18446744073709551615n, bigint: true },
  { v2: 'INT8', ort: 'int8', bytes: 1, ctor: Int8Array, min: -128, max: 127 },
  { v2: 'INT16', ort: 'int16', bytes: 2, ctor: Int16Array, min: -32768, max: 32767 },
  { v2: 'INT32', ort: 'int32', bytes: 4, ctor: Int32Array, min: -2147483648, max: 2147483647 },
  { v2: 'INT64', ort: 'int64', bytes: 8, ctor: BigInt64Array as unknown as TypedArrayCtor, min: -9223372036854775808n, max: 9223372036854775807n, bigint: true },
  { v2: 'FP16', ort: 'float16', bytes: 2, ctor: Uint16Array },
  { v2: 'FP32', ort: 'float32', bytes: 4, ctor: Float32Array },
  { v2: 'FP64', ort: 'float64', bytes: 8, ctor: Float64Array },
  { v2: 'BYTES', ort: 'string', bytes: 0 },
];

const BY_V2 = new Map<string, DatatypeInfo>(TABLE.map((t) => [t.v2, t]));
const BY_ORT = new Map<string, DatatypeInfo>(TABLE.map((t) => [t.ort, t]));

export function byV2(name: string): DatatypeInfo | undefined {
  return BY_V2.get(name);
}

export function byOrt(name: string): DatatypeInfo | undefined {
  return BY_ORT.get(name);
}

/** IEEE 754 half (bits) to number. */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Number to IEEE 754 half bits (round to nearest even, overflow to infinity). */
export function numberToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

/** Product of dims (all must be non-negative integers). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
