import * as fs from 'node:fs';
import * as path from 'node:path';
import { Lazy, Token } from 'aws-cdk-lib';
import { ModelContract, TensorSpec } from '../../../constructs/model';
import { modelProtoType } from '../../../scripts/onnx-proto';
import { onnxReadCount } from '../../../constructs/model/private/onnx-reader';
import { errorCodeOf as codeOf } from '../../helpers/construct-errors';
import { testStack } from '../../helpers/test-stack';
import { copyModel, IRIS_MODEL, useTmpDir } from '../../helpers/tmp-model';

const IRIS_INPUTS: TensorSpec[] = [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }];
const IRIS_OUTPUTS: TensorSpec[] = [
  { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
  { name: 'label', datatype: 'INT64', shape: [-1] },
];

const tmp = useTmpDir('model-contract-');

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return String(err instanceof Error ? err.message : err);
  }
  throw new Error('expected an error');
}

/** Writes a one-node model (Identity) whose input and output have the given ONNX element type. */
function writeIdentityModel(file: string, elemType: number, input: object = { tensorType: { elemType, shape: { dim: [{ dimValue: 2 }] } } }): string {
  const type = modelProtoType();
  const bytes = type.encode(type.fromObject({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'identity',
      node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
      input: [{ name: 'x', type: input }],
      output: [{ name: 'y', type: { tensorType: { elemType, shape: { dim: [{ dimValue: 2 }] } } } }],
    },
  })).finish();
  fs.writeFileSync(file, bytes);
  return file;
}

describe('ModelContract.fromFile', () => {
  test('reads names, V2 datatypes, dynamic shapes, opset, size and sha256 of the iris model', () => {
    const contract = ModelContract.fromFile(IRIS_MODEL);
    expect(contract.inputs).toEqual(IRIS_INPUTS);
    expect(contract.outputs).toEqual(IRIS_OUTPUTS);
    expect(contract.opset).toBe(13);
    expect(contract.irVersion).toBe(8);
    expect(contract.sizeBytes).toBe(fs.statSync(IRIS_MODEL).size);
    expect(contract.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(contract.filePath).toBe(IRIS_MODEL);
    expect(contract.isFromFile).toBe(true);
  });

  test('excludes initializers from the inputs (weights and bias are not inputs)', () => {
    expect(ModelContract.fromFile(IRIS_MODEL).inputs.map((t) => t.name)).toEqual(['features']);
  });

  test('opens and hashes a file once however often it is used', () => {
    const file = copyModel(tmp(), 'cached.onnx');
    const before = onnxReadCount();
    for (let i = 0; i < 50; i++) ModelContract.fromFile(file);
    expect(onnxReadCount() - before).toBe(1);
  });

  test('reads the file again when it changes', () => {
    const file = writeIdentityModel(path.join(tmp(), 'changing.onnx'), 1);
    expect(ModelContract.fromFile(file).inputs[0].datatype).toBe('FP32');
    writeIdentityModel(file, 11);
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(file, later, later);
    expect(ModelContract.fromFile(file).inputs[0].datatype).toBe('FP64');
  });

  test('maps ONNX element types to V2 datatypes', () => {
    const cases: Array<[number, string]> = [[1, 'FP32'], [7, 'INT64'], [9, 'BOOL'], [10, 'FP16'], [8, 'BYTES'], [2, 'UINT8']];
    for (const [elemType, datatype] of cases) {
      const contract = ModelContract.fromFile(writeIdentityModel(path.join(tmp(), `t${elemType}.onnx`), elemType));
      expect(contract.inputs).toEqual([{ name: 'x', datatype, shape: [2] }]);
    }
  });

  test('fails when the file is missing, with ModelFileNotFound and the path', () => {
    const missing = path.join(tmp(), 'nope.onnx');
    expect(codeOf(() => ModelContract.fromFile(missing))).toBe('ModelFileNotFound');
    expect(messageOf(() => ModelContract.fromFile(missing))).toContain(missing);
  });

  test('fails when the file is not an ONNX model, with ModelFileInvalid and the path', () => {
    const corrupt = path.join(tmp(), 'corrupt.onnx');
    fs.writeFileSync(corrupt, 'this is not a protobuf, just some text that happens to end in .onnx\n');
    expect(codeOf(() => ModelContract.fromFile(corrupt))).toBe('ModelFileInvalid');
    expect(messageOf(() => ModelContract.fromFile(corrupt))).toContain(corrupt);

    const truncated = path.join(tmp(), 'truncated.onnx');
    fs.writeFileSync(truncated, fs.readFileSync(IRIS_MODEL).subarray(0, 200));
    expect(codeOf(() => ModelContract.fromFile(truncated))).toBe('ModelFileInvalid');

    const empty = path.join(tmp(), 'empty.onnx');
    fs.writeFileSync(empty, '');
    expect(codeOf(() => ModelContract.fromFile(empty))).toBe('ModelFileInvalid');
  });

  test('fails when a tensor type has no V2 datatype (bfloat16), naming the tensor', () => {
    const file = writeIdentityModel(path.join(tmp(), 'bf16.onnx'), 16);
    expect(codeOf(() => ModelContract.fromFile(file))).toBe('ModelTensorTypeUnsupported');
    expect(messageOf(() => ModelContract.fromFile(file))).toContain("input 'x'");
  });

  test('fails when an input is not a tensor', () => {
    const file = writeIdentityModel(path.join(tmp(), 'seq.onnx'), 1, { sequenceType: {} });
    expect(codeOf(() => ModelContract.fromFile(file))).toBe('ModelTensorTypeUnsupported');
  });

  test('names the construct path in errors when given a scope', () => {
    const stack = testStack();
    expect(messageOf(() => ModelContract.fromFile(path.join(tmp(), 'nope.onnx'), stack))).toContain('(at Stack)');
  });
});

describe('ModelContract.of', () => {
  test('keeps the declared tensors', () => {
    const contract = ModelContract.of({ inputs: IRIS_INPUTS, outputs: IRIS_OUTPUTS });
    expect(contract.inputs).toEqual(IRIS_INPUTS);
    expect(contract.output('label')).toEqual(IRIS_OUTPUTS[1]);
    expect(contract.isFromFile).toBe(false);
    expect(contract.sha256).toBeUndefined();
  });

  test('fails when a datatype is not a V2 name', () => {
    const make = () => ModelContract.of({ inputs: [{ name: 'x', datatype: 'FLOAT32', shape: [-1] }], outputs: [] });
    expect(codeOf(make)).toBe('ModelContractInvalid');
    expect(messageOf(make)).toContain("'FLOAT32'");
  });

  test('fails when a dimension is below -1 or a name repeats', () => {
    expect(codeOf(() => ModelContract.of({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-2] }], outputs: [] })))
      .toBe('ModelContractInvalid');
    expect(codeOf(() => ModelContract.of({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }, { name: 'x', datatype: 'FP32', shape: [1] }], outputs: [],
    }))).toBe('ModelContractInvalid');
  });

  test('skips tokenized values', () => {
    const contract = ModelContract.of({
      inputs: [{ name: Lazy.string({ produce: () => 'features' }), datatype: Lazy.string({ produce: () => 'NOPE' }), shape: [Token.asNumber(Lazy.number({ produce: () => -7 })), 4] }],
      outputs: IRIS_OUTPUTS,
    });
    expect(contract.inputs).toHaveLength(1);
  });
});

