import * as fs from 'node:fs';
import * as path from 'node:path';
import { OnnxHeader, readOnnxHeader } from '../../../constructs/model/private/onnx-wire';
import { modelProtoType } from '../../../scripts/onnx-proto';

const REPO = path.resolve(__dirname, '..', '..', '..');
const MODELS = [
  path.join(REPO, 'models', 'iris.onnx'),
  path.resolve(REPO, '..', 'shared', 'models', 'squeezenet1_1.onnx'),
  path.resolve(REPO, '..', 'shared', 'models', 'mobilenet_v2.onnx'),
];

interface DecodedValue {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: Array<{ dimValue?: number; dimParam?: string }> } } };
}
interface Decoded {
  irVersion?: number;
  producerName?: string;
  opsetImport?: Array<{ domain?: string; version?: number }>;
  graph?: { name?: string; initializer?: Array<{ name?: string }>; input?: DecodedValue[]; output?: DecodedValue[] };
}

/** What protobufjs (the full ONNX subset of scripts/onnx-proto.ts) decodes, in the reader's shape. */
function reference(bytes: Uint8Array): OnnxHeader {
  const type = modelProtoType();
  const m = type.toObject(type.decode(bytes), { longs: Number, defaults: false }) as Decoded;
  const values = (list: DecodedValue[] | undefined) => (list ?? []).map((v) => ({
    name: v.name,
    type: v.type ? { tensorType: v.type.tensorType ? {
      elemType: v.type.tensorType.elemType,
      shape: v.type.tensorType.shape ? { dim: (v.type.tensorType.shape.dim ?? []).map((d) => ({ ...d })) } : undefined,
    } : undefined } : undefined,
  }));
  return {
    irVersion: m.irVersion,
    producerName: m.producerName,
    opsetImport: (m.opsetImport ?? []).map((o) => ({ ...o })),
    graph: m.graph ? {
      name: m.graph.name,
      initializer: (m.graph.initializer ?? []).map((t) => ({ name: t.name })),
      input: values(m.graph.input),
      output: values(m.graph.output),
    } : undefined,
  };
}

/** Drops undefined fields, so that "absent" compares equal however each side spells it. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

function encode(message: Record<string, unknown>): Uint8Array {
  const type = modelProtoType();
  return type.encode(type.fromObject(message)).finish();
}

describe('readOnnxHeader (the ONNX wire reader)', () => {
  test.each(MODELS)('reads what protobufjs decodes from %s: ir version, producer, opsets, inputs, outputs, initializer names', (file) => {
    const bytes = fs.readFileSync(file);
    expect(plain(readOnnxHeader(bytes))).toEqual(plain(reference(bytes)));
  });

  test('reads symbolic and negative dimensions, and marks values that are not tensors', () => {
    const bytes = encode({
      irVersion: 8,
      opsetImport: [{ domain: 'ai.onnx.ml', version: 3 }, { version: 13 }],
      graph: {
        name: 'g',
        input: [
          { name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: -1 }, { dimValue: 4 }] } } } },
          { name: 's', type: { sequenceType: {} } },
        ],
        output: [{ name: 'y', type: { tensorType: { elemType: 7 } } }],
      },
    });
    expect(plain(readOnnxHeader(bytes))).toEqual({
      irVersion: 8,
      opsetImport: [{ domain: 'ai.onnx.ml', version: 3 }, { version: 13 }],
      graph: {
        name: 'g',
        initializer: [],
        input: [
          { name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: -1 }, { dimValue: 4 }] } } } },
          { name: 's', type: { otherType: true } },
        ],
        output: [{ name: 'y', type: { tensorType: { elemType: 7 } } }],
      },
    });
  });

  test('skips fields it does not read, of every wire type', () => {
    // a float attribute (fixed32), a float tensor (packed floats), an int64 and strings: all skipped by length
    const bytes = encode({
      irVersion: 7, producerName: 'p', docString: 'ignored', modelVersion: 3,
      graph: {
        node: [{ opType: 'LeakyRelu', input: ['x'], output: ['y'], attribute: [{ name: 'alpha', type: 1, f: 0.5 }] }],
        initializer: [{ name: 'w', dims: [2], dataType: 1, floatData: [1, 2], rawData: Buffer.from([1, 2, 3, 4]) }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
      },
    });
    const header = readOnnxHeader(bytes);
    expect(header.graph?.initializer).toEqual([{ name: 'w' }]);
    expect(header.producerName).toBe('p');
    // a fixed64 field (wire type 1) where the reader reads nothing: field 15 of ModelProto, 8 bytes
    const withFixed64 = Buffer.concat([Buffer.from([(15 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8]), bytes]);
    expect(plain(readOnnxHeader(withFixed64))).toEqual(plain(header));
  });

  test('fails when the bytes are not a protobuf message: truncated, a bad wire type, a field where another type is', () => {
    const bytes = fs.readFileSync(MODELS[0]);
    expect(() => readOnnxHeader(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated/);
    expect(() => readOnnxHeader(Buffer.from('this is not a protobuf\n'))).toThrow(/wire type/);
    // ir_version (field 1) given as a string
    expect(() => readOnnxHeader(Buffer.from([(1 << 3) | 2, 1, 0x41]))).toThrow(/field 1 has wire type 2/);
  });
});
