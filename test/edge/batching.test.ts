/**
 * Dynamic batching and overload: requests joined along axis 0 come back to their own callers, a request that makes
 * onnxruntime fail does not fail its batch-mates, fixed-axis models are not joined, and a full queue answers 503.
 */
import * as fs from 'node:fs';
import {
  inferBinary, inferJson, IRIS, irisRows, metric, ortReference, SQUEEZENET, startEdge, testModels, type InferResult, type TestServer,
} from './helpers/runtime';

const stops: TestServer[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s.stop();
});

async function start(args: string[]): Promise<TestServer> {
  const s = await startEdge(args);
  stops.push(s);
  return s;
}

describe('dynamic batching', () => {
  test('joins concurrent requests along axis 0 and returns each caller its own rows', async () => {
    const srv = await start(['--model', IRIS, '--max-batch', '16', '--batch-delay-ms', '20']);
    const sizes = Array.from({ length: 30 }, (_, i) => 1 + (i % 3));
    const requests = sizes.map((n, i) => irisRows(n, i).map((r) => r.map((v) => v + i * 0.1)));
    const all = requests.flat();
    const ref = ortReference(IRIS, { features: { type: 'float32', data: all.flat(), dims: [all.length, 4] } });
    const results = await Promise.all(requests.map((rows, i) =>
      inferJson(srv.url, 'iris', { id: `r${i}`, inputs: [{ name: 'features', datatype: 'FP32', shape: [rows.length, 4], data: rows.flat() }] })));
    let row = 0;
    results.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.json.id).toBe(`r${i}`);
      const [p, l] = r.json.outputs as { shape: number[]; data: number[] }[];
      const n = sizes[i];
      expect(p.shape).toEqual([n, 3]);
      const expected = (ref.probabilities.data as number[]).slice(row * 3, (row + n) * 3);
      p.data.forEach((v, k) => expect(v).toBeCloseTo(expected[k], 6));
      expect(l.data).toEqual(ref.label.data.slice(row, row + n).map(Number));
      row += n;
    });
    const runs = await metric(srv.url, 'modelfleet_edge_batch_requests_count');
    const joined = await metric(srv.url, 'modelfleet_edge_batch_requests_sum');
    expect(joined).toBe(30);
    expect(runs).toBeLessThan(30);
  });

  test('one request that makes onnxruntime fail does not fail its batch-mates', async () => {
    const srv = await start(['--model', testModels().gather, '--max-batch', '32', '--batch-delay-ms', '20']);
    const idx = [0, 1, 2, 3, 4, 9, 0, 1, 2, 3, 4, -9, 2, 3];
    const results = await Promise.all(idx.map((i) =>
      inferJson(srv.url, 'gather', { inputs: [{ name: 'idx', datatype: 'INT64', shape: [1, 1], data: [i] }] })));
    results.forEach((r, k) => {
      if (idx[k] >= 5 || idx[k] < -5) {
        expect(r.status).toBe(400);
        expect(r.json.code).toBe('EDGE_ERR_INFER_FAILED');
      } else {
        expect(r.status).toBe(200);
        expect((r.json.outputs as { data: number[] }[])[0].data).toEqual([[10, 20, 30, 40, 50].at(idx[k])]);
      }
    });
    expect(await metric(srv.url, 'modelfleet_edge_batch_requests_count')).toBeLessThan(idx.length); // some were joined
  });

  test('does not join requests when the model\'s first axis is fixed', async () => {
    const srv = await start(['--model', testModels().fixed, '--batch-delay-ms', '20']);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      inferJson(srv.url, 'fixed', { inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], data: [i, 1, 2, 3, 4, 5] }] })));
    results.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect((r.json.outputs as { data: number[] }[])[0].data).toEqual([2 * i, 2, 4, 6, 8, 10]);
    });
    expect(await metric(srv.url, 'modelfleet_edge_batch_requests_count')).toBe(12);
    expect(srv.logs.some((l) => l.includes('"event":"model_loaded"') && l.includes('"batching":false'))).toBe(true);
  });

  test('--batching false runs every request alone', async () => {
    const srv = await start(['--model', IRIS, '--batching', 'false']);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      inferJson(srv.url, 'iris', { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: irisRows(1, i).flat() }] })));
    for (const r of results) expect(r.status).toBe(200);
    expect(await metric(srv.url, 'modelfleet_edge_batch_requests_count')).toBe(10);
  });
});

