import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tinyModelWeights, tinyOnnxModel } from '../../../bench/synth/tiny-model';
import {
  checkRequest, GoldenJob, MAX_GENERATED_ELEMENTS, runGoldenInferences, sampleRequest, stopGoldenWorker,
} from '../../../constructs/fleet/private/golden';

const FEATURES = [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }];

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'golden-'));
  fs.writeFileSync(path.join(dir, 'a.onnx'), tinyOnnxModel({ seed: 1 }));
  fs.writeFileSync(path.join(dir, 'b.onnx'), tinyOnnxModel({ seed: 2 }));
});
afterAll(async () => {
  await stopGoldenWorker();
  fs.rmSync(dir, { recursive: true, force: true });
});

function job(file: string, sha256: string): GoldenJob {
  return { name: 'tiny', version: sha256, modelPath: path.join(dir, file), sha256, request: sampleRequest(FEATURES) };
}

describe('sampleRequest', () => {
  test('makes a batch of one with deterministic values that fit the contract', () => {
    const request = sampleRequest(FEATURES);
    expect(request).toEqual(sampleRequest(FEATURES));
    expect(request.inputs).toHaveLength(1);
    expect(request.inputs[0].shape).toEqual([1, 4]);
    expect(request.inputs[0].data).toHaveLength(4);
    expect(request.inputs[0].data.every((v) => typeof v === 'number' && v >= 0 && v < 1)).toBe(true);
    expect(checkRequest(request, FEATURES)).toEqual([]);
  });

  test('gives every datatype values of its kind', () => {
    const request = sampleRequest([
      { name: 'b', datatype: 'BOOL', shape: [2] },
      { name: 's', datatype: 'BYTES', shape: [1] },
      { name: 'i', datatype: 'INT64', shape: [3] },
    ]);
    expect(request.inputs.map((t) => t.data)).toEqual([[true, false], ['sample-0'], [3, 0, 7]]);
  });

  test('fails when an input would be too large to generate', () => {
    expect(() => sampleRequest([{ name: 'x', datatype: 'FP32', shape: [MAX_GENERATED_ELEMENTS + 1] }]))
      .toThrow(/more than the/);
  });

  test('fails when a datatype is not a V2 datatype', () => {
    expect(() => sampleRequest([{ name: 'x', datatype: 'float32', shape: [1] }])).toThrow(/not a V2 datatype/);
  });
});

describe('checkRequest', () => {
  test('names every mismatch between a request and the model inputs', () => {
    const problems = checkRequest({
      inputs: [
        { name: 'features', datatype: 'FP64', shape: [1, 3], data: [1, 2] },
        { name: 'extra', datatype: 'FP32', shape: [1], data: [1] },
      ],
    }, [...FEATURES, { name: 'mask', datatype: 'BOOL', shape: [-1] }]);
    expect(problems).toEqual([
      "input 'features' has datatype FP64, the model expects FP32",
      "input 'features' has shape [1, 3], the model expects [-1, 4]",
      "input 'features' has 2 values, its shape [1, 3] needs 3",
      "input 'extra' is not an input of the model (inputs: features, mask)",
      "the model's input 'mask' is missing",
    ]);
  });
});

describe('runGoldenInferences', () => {
  test('returns the answer of the model: scores = features x W + B, label = argmax', () => {
    const [result] = runGoldenInferences([job('a.onnx', 'aaa')]);
    expect(result.error).toBeUndefined();
    const x = sampleRequest(FEATURES).inputs[0].data as number[];
    const { w, b } = tinyModelWeights({ seed: 1 });
    const scores = b.map((bias, c) => x.reduce((sum, xi, i) => sum + Math.fround(xi) * w[i * 3 + c], bias));
    const response = result.response!;
    expect(response.model_name).toBe('tiny');
    expect(response.model_version).toBe('aaa');
    expect(response.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ['scores', 'FP32', [1, 3]], ['label', 'INT64', [1]],
    ]);
    (response.outputs[0].data as number[]).forEach((v, i) => expect(v).toBeCloseTo(scores[i], 5));
    expect(response.outputs[1].data).toEqual([scores.indexOf(Math.max(...scores))]);
  });

  test('gives different models different answers and runs many models in one call', () => {
    const results = runGoldenInferences([job('a.onnx', 'a1'), job('b.onnx', 'b1'), job('a.onnx', 'a2')]);
    expect(results.map((r) => r.error)).toEqual([undefined, undefined, undefined]);
    expect(results[0].response!.outputs[0].data).not.toEqual(results[1].response!.outputs[0].data);
    expect(results[0].response!.outputs[0].data).toEqual(results[2].response!.outputs[0].data);
  });

  test('reports the error onnxruntime gives for a request the model refuses', () => {
    const bad: GoldenJob = {
      ...job('b.onnx', 'bad'),
      request: { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 5], data: [1, 2, 3, 4, 5] }] },
    };
    const [result] = runGoldenInferences([bad]);
    expect(result.response).toBeUndefined();
    expect(result.error).toMatch(/features|dimension|Got invalid/i);
  });

  test('reports an error for a file that is not a model', () => {
    fs.writeFileSync(path.join(dir, 'junk.onnx'), 'not a model');
    const [result] = runGoldenInferences([job('junk.onnx', 'junk')]);
    expect(result.error).toBeDefined();
  });
});
