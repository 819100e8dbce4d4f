/**
 * Writes tiny ONNX models for the edge tests with protobufjs and a small subset of onnx.proto
 * (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto, field numbers as there).
 */
import * as protobuf from 'protobufjs';

export const ELEM = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13,
} as const;

/** V2 datatype → ONNX elem type. */
export const V2_TO_ELEM: Record<string, number> = {
  FP32: ELEM.FLOAT, UINT8: ELEM.UINT8, INT8: ELEM.INT8, UINT16: ELEM.UINT16, INT16: ELEM.INT16, INT32: ELEM.INT32,
  INT64: ELEM.INT64, BOOL: ELEM.BOOL, FP16: ELEM.FLOAT16, FP64: ELEM.DOUBLE, UINT32: ELEM.UINT32, UINT64: ELEM.UINT64,
};

const root = protobuf.Root.fromJSON({
  nested: {
    onnx: {
      nested: {
        ModelProto: { fields: { irVersion: { type: 'int64', id: 1 }, producerName: { type: 'string', id: 2 }, graph: { type: 'GraphProto', id: 7 }, opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 }, docString: { type: 'string', id: 6 } } },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        GraphProto: { fields: { node: { rule: 'repeated', type: 'NodeProto', id: 1 }, name: { type: 'string', id: 2 }, initializer: { rule: 'repeated', type: 'TensorProto', id: 5 }, input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 }, output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 } } },
        NodeProto: { fields: { input: { rule: 'repeated', type: 'string', id: 1 }, output: { rule: 'repeated', type: 'string', id: 2 }, name: { type: 'string', id: 3 }, opType: { type: 'string', id: 4 }, attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 } } },
        AttributeProto: { fields: { name: { type: 'string', id: 1 }, f: { type: 'float', id: 2 }, i: { type: 'int64', id: 3 }, ints: { rule: 'repeated', type: 'int64', id: 8 }, type: { type: 'int32', id: 20 } } },
        TensorProto: { fields: { dims: { rule: 'repeated', type: 'int64', id: 1 }, dataType: { type: 'int32', id: 2 }, name: { type: 'string', id: 8 }, rawData: { type: 'bytes', id: 9 } } },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        TypeProto: { fields: { tensorType: { type: 'TensorTypeProto', id: 1 } } },
        TensorTypeProto: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
        TensorShapeProto: { fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } } },
        Dimension: { oneofs: { value: { oneof: ['dimValue', 'dimParam'] } }, fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } } },
      },
    },
  },
});
const ModelProto = root.lookupType('onnx.ModelProto');

export interface ValueSpec {
  readonly name: string;
  readonly elemType: number;
  /** Numbers are fixed sizes, strings are symbolic (dynamic) dimensions. */
  readonly dims: readonly (number | string)[];
}

export interface NodeSpec {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: readonly { name: string; i?: number; ints?: readonly number[]; f?: number }[];
}

export interface InitializerSpec {
  readonly name: string;
  readonly elemType: number;
  readonly dims: readonly number[];
  readonly rawData: Uint8Array;
}

export interface ModelSpec {
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly nodes: readonly NodeSpec[];
  readonly initializers?: readonly InitializerSpec[];
  readonly opset?: number;
  readonly docString?: string;
}

function valueInfo(v: ValueSpec) {
  return {
    name: v.name,
    type: { tensorType: { elemType: v.elemType, shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export function buildModel(spec: ModelSpec): Uint8Array {
  const msg = ModelProto.fromObject({
    irVersion: 8,
    producerName: 'modelfleet-edge-tests',
    docString: spec.docString ?? '',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'g',
      node: spec.nodes.map((n, i) => ({
        name: `n${i}`, opType: n.opType, input: n.inputs, output: n.outputs,
        attribute: (n.attributes ?? []).map((a) => a.ints ? { name: a.name, ints: a.ints, type: 7 } : a.f !== undefined ? { name: a.name, f: a.f, type: 1 } : { name: a.name, i: a.i, type: 2 }),
      })),
      initializer: (spec.initializers ?? []).map((t) => ({ name: t.name, dataType: t.elemType, dims: t.dims, rawData: t.rawData })),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  });
  return ModelProto.encode(msg).finish();
}

/** One Identity per V2 datatype: input `x_<TYPE>` [batch, 3] → output `y_<TYPE>`. */
export function identityAllTypes(): Uint8Array {
  const types = Object.keys(V2_TO_ELEM);
  return buildModel({
    inputs: types.map((t) => ({ name: `x_${t}`, elemType: V2_TO_ELEM[t], dims: ['batch', 3] })),
    outputs: types.map((t) => ({ name: `y_${t}`, elemType: V2_TO_ELEM[t], dims: ['batch', 3] })),
    nodes: types.map((t) => ({ opType: 'Identity', inputs: [`x_${t}`], outputs: [`y_${t}`] })),
  });
}

/** Gather from a constant [10, 20, 30, 40, 50] by `idx` INT64 [batch, 1]: an index out of range fails the run. */
export function gatherModel(): Uint8Array {
  const data = new Float32Array([10, 20, 30, 40, 50]);
  return buildModel({
    inputs: [{ name: 'idx', elemType: ELEM.INT64, dims: ['batch', 1] }],
    outputs: [{ name: 'out', elemType: ELEM.FLOAT, dims: ['batch', 1] }],
    initializers: [{ name: 'table', elemType: ELEM.FLOAT, dims: [5], rawData: new Uint8Array(data.buffer) }],
    nodes: [{ opType: 'Gather', inputs: ['table', 'idx'], outputs: ['out'], attributes: [{ name: 'axis', i: 0 }] }],
  });
}

/** x FP32 [2, 3] (fixed first axis) → y = x + x. */
export function fixedShapeModel(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', elemType: ELEM.FLOAT, dims: [2, 3] }],
    outputs: [{ name: 'y', elemType: ELEM.FLOAT, dims: [2, 3] }],
    nodes: [{ opType: 'Add', inputs: ['x', 'x'], outputs: ['y'] }],
  });
}

/**
 * An LSTM over x FP32 [time, batch, 4] (hidden size 8) → y [time, 1, batch, 8]. onnxruntime-node 1.30 aborts the whole
 * process (`terminate called without an active exception`, SIGABRT) when batch is 0, as it does for silero_vad.
 */
export function lstmModel(): Uint8Array {
  const weights = (n: number) => new Uint8Array(new Float32Array(n).fill(0.1).buffer);
  return buildModel({
    inputs: [{ name: 'x', elemType: ELEM.FLOAT, dims: ['time', 'batch', 4] }],
    outputs: [{ name: 'y', elemType: ELEM.FLOAT, dims: ['time', 1, 'batch', 8] }],
    initializers: [
      { name: 'W', elemType: ELEM.FLOAT, dims: [1, 32, 4], rawData: weights(128) },
      { name: 'R', elemType: ELEM.FLOAT, dims: [1, 32, 8], rawData: weights(256) },
    ],
    nodes: [{ opType: 'LSTM', inputs: ['x', 'W', 'R'], outputs: ['y'], attributes: [{ name: 'hidden_size', i: 8 }] }],
  });
}