describe('body buffers', () => {
  test('binary bodies are read into buffers the worker handed back, and every caller still gets its own answer', async () => {
    const srv = await start(['--model', SQUEEZENET, '--max-body-mb', '64']);
    const n = 3 * 224 * 224;
    const inputs = Array.from({ length: 12 }, (_, i) => Float32Array.from({ length: n }, (_, k) => Math.sin(k * 0.001 + i)));
    const send = (x: Float32Array) => inferBinary(srv.url, 'squeezenet1_1', {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], parameters: { binary_data_size: x.byteLength } }],
      outputs: [{ name: 'logits', parameters: { binary_data: false } }],
    }, [new Uint8Array(x.buffer)]);
    // the pool is the process's (tests run several servers in one process): count from here
    const count = (what: string) => metric(srv.url, 'modelfleet_edge_body_buffers', { what });
    const [reused0, new0] = [await count('reused'), await count('new')];
    // three rounds of four at once: later bodies land in buffers earlier requests used
    const results: InferResult[] = [];
    for (let round = 0; round < 3; round++) results.push(...(await Promise.all(inputs.slice(round * 4, round * 4 + 4).map(send))));
    const all = new Float32Array(n * inputs.length);
    inputs.forEach((x, i) => all.set(x, i * n));
    const ref = ortReference(SQUEEZENET, { input: { type: 'float32', data: Array.from(all), dims: [inputs.length, 3, 224, 224] } });
    const width = ref.logits.data.length / inputs.length;
    results.forEach((r, i) => {
      expect(r.status).toBe(200);
      const out = (r.json.outputs as { data: number[] }[])[0].data;
      const expected = (ref.logits.data as number[]).slice(i * width, (i + 1) * width);
      expect(out).toHaveLength(width);
      out.forEach((v, k) => expect(v).toBeCloseTo(expected[k], 3));
    });
    expect((await count('reused')) - reused0).toBeGreaterThan(0);
    expect((await count('new')) - new0).toBeLessThan(12);
  });
});

describe('overload', () => {
  test('health checks are answered while a long inference runs (onnxruntime stays off the main thread)', async () => {
    const srv = await start(['--model', SQUEEZENET, '--max-body-mb', '64']);
    const big = new Float32Array(32 * 3 * 224 * 224).fill(0.5);
    let inferDone = false;
    const slow = inferBinary(srv.url, 'squeezenet1_1', {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [32, 3, 224, 224], parameters: { binary_data_size: big.byteLength } }],
    }, [new Uint8Array(big.buffer)]).then((r) => {
      inferDone = true;
      return r;
    });
    for (let i = 0; i < 500 && (await metric(srv.url, 'modelfleet_edge_inflight_requests')) < 1; i++) await new Promise((r) => setTimeout(r, 5));
    const answeredDuringInference: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const live = await fetch(`${srv.url}/v2/health/live`);
      expect(live.status).toBe(200);
      answeredDuringInference.push(!inferDone);
    }
    expect(answeredDuringInference[0]).toBe(true);
    expect((await slow).status).toBe(200);
  });

  test('a full queue answers 503 with Retry-After while the accepted requests succeed', async () => {
    expect(fs.existsSync(SQUEEZENET)).toBe(true);
    const srv = await start(['--model', SQUEEZENET, '--max-queue', '2', '--batching', 'false', '--max-body-mb', '64']);
    const big = new Float32Array(24 * 3 * 224 * 224).fill(0.5);
    const slow = inferBinary(srv.url, 'squeezenet1_1', {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [24, 3, 224, 224], parameters: { binary_data_size: big.byteLength } }],
      parameters: { binary_data_output: true },
    }, [new Uint8Array(big.buffer)]);
    for (let i = 0; i < 500 && (await metric(srv.url, 'modelfleet_edge_inflight_requests')) < 1; i++) await new Promise((r) => setTimeout(r, 5));
    const small = new Float32Array(3 * 224 * 224).fill(0.25);
    const burst: Promise<InferResult>[] = Array.from({ length: 12 }, () => inferBinary(srv.url, 'squeezenet1_1', {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], parameters: { binary_data_size: small.byteLength } }],
    }, [new Uint8Array(small.buffer)]));
    const results = [await slow, ...(await Promise.all(burst))];
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.status).toBe(503);
      expect(r.json.code).toBe('EDGE_ERR_INFER_QUEUE_FULL');
      expect(r.headers.get('retry-after')).toBe('1');
    }
    expect(ok.length).toBeGreaterThanOrEqual(3);
    expect((ok[0].json.outputs as { shape: number[] }[])[0].shape).toEqual([24, 1000]);
    for (const r of ok.slice(1)) expect((r.json.outputs as { shape: number[] }[])[0].shape).toEqual([1, 1000]);
    expect(await metric(srv.url, 'modelfleet_edge_requests_total', { code: 'EDGE_ERR_INFER_QUEUE_FULL' })).toBe(refused.length);
  });
});
