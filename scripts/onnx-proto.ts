import * as protobuf from 'protobufjs';

/**
 * The subset of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto, proto3 field numbers) that
 * modelfleet writes (scripts/train-iris.ts, the test models), as a protobufjs JSON descriptor: the messages needed to
 * write a small graph (nodes, attributes, initializers, typed inputs/outputs). protobufjs is a devDependency: the
 * constructs read models with their own wire reader (`constructs/model/private/onnx-wire.ts`).
 */
const DIMENSION = {
  oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
  fields: {
    dimValue: { type: 'int64', id: 1 },
    dimParam: { type: 'string', id: 2 },
    denotation: { type: 'string', id: 3 },
  },
};

const TYPE_PROTO = {
  oneofs: { value: { oneof: ['tensorType', 'sequenceType', 'mapType', 'optionalType', 'sparseTensorType'] } },
  fields: {
    tensorType: { type: 'TensorTypeProto', id: 1 },
    sequenceType: { type: 'OpaqueTypeProto', id: 4 },
    mapType: { type: 'OpaqueTypeProto', id: 5 },
    sparseTensorType: { type: 'TensorTypeProto', id: 8 },
    optionalType: { type: 'OpaqueTypeProto', id: 9 },
    denotation: { type: 'string', id: 6 },
  },
};

const SHARED = {
  OperatorSetIdProto: {
    fields: {
      domain: { type: 'string', id: 1 },
      version: { type: 'int64', id: 2 },
    },
  },
  ValueInfoProto: {
    fields: {
      name: { type: 'string', id: 1 },
      type: { type: 'TypeProto', id: 2 },
      docString: { type: 'string', id: 3 },
    },
  },
  TypeProto: TYPE_PROTO,
  /** `TypeProto.Tensor` (flattened: nested messages are not needed on the wire). */
  TensorTypeProto: {
    fields: {
      elemType: { type: 'int32', id: 1 },
      shape: { type: 'TensorShapeProto', id: 2 },
    },
  },
  /** Sequence, map and optional types: only their presence matters to a contract. */
  OpaqueTypeProto: { fields: {} },
  TensorShapeProto: {
    fields: {
      dim: { rule: 'repeated', type: 'Dimension', id: 1 },
    },
  },
  Dimension: DIMENSION,
  StringStringEntryProto: {
    fields: {
      key: { type: 'string', id: 1 },
      value: { type: 'string', id: 2 },
    },
  },
};

/** protobufjs JSON descriptor of the ONNX subset. */
export const ONNX_PROTO_DESCRIPTOR = {
  nested: {
    onnx: {
      nested: {
        ...SHARED,
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
            domain: { type: 'string', id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            docString: { type: 'string', id: 13 },
            type: { type: 'int32', id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: 'repeated', type: 'float', id: 4 },
            int64Data: { rule: 'repeated', type: 'int64', id: 7 },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
            docString: { type: 'string', id: 12 },
          },
        },
      },
    },
  },
};

/** `TensorProto.DataType` values. */
export enum OnnxDataType {
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
}

/** `AttributeProto.AttributeType` values. */
export enum OnnxAttributeType {
  FLOAT = 1,
  INT = 2,
  STRING = 3,
  TENSOR = 4,
  FLOATS = 6,
  INTS = 7,
}

let root: protobuf.Root | undefined;

function onnxRoot(): protobuf.Root {
  root ??= protobuf.Root.fromJSON(ONNX_PROTO_DESCRIPTOR);
  return root;
}

/** The full `onnx.ModelProto` type (for writing models). */
export function modelProtoType(): protobuf.Type {
  return onnxRoot().lookupType('onnx.ModelProto');
}

