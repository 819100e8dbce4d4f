import * as path from 'path';
import { parseBenchArgs } from '../../bench/args';
import { binaryRequest, checkResponse, concreteShape, jsonData, jsonRequest, makeInputs, ModelSpec } from '../../bench/payload';

const iris: ModelSpec = {
  name: 'iris',
  file: 'iris.onnx',
  inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }, { name: 'label', datatype: 'INT64', shape: [-1] }],
};

describe('request bodies', () => {
  test('the first dynamic axis becomes the batch, other dynamic axes 1', () => {
    expect(concreteShape([-1, 3, -1, 224], 8)).toEqual([8, 3, 1, 224]);
    expect(concreteShape([4, -1], 8)).toEqual([4, 1]);
  });

  test('a binary request has the JSON header length in its header and the raw bytes after it', () => {
    const inputs = makeInputs(iris, 2);
    const req = binaryRequest(iris, inputs);
    const hl = Number(req.headers['inference-header-content-length']);
    const header = JSON.parse(req.body.subarray(0, hl).toString('utf8'));
    expect(header.inputs).toEqual([{ name: 'features', datatype: 'FP32', shape: [2, 4], parameters: { binary_data_size: 32 } }]);
    expect(header.outputs.map((o: { parameters: { binary_data: boolean } }) => o.parameters.binary_data)).toEqual([true, true]);
    expect(req.body.length).toBe(hl + 32);
    expect(req.body.subarray(hl).readFloatLE(4)).toBe(inputs[0].bytes.readFloatLE(4));
  });

  test('a JSON request carries the same values as the binary one', () => {
    const inputs = makeInputs(iris, 3);
    const body = JSON.parse(jsonRequest(iris, inputs).body.toString('utf8'));
    expect(body.inputs[0].shape).toEqual([3, 4]);
    expect(body.inputs[0].data).toEqual(jsonData(inputs[0]));
    expect(body.inputs[0].data[5]).toBe(inputs[0].bytes.readFloatLE(20));
  });

  test('inputs are deterministic for a seed', () => {
    expect(makeInputs(iris, 2, 42)[0].bytes.equals(makeInputs(iris, 2, 42)[0].bytes)).toBe(true);
    expect(makeInputs(iris, 2, 42)[0].bytes.equals(makeInputs(iris, 2, 43)[0].bytes)).toBe(false);
  });
});

describe('checkResponse', () => {
  const binaryReply = (batch: number, probBytes: number): { body: Buffer; hl: number } => {
    const header = Buffer.from(JSON.stringify({
      outputs: [
        { name: 'probabilities', datatype: 'FP32', shape: [batch, 3], parameters: { binary_data_size: probBytes } },
        { name: 'label', datatype: 'INT64', shape: [batch], parameters: { binary_data_size: batch * 8 } },
      ],
    }));
    return { body: Buffer.concat([header, Buffer.alloc(probBytes + batch * 8)]), hl: header.length };
  };

  test('accepts a right binary response', () => {
    const { body, hl } = binaryReply(2, 24);
    expect(checkResponse(iris, 2, body, hl)).toBeUndefined();
  });

  test('fails when a binary size disagrees with the shape', () => {
    const { body, hl } = binaryReply(2, 20);
    expect(checkResponse(iris, 2, body, hl)).toMatch(/binary_data_size 20/);
  });

  test('fails when the batch axis is not the caller\'s batch', () => {
    const { body, hl } = binaryReply(2, 24);
    expect(checkResponse(iris, 3, body, hl)).toMatch(/batch 2, expected 3/);
  });

  test('accepts a right JSON response and fails on a missing output', () => {
    const ok = Buffer.from(JSON.stringify({ outputs: [
      { name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: [0.1, 0.2, 0.7] },
      { name: 'label', datatype: 'INT64', shape: [1], data: [2] },
    ] }));
    expect(checkResponse(iris, 1, ok, undefined)).toBeUndefined();
    const missing = Buffer.from(JSON.stringify({ outputs: [{ name: 'label', datatype: 'INT64', shape: [1], data: [2] }] }));
    expect(checkResponse(iris, 1, missing, undefined)).toBe('output probabilities missing');
  });

  test('fails on a body that is not JSON', () => {
    expect(checkResponse(iris, 1, Buffer.from('oops'), undefined)).toMatch(/not JSON/);
  });
});

describe('parseBenchArgs', () => {
  const root = '/repo';

  test('defaults: both models, 120 s soak, 5 s windows', () => {
    const o = parseBenchArgs([], root);
    expect(o.models).toEqual([path.resolve(root, '../shared/models/mobilenet_v2.onnx'), path.resolve(root, 'models/iris.onnx')]);
    expect(o.soakSeconds).toBe(120);
    expect(o.durationSec).toBe(5);
    expect(o.soakModels).toEqual(['mobilenet_v2']);
    expect(o.threads).toBeUndefined();
  });

  test('--quick shortens everything, explicit flags win', () => {
    const o = parseBenchArgs(['--quick', '--soak-seconds=30', '--edge-arg', '--max-batch', '--edge-arg', '4'], root);
    expect(o.quick).toBe(true);
    expect(o.soakSeconds).toBe(30);
    expect(o.durationSec).toBe(1.5);
    expect(o.edgeArgs).toEqual(['--max-batch', '4']);
  });

  test('fails on an unknown flag and on a bad number', () => {
    expect(() => parseBenchArgs(['--soak'], root)).toThrow(/unknown flag "--soak"/);
    expect(() => parseBenchArgs(['--soak-seconds', 'x'], root)).toThrow(/--soak-seconds needs a non-negative number, got "x"/);
    expect(() => parseBenchArgs(['--spinning', '2'], root)).toThrow(/--spinning takes 0 or 1/);
    expect(() => parseBenchArgs(['--client', 'curl'], root)).toThrow(/--client takes raw or node, got "curl"/);
  });

  test('the load client is the lean one unless --client node', () => {
    expect(parseBenchArgs([], root).client).toBe('raw');
    expect(parseBenchArgs(['--client', 'node'], root).client).toBe('node');
  });
});