describe('ModelContract.assertMatches', () => {
  const actual = () => ModelContract.fromFile(IRIS_MODEL);

  test('passes when the declaration equals the file', () => {
    expect(() => ModelContract.of({ inputs: IRIS_INPUTS, outputs: IRIS_OUTPUTS }).assertMatches(actual())).not.toThrow();
  });

  test('fails when a datatype differs, naming the file, the tensor, the declared and the actual value', () => {
    const declared = ModelContract.of({ inputs: [{ name: 'features', datatype: 'FP64', shape: [-1, 4] }], outputs: IRIS_OUTPUTS });
    const check = () => declared.assertMatches(actual());
    expect(codeOf(check)).toBe('ModelContractMismatch');
    expect(messageOf(check)).toContain(IRIS_MODEL);
    expect(messageOf(check)).toContain("input 'features' datatype: declared FP64, actual FP32");
  });

  test('fails when a shape differs', () => {
    const declared = ModelContract.of({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4] }], outputs: IRIS_OUTPUTS });
    expect(messageOf(() => declared.assertMatches(actual()))).toContain("input 'features' shape: declared [1, 4], actual [-1, 4]");
  });

  test('fails when a declared tensor does not exist or an actual one is not declared', () => {
    const declared = ModelContract.of({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }], outputs: IRIS_OUTPUTS.slice(0, 1) });
    const message = messageOf(() => declared.assertMatches(actual()));
    expect(message).toContain("input 'x': declared FP32 [-1, 4], actual: no such input");
    expect(message).toContain("input 'features': not declared, actual FP32 [-1, 4]");
    expect(message).toContain("output 'label': not declared, actual INT64 [-1]");
  });

  test('skips tokenized values', () => {
    const declared = ModelContract.of({
      inputs: [{ name: 'features', datatype: Lazy.string({ produce: () => 'FP64' }), shape: [Token.asNumber(Lazy.number({ produce: () => 9 })), 4] }],
      outputs: IRIS_OUTPUTS,
    });
    expect(declared.differencesFrom(actual())).toEqual([]);
  });
});

describe('ModelContract.toDocument', () => {
  test('renders contract.json as docs/design.md specifies', () => {
    const contract = ModelContract.fromFile(IRIS_MODEL);
    expect(contract.toDocument('iris', 'v1')).toEqual({
      schemaVersion: 1,
      name: 'iris',
      version: 'v1',
      sha256: contract.sha256,
      sizeBytes: fs.statSync(IRIS_MODEL).size,
      opset: 13,
      inputs: IRIS_INPUTS,
      outputs: IRIS_OUTPUTS,
    });
  });

  test('fails when the sha256 is unknown', () => {
    const declared = ModelContract.of({ inputs: IRIS_INPUTS, outputs: IRIS_OUTPUTS });
    expect(codeOf(() => declared.toDocument('iris', 'v1'))).toBe('ModelSha256Required');
  });
});
