/**
 * The source of the worker thread that runs golden inferences at synth time.
 *
 * The engine is onnxruntime-web (WebAssembly, in Node): an npm dependency with no install script and no native
 * binary, the same on every synth machine (macOS, Windows, Linux), so the golden response is the same bytes wherever
 * the app is synthesized. The runtimes answer with onnxruntime-node; the golden comparison's tolerance covers the
 * difference between the two builds of onnxruntime.
 *
 * CDK synthesis is synchronous but onnxruntime's API is promise-based. The synth thread posts a job to this
 * worker through a MessagePort, blocks on `Atomics.wait`, and reads the answer with `receiveMessageOnPort` once the
 * worker signals. One worker (so one load of onnxruntime) serves every model of the app.
 *
 * It is kept as a string (run with `eval: true`) so that it works the same from TypeScript sources (tests), from
 * `dist/` and from a bundle, with no separate file to locate.
 */
export const GOLDEN_WORKER_SOURCE = String.raw`
'use strict';
const { workerData } = require('node:worker_threads');
let ort;
let loadError;
try {
  ort = require(workerData.ortPath);
  // one WebAssembly thread: no nested workers, the same arithmetic on every machine
  ort.env.wasm.numThreads = 1;
} catch (err) {
  loadError = err;
}
const signal = new Int32Array(workerData.signal);
const port = workerData.port;

const ORT_TYPES = {
  BOOL: 'bool', UINT8: 'uint8', UINT16: 'uint16', UINT32: 'uint32', UINT64: 'uint64',
  INT8: 'int8', INT16: 'int16', INT32: 'int32', INT64: 'int64',
  FP16: 'float16', FP32: 'float32', FP64: 'float64', BYTES: 'string',
};
const V2_TYPES = Object.fromEntries(Object.entries(ORT_TYPES).map(([k, v]) => [v, k]));

function toHalf(value) {
  const f = new Float32Array(1); const u = new Uint32Array(f.buffer); f[0] = value;
  const x = u[0]; const sign = (x >>> 16) & 0x8000; const exp = ((x >>> 23) & 0xff) - 127 + 15; let mant = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 0x1f) return sign | 0x7c00;
  if (exp <= 0) { if (exp < -10) return sign; mant = (mant | 0x800000) >> (1 - exp); return sign | ((mant + 0x1000) >> 13); }
  return sign | (exp << 10) | ((mant + 0x1000) >> 13);
}
function fromHalf(h) {
  const sign = h & 0x8000 ? -1 : 1; const exp = (h >> 10) & 0x1f; const mant = h & 0x3ff;
  if (exp === 0) return sign * Math.pow(2, -14) * (mant / 1024);
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * Math.pow(2, exp - 15) * (1 + mant / 1024);
}

function toTensor(input) {
  const type = ORT_TYPES[input.datatype];
  if (!type) throw new Error('unsupported datatype ' + input.datatype + ' for input ' + input.name);
  const d = input.data;
  let data;
  switch (type) {
    case 'bool': data = Uint8Array.from(d, (v) => (v ? 1 : 0)); break;
    case 'uint8': data = Uint8Array.from(d); break;
    case 'uint16': data = Uint16Array.from(d); break;
    case 'uint32': data = Uint32Array.from(d); break;
    case 'uint64': data = BigUint64Array.from(d, (v) => BigInt(v)); break;
    case 'int8': data = Int8Array.from(d); break;
    case 'int16': data = Int16Array.from(d); break;
    case 'int32': data = Int32Array.from(d); break;
    case 'int64': data = BigInt64Array.from(d, (v) => BigInt(v)); break;
    case 'float16': data = Uint16Array.from(d, toHalf); break;
    case 'float32': data = Float32Array.from(d); break;
    case 'float64': data = Float64Array.from(d); break;
    default: data = d.map(String);
  }
  return new ort.Tensor(type, data, input.shape);
}

function fromTensor(name, tensor) {
  const datatype = V2_TYPES[tensor.type];
  if (!datatype) throw new Error('output ' + name + ' has type ' + tensor.type + ', which has no V2 datatype');
  let data;
  if (tensor.type === 'float16') data = Array.from(tensor.data, fromHalf);
  else if (tensor.type === 'bool') data = Array.from(tensor.data, (v) => v !== 0);
  else if (tensor.type === 'int64' || tensor.type === 'uint64') data = Array.from(tensor.data, (v) => Number(v));
  else if (tensor.type === 'float32') data = Array.from(tensor.data, (v) => Number(v.toPrecision(9)));
  else data = Array.from(tensor.data);
  return { name, datatype, shape: tensor.dims.map(Number), data };
}

async function infer(job) {
  if (loadError) throw new Error('onnxruntime-web could not be loaded: ' + loadError.message);
  const session = await ort.InferenceSession.create(new Uint8Array(require('node:fs').readFileSync(job.modelPath)), {
    executionProviders: ['wasm'], graphOptimizationLevel: 'all',
  });
  try {
    const feeds = {};
    for (const input of job.request.inputs) feeds[input.name] = toTensor(input);
    const result = await session.run(feeds);
    const outputs = session.outputNames.map((name) => fromTensor(name, result[name]));
    return { model_name: job.name, model_version: job.version, outputs };
  } finally {
    await session.release();
  }
}

port.on('message', async (jobs) => {
  const results = [];
  for (const job of jobs) {
    try {
      results.push({ response: await infer(job) });
    } catch (err) {
      results.push({ error: err && err.message ? err.message : String(err) });
    }
  }
  port.postMessage(results);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
`;
