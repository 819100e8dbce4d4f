/**
 * Writes small, valid ONNX classifiers (MatMul + Add + ArgMax, like the iris model) without any ONNX tooling:
 * the protobuf is encoded by hand. Used by the synth benchmark to make many distinct model files cheaply, and by tests.
 */

/** What the generated model looks like. */
export interface TinyModelOptions {
  /** Number of input features (input `features`, FP32 `[batch, features]`). */
  readonly features?: number;
  /** Number of classes (output `probabilities`-like `scores` FP32 `[batch, classes]`, and `label` INT64 `[batch]`). */
  readonly classes?: number;
  /** Seed of the weights: different seeds give different bytes and different answers. */
  readonly seed?: number;
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 127) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function key(field: number, wireType: number): number[] {
  return varint(field * 8 + wireType);
}

function vint(field: number, value: number): number[] {
  return [...key(field, 0), ...varint(value)];
}

function bytes(field: number, payload: number[] | Uint8Array): number[] {
  return [...key(field, 2), ...varint(payload.length), ...payload];
}

function str(field: number, value: string): number[] {
  return bytes(field, Buffer.from(value, 'utf8'));
}

const FLOAT = 1;
const INT64 = 7;

function valueInfo(name: string, elemType: number, dims: Array<number | string>): number[] {
  const dimMsgs = dims.flatMap((d) => bytes(1, typeof d === 'number' ? vint(1, d) : str(2, d)));
  const tensorType = [...vint(1, elemType), ...bytes(2, dimMsgs)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}

function initializer(name: string, dims: number[], values: number[]): number[] {
  const raw = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => raw.writeFloatLE(v, i * 4));
  return [...dims.flatMap((d) => vint(1, d)), ...vint(2, FLOAT), ...str(8, name), ...bytes(9, raw)];
}

function node(op: string, inputs: string[], outputs: string[], attributes: number[][] = []): number[] {
  return [
    ...inputs.flatMap((i) => str(1, i)),
    ...outputs.flatMap((o) => str(2, o)),
    ...str(3, `${op.toLowerCase()}_0`),
    ...str(4, op),
    ...attributes.flatMap((a) => bytes(5, a)),
  ];
}

function intAttribute(name: string, value: number): number[] {
  return [...str(1, name), ...vint(3, value), ...vint(20, 2)];
}

/** Deterministic weights in [-1, 1) from a seed (a small LCG; no Math.random). */
function weights(count: number, seed: number): number[] {
  let state = (seed * 2654435761 + 12345) >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out.push(Math.round(((state / 2 ** 32) * 2 - 1) * 1000) / 1000);
  }
  return out;
}

/** The weights of the model `tinyOnnxModel(options)` writes (`W` row-major `[features, classes]`, `B` `[classes]`). */
export function tinyModelWeights(options: TinyModelOptions = {}): { w: number[]; b: number[] } {
  const features = options.features ?? 4;
  const classes = options.classes ?? 3;
  const seed = options.seed ?? 0;
  return { w: weights(features * classes, seed), b: weights(classes, seed + 7919) };
}

/** The bytes of a small ONNX classifier: `scores = features x W + B`, `label = argmax(scores, axis 1)`. */
export function tinyOnnxModel(options: TinyModelOptions = {}): Buffer {
  const features = options.features ?? 4;
  const classes = options.classes ?? 3;
  const { w, b } = tinyModelWeights(options);
  const graph = [
    ...bytes(1, node('MatMul', ['features', 'W'], ['xw'])),
    ...bytes(1, node('Add', ['xw', 'B'], ['scores'])),
    ...bytes(1, node('ArgMax', ['scores'], ['label'], [intAttribute('axis', 1), intAttribute('keepdims', 0)])),
    ...str(2, 'tiny'),
    ...bytes(5, initializer('W', [features, classes], w)),
    ...bytes(5, initializer('B', [classes], b)),
    ...bytes(11, valueInfo('features', FLOAT, ['batch', features])),
    ...bytes(12, valueInfo('scores', FLOAT, ['batch', classes])),
    ...bytes(12, valueInfo('label', INT64, ['batch'])),
  ];
  const model = [
    ...vint(1, 7),
    ...str(2, 'modelfleet-bench'),
    ...bytes(7, graph),
    ...bytes(8, [...str(1, ''), ...vint(2, 13)]),
  ];
  return Buffer.from(model);
}
