/**
 * Conformance with the Open Inference Protocol HTTP/REST specification
 * (kserve/open-inference-protocol, specification/protocol/inference_rest.md) and its Binary Tensor Data Extension,
 * plus the SageMaker container contract. Section names of the specification are quoted in the test names.
 * Real onnxruntime, real loopback sockets; expected values come from onnxruntime-node run in this process.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ERROR_CODES } from '../../edge/errors';
import { bodyBuffer } from '../../edge/http/server';
import {
  binaryBody, getJson, inferBinary, inferJson, IRIS, irisRows, metric, ortReference, readInferResponse, REPO, startEdge, tempDir, testModels, type TestServer,
} from './helpers/runtime';

let srv: TestServer;
let types: TestServer;

/** Expected outputs from onnxruntime-node itself (float32 values widened to numbers; labels as bigint). */
async function reference(rows: number[][]): Promise<{ probabilities: number[]; label: bigint[] }> {
  const out = ortReference(IRIS, { features: { type: 'float32', data: rows.flat(), dims: [rows.length, 4] } });
  return { probabilities: out.probabilities.data as number[], label: out.label.data.map((x) => BigInt(x)) };
}

beforeAll(async () => {
  srv = await startEdge(['--model', IRIS]);
  types = await startEdge(['--model', testModels().types, '--batching', 'false']);
});

afterAll(async () => {
  await srv?.stop();
  await types?.stop();
});

describe('Open Inference Protocol: health and metadata', () => {
  test('"Server Live": GET /v2/health/live answers 200', async () => {
    const r = await getJson(`${srv.url}/v2/health/live`);
    expect(r.status).toBe(200);
    expect(r.json.live).toBe(true);
  });

  test('"Server Ready": GET /v2/health/ready answers 200 once the model is loaded', async () => {
    const r = await getJson(`${srv.url}/v2/health/ready`);
    expect(r.status).toBe(200);
    expect(r.json.ready).toBe(true);
  });

  test('"Server Metadata": GET /v2 gives name, version and the binary_tensor_data extension', async () => {
    const r = await getJson(`${srv.url}/v2`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ name: 'modelfleet-edge', version: expect.any(String), extensions: expect.arrayContaining(['binary_tensor_data']) });
  });

  test('"Model Metadata": GET /v2/models/{name} gives platform, versions and tensors with -1 for dynamic axes', async () => {
    const r = await getJson(`${srv.url}/v2/models/iris`);
    expect(r.status).toBe(200);
    const sha = (await import('node:crypto')).createHash('sha256').update(fs.readFileSync(IRIS)).digest('hex');
    expect(r.json).toEqual({
      name: 'iris',
      versions: [sha.slice(0, 12)],
      platform: 'onnx_onnxv1',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }, { name: 'label', datatype: 'INT64', shape: [-1] }],
    });
    const v = await getJson(`${srv.url}/v2/models/iris/versions/${sha.slice(0, 12)}`);
    expect(v.status).toBe(200);
    expect(v.json.name).toBe('iris');
  });

  test('"Model Metadata": fails when the model or version is not served, with an error object', async () => {
    const a = await getJson(`${srv.url}/v2/models/nope`);
    expect(a.status).toBe(404);
    expect(a.json).toEqual({ error: expect.stringContaining('nope'), code: 'EDGE_ERR_MODEL_NOT_FOUND' });
    const b = await getJson(`${srv.url}/v2/models/iris/versions/0000`);
    expect(b.status).toBe(404);
    expect(b.json.code).toBe('EDGE_ERR_MODEL_NOT_FOUND');
  });

  test('"Model Ready": GET /v2/models/{name}[/versions/{v}]/ready', async () => {
    const version = ((await getJson(`${srv.url}/v2/models/iris`)).json.versions as string[])[0];
    for (const p of ['/v2/models/iris/ready', `/v2/models/iris/versions/${version}/ready`]) {
      const r = await getJson(`${srv.url}${p}`);
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ name: 'iris', ready: true });
    }
  });

  test('SageMaker: GET /ping answers 200', async () => {
    expect((await fetch(`${srv.url}/ping`)).status).toBe(200);
  });
});

describe('Open Inference Protocol: inference', () => {
  test('"Inference Request JSON Object": returns every output, echoes id, names model_name and model_version', async () => {
    const rows = irisRows(3);
    const r = await inferJson(srv.url, 'iris', { id: 'req-42', inputs: [{ name: 'features', datatype: 'FP32', shape: [3, 4], data: rows.flat() }] });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    const ref = await reference(rows);
    const version = ((await getJson(`${srv.url}/v2/models/iris`)).json.versions as string[])[0];
    expect(r.json).toEqual({
      model_name: 'iris', model_version: version, id: 'req-42',
      outputs: [
        { name: 'probabilities', datatype: 'FP32', shape: [3, 3], data: Array.from(ref.probabilities) },
        { name: 'label', datatype: 'INT64', shape: [3], data: Array.from(ref.label, Number) },
      ],
    });
  });

  test('"Tensor Data": nested row-major data gives the same result as flat data', async () => {
    const rows = irisRows(2);
    const flat = await inferJson(srv.url, 'iris', { inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 4], data: rows.flat() }] });
    const nested = await inferJson(srv.url, 'iris', { inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 4], data: rows }] });
    expect(nested.status).toBe(200);
    expect(nested.json.outputs).toEqual(flat.json.outputs);
    expect(nested.json.id).toBeUndefined();
  });

  test('"Request Output": outputs selects a subset of the outputs, in the order asked', async () => {
    const body = { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: irisRows(1).flat() }], outputs: [{ name: 'label' }] };
    const r = await inferJson(srv.url, 'iris', body);
    expect((r.json.outputs as { name: string }[]).map((o) => o.name)).toEqual(['label']);
    const both = await inferJson(srv.url, 'iris', { ...body, outputs: [{ name: 'label' }, { name: 'probabilities' }] });
    expect((both.json.outputs as { name: string }[]).map((o) => o.name)).toEqual(['label', 'probabilities']);
  });

  test('POST /v2/models/{name}/versions/{v}/infer serves the named version', async () => {
    const version = ((await getJson(`${srv.url}/v2/models/iris`)).json.versions as string[])[0];
    const res = await fetch(`${srv.url}/v2/models/iris/versions/${version}/infer`, {
      method: 'POST', body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: irisRows(1).flat() }] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { model_version: string }).model_version).toBe(version);
  });

  test('"Binary Tensor Data Extension": binary input and binary_data_output give the same tensors as JSON', async () => {
    const rows = irisRows(5, 1);
    const f = Float32Array.from(rows.flat());
    const json = await inferJson(srv.url, 'iris', { inputs: [{ name: 'features', datatype: 'FP32', shape: [5, 4], data: rows.flat() }] });
    const bin = await inferBinary(srv.url, 'iris', {
      id: 'b1', inputs: [{ name: 'features', datatype: 'FP32', shape: [5, 4], parameters: { binary_data_size: f.byteLength } }], parameters: { binary_data_output: true },
    }, [new Uint8Array(f.buffer)]);
    expect(bin.status).toBe(200);
    expect(bin.headers.get('content-type')).toBe('application/octet-stream');
    expect(bin.json.id).toBe('b1');
    const jo = json.json.outputs as { data: number[] }[];
    const p = bin.binary.get('probabilities')!;
    const l = bin.binary.get('label')!;
    expect(Array.from(new Float32Array(p.buffer.slice(p.byteOffset, p.byteOffset + p.byteLength)))).toEqual(jo[0].data);
    expect(Array.from(new BigInt64Array(l.buffer.slice(l.byteOffset, l.byteOffset + l.byteLength)), Number)).toEqual(jo[1].data);
    expect(bin.json.outputs).toEqual([
      { name: 'probabilities', datatype: 'FP32', shape: [5, 3], parameters: { binary_data_size: 60 } },
      { name: 'label', datatype: 'INT64', shape: [5], parameters: { binary_data_size: 40 } },
    ]);
  });

  test('"Binary Tensor Data Extension": binary_data per output mixes JSON and binary outputs; JSON input works with the header', async () => {
    const rows = irisRows(2);
    const r = await inferBinary(srv.url, 'iris', {
      inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 4], data: rows.flat() }],
      outputs: [{ name: 'probabilities', parameters: { binary_data: false } }, { name: 'label', parameters: { binary_data: true } }],
    }, []);
    expect(r.status).toBe(200);
    const ref = await reference(rows);
    const outs = r.json.outputs as { name: string; data?: number[]; parameters?: unknown }[];
    expect(outs[0].data).toEqual(Array.from(ref.probabilities));
    expect(outs[1].parameters).toEqual({ binary_data_size: 16 });
    const l = r.binary.get('label')!;
    expect(Array.from(new BigInt64Array(l.buffer.slice(l.byteOffset, l.byteOffset + 16)))).toEqual(Array.from(ref.label));
  });

  test('SageMaker: POST /invocations takes V2 JSON and the binary+json content type (json-header-size)', async () => {
    const rows = irisRows(2);
    const f = Float32Array.from(rows.flat());
    const j = await readInferResponse(await fetch(`${srv.url}/invocations`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 4], data: rows.flat() }] }),
    }));
    expect(j.status).toBe(200);
    const { body, headerLength } = binaryBody({
      inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 4], parameters: { binary_data_size: f.byteLength } }],
      outputs: [{ name: 'probabilities', parameters: { binary_data: true } }],
    }, [new Uint8Array(f.buffer)]);
    const res = await fetch(`${srv.url}/invocations`, {
      method: 'POST', headers: { 'Content-Type': `application/vnd.sagemaker-triton.binary+json;json-header-size=${headerLength}` }, body,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.sagemaker-triton\.binary\+json;json-header-size=\d+$/);
    expect(res.headers.get('inference-header-content-length')).toBeNull();
    const b = await readInferResponse(res);
    const p = b.binary.get('probabilities')!;
    expect(Array.from(new Float32Array(p.buffer.slice(p.byteOffset, p.byteOffset + p.byteLength)))).toEqual((j.json.outputs as { data: number[] }[])[0].data);
  });
});

describe('Open Inference Protocol: "Tensor Data Types" through the binary extension and JSON', () => {
  const samples: Record<string, { json: unknown[]; typed: () => ArrayBufferView }> = {
    BOOL: { json: [true, false, true, false, false, true], typed: () => Uint8Array.from([1, 0, 1, 0, 0, 1]) },
    UINT8: { json: [0, 1, 2, 128, 254, 255], typed: () => Uint8Array.from([0, 1, 2, 128, 254, 255]) },
    INT8: { json: [-128, -1, 0, 1, 100, 127], typed: () => Int8Array.from([-128, -1, 0, 1, 100, 127]) },
    UINT16: { json: [0, 1, 300, 40000, 65534, 65535], typed: () => Uint16Array.from([0, 1, 300, 40000, 65534, 65535]) },
    INT16: { json: [-32768, -300, 0, 1, 300, 32767], typed: () => Int16Array.from([-32768, -300, 0, 1, 300, 32767]) },
    UINT32: { json: [0, 1, 70000, 2147483648, 4294967294, 4294967295], typed: () => Uint32Array.from([0, 1, 70000, 2147483648, 4294967294, 4294967295]) },
    INT32: { json: [-2147483648, -70000, 0, 1, 70000, 2147483647], typed: () => Int32Array.from([-2147483648, -70000, 0, 1, 70000, 2147483647]) },
    UINT64: { json: [0, 1, 2 ** 40, 2 ** 53 - 1, 7, 9], typed: () => BigUint64Array.from([0n, 1n, 2n ** 40n, 2n ** 53n - 1n, 7n, 9n]) },
    INT64: { json: [-(2 ** 53 - 1), -1, 0, 1, 2 ** 40, 2 ** 53 - 1], typed: () => BigInt64Array.from([-(2n ** 53n - 1n), -1n, 0n, 1n, 2n ** 40n, 2n ** 53n - 1n]) },
    FP16: { json: [0, 0.5, -2, 65504, 0.0999755859375, -0.000060975551605224609], typed: () => Uint16Array.from([0x0000, 0x3800, 0xc000, 0x7bff, 0x2e66, 0x83ff]) },
    FP32: { json: [0, 1.5, -2.25, 3.4028234663852886e38, 1.401298464324817e-45, -0.1], typed: () => Float32Array.from([0, 1.5, -2.25, 3.4028234663852886e38, 1.401298464324817e-45, -0.1]) },
    FP64: { json: [0, 1.5, -2.25, Number.MAX_VALUE, Number.MIN_VALUE, -0.1], typed: () => Float64Array.from([0, 1.5, -2.25, Number.MAX_VALUE, Number.MIN_VALUE, -0.1]) },
  };
  const names = Object.keys(samples);

  function bytes(v: ArrayBufferView): Uint8Array {
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }

  function allInputs(binary: boolean) {
    return names.map((t) => binary
      ? { name: `x_${t}`, datatype: t, shape: [2, 3], parameters: { binary_data_size: samples[t].typed().byteLength } }
      : { name: `x_${t}`, datatype: t, shape: [2, 3], data: samples[t].json });
  }

  test.each(names)('%s: JSON in, JSON out keeps the values', async (t) => {
    const r = await inferJson(types.url, 'types', { inputs: allInputs(false), outputs: [{ name: `y_${t}` }] });
    expect(r.status).toBe(200);
    const out = (r.json.outputs as { name: string; datatype: string; shape: number[]; data: unknown[] }[])[0];
    expect(out).toEqual({ name: `y_${t}`, datatype: t, shape: [2, 3], data: t === 'FP32' ? Array.from(samples[t].typed() as Float32Array) : samples[t].json });
  });

  test.each(names)('%s: binary in, binary out gives the same bytes, and the same tensor as JSON in', async (t) => {
    const sections = names.map((n) => bytes(samples[n].typed()));
    const bin = await inferBinary(types.url, 'types', { inputs: allInputs(true), outputs: [{ name: `y_${t}`, parameters: { binary_data: true } }] }, sections);
    expect(bin.status).toBe(200);
    expect(Buffer.compare(bin.binary.get(`y_${t}`)!, Buffer.from(bytes(samples[t].typed())))).toBe(0);
    const fromJson = await inferJson(types.url, 'types', { inputs: allInputs(false), outputs: [{ name: `y_${t}`, parameters: { binary_data: true } }] });
    expect(Buffer.compare(fromJson.binary.get(`y_${t}`)!, bin.binary.get(`y_${t}`)!)).toBe(0);
  });

  test('INT64 and UINT64 keep full 64-bit values in binary and print them exactly in JSON', async () => {
    const i64 = BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 1n, 2n ** 62n]);
    const u64 = BigUint64Array.from([0n, 2n ** 64n - 1n, 2n ** 63n, 1n, 2n, 3n]);
    const sections = names.map((n) => (n === 'INT64' ? bytes(i64) : n === 'UINT64' ? bytes(u64) : bytes(samples[n].typed())));
    const res = await fetch(`${types.url}/v2/models/types/infer`, {
      method: 'POST',
      headers: { 'Inference-Header-Content-Length': String(binaryBody({ inputs: allInputs(true), outputs: [{ name: 'y_INT64' }, { name: 'y_UINT64' }] }, []).headerLength) },
      body: binaryBody({ inputs: allInputs(true), outputs: [{ name: 'y_INT64' }, { name: 'y_UINT64' }] }, sections).body,
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain(`"data":[${Array.from(i64).join(',')}]`);
    expect(text).toContain(`"data":[${Array.from(u64).join(',')}]`);
  });

  test('BYTES inputs are refused with EDGE_ERR_INPUT_BYTES_UNSUPPORTED', async () => {
    const inputs = allInputs(false).map((i) => (i.name === 'x_FP32' ? { ...i, datatype: 'BYTES', data: ['a', 'b', 'c', 'd', 'e', 'f'] } : i));
    const r = await inferJson(types.url, 'types', { inputs });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('EDGE_ERR_INPUT_BYTES_UNSUPPORTED');
  });
});

describe('Open Inference Protocol: "Inference Response JSON Error Object"', () => {
  const ok = { name: 'features', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] };
  const cases: [string, unknown, string][] = [
    ['an unknown input name', { inputs: [ok, { ...ok, name: 'extra' }] }, 'EDGE_ERR_INPUT_UNKNOWN'],
    ['a missing input', { inputs: [] }, 'EDGE_ERR_INPUT_MISSING'],
    ['an input sent twice', { inputs: [ok, ok] }, 'EDGE_ERR_INPUT_DUPLICATE'],
    ['a wrong datatype', { inputs: [{ ...ok, datatype: 'FP64' }] }, 'EDGE_ERR_INPUT_DATATYPE'],
    ['an unknown datatype', { inputs: [{ ...ok, datatype: 'FLOAT' }] }, 'EDGE_ERR_INPUT_DATATYPE'],
    ['a shape of the wrong rank', { inputs: [{ ...ok, shape: [4] }] }, 'EDGE_ERR_INPUT_SHAPE'],
    ['a fixed dimension that disagrees', { inputs: [{ ...ok, shape: [1, 5], data: [1, 2, 3, 4, 5] }] }, 'EDGE_ERR_INPUT_SHAPE'],
    ['a negative dimension', { inputs: [{ ...ok, shape: [-1, 4] }] }, 'EDGE_ERR_REQ_INVALID_FIELD'],
    ['too few elements', { inputs: [{ ...ok, data: [1, 2, 3] }] }, 'EDGE_ERR_INPUT_DATA_LENGTH'],
    ['too many elements', { inputs: [{ ...ok, data: [1, 2, 3, 4, 5] }] }, 'EDGE_ERR_INPUT_DATA_LENGTH'],
    ['a string among FP32 data', { inputs: [{ ...ok, data: [1, 2, '3', 4] }] }, 'EDGE_ERR_INPUT_DATA_VALUE'],
    ['no inputs field', { id: 'x' }, 'EDGE_ERR_REQ_INVALID_FIELD'],
    ['a non-string id', { id: 7, inputs: [ok] }, 'EDGE_ERR_REQ_INVALID_FIELD'],
    ['an unknown output', { inputs: [ok], outputs: [{ name: 'logits' }] }, 'EDGE_ERR_OUTPUT_UNKNOWN'],
    ['binary_data_size without the header', { inputs: [{ ...ok, data: undefined, parameters: { binary_data_size: 16 } }] }, 'EDGE_ERR_REQ_BINARY_HEADER'],
    ['a JSON array body', [ok], 'EDGE_ERR_REQ_INVALID_JSON'],
  ];

  test.each(cases)('fails with 400 on %s', async (_what, body, code) => {
    const r = await inferJson(srv.url, 'iris', body);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: expect.any(String), code });
    expect((r.json.error as string)).toContain('fix:');
  });

  test('fails with 400 EDGE_ERR_REQ_INVALID_JSON on a non-JSON or truncated body', async () => {
    for (const body of ['not json', '{"inputs": [', '']) {
      const res = await fetch(`${srv.url}/v2/models/iris/infer`, { method: 'POST', body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('EDGE_ERR_REQ_INVALID_JSON');
    }
  });

  test('fails with 400 on a bad binary header or binary sizes that do not add up', async () => {
    const f = new Float32Array(4);
    const header = { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } }] };
    const { body, headerLength } = binaryBody(header, [new Uint8Array(f.buffer)]);
    const send = async (h: string, b: Buffer) => {
      const res = await fetch(`${srv.url}/v2/models/iris/infer`, { method: 'POST', headers: { 'Inference-Header-Content-Length': h }, body: b });
      return { status: res.status, code: ((await res.json()) as { code: string }).code };
    };
    expect(await send('abc', body)).toEqual({ status: 400, code: 'EDGE_ERR_REQ_BINARY_HEADER' });
    expect(await send(String(body.byteLength + 1), body)).toEqual({ status: 400, code: 'EDGE_ERR_REQ_BINARY_HEADER' });
    expect(await send(String(headerLength), body.subarray(0, body.byteLength - 4))).toEqual({ status: 400, code: 'EDGE_ERR_REQ_BINARY_SIZE' });
    expect(await send(String(headerLength), Buffer.concat([body, Buffer.alloc(3)]))).toEqual({ status: 400, code: 'EDGE_ERR_REQ_BINARY_SIZE' });
    const wrong = binaryBody({ inputs: [{ ...header.inputs[0], parameters: { binary_data_size: 12 } }] }, [new Uint8Array(12)]);
    expect(await send(String(wrong.headerLength), wrong.body)).toEqual({ status: 400, code: 'EDGE_ERR_INPUT_DATA_LENGTH' });
  });

  test('fails with 404 on an unknown model, version or route and 405 on a wrong method', async () => {
    const body = JSON.stringify({ inputs: [ok] });
    expect((await fetch(`${srv.url}/v2/models/other/infer`, { method: 'POST', body })).status).toBe(404);
    expect((await fetch(`${srv.url}/v2/models/iris/versions/zzz/infer`, { method: 'POST', body })).status).toBe(404);
    const nf = await fetch(`${srv.url}/v3/whatever`);
    expect(nf.status).toBe(404);
    expect(((await nf.json()) as { code: string }).code).toBe('EDGE_ERR_HTTP_NOT_FOUND');
    const m = await fetch(`${srv.url}/v2/models/iris/infer`);
    expect(m.status).toBe(405);
    expect(((await m.json()) as { code: string }).code).toBe('EDGE_ERR_HTTP_METHOD_NOT_ALLOWED');
  });
});

describe('large JSON bodies are decoded off the main thread', () => {
  test('give the same tensors and the same error codes as when decoded on the main thread', async () => {
    const off = await startEdge(['--model', IRIS], {}, { offloadJsonBytes: 1 });
    try {
      const rows = irisRows(40);
      const body = { id: 'big', inputs: [{ name: 'features', datatype: 'FP32', shape: [40, 4], data: rows }] };
      const a = await inferJson(off.url, 'iris', body);
      const b = await inferJson(srv.url, 'iris', body);
      expect(a.status).toBe(200);
      expect(a.json).toEqual(b.json);
      const bad = await inferJson(off.url, 'iris', { inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 5], data: [] }] });
      expect(bad.status).toBe(400);
      expect(bad.json.code).toBe('EDGE_ERR_INPUT_SHAPE');
      expect((bad.json.error as string).split('fix:')).toHaveLength(2);
      const f = Float32Array.from(rows.flat());
      const bin = await inferBinary(off.url, 'iris', {
        inputs: [{ name: 'features', datatype: 'FP32', shape: [40, 4], parameters: { binary_data_size: f.byteLength } }],
      }, [new Uint8Array(f.buffer)]);
      expect(bin.json.outputs).toEqual(a.json.outputs);
    } finally {
      await off.stop();
    }
  });
});

describe('limits, authentication and metrics', () => {
  test('fails with 413 EDGE_ERR_HTTP_BODY_TOO_LARGE over --max-body-mb, before reading the body', async () => {
    const small = await startEdge(['--model', IRIS, '--max-body-mb', '0.001']);
    try {
      const res = await fetch(`${small.url}/v2/models/iris/infer`, { method: 'POST', body: Buffer.alloc(5000, 32) });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { code: string }).code).toBe('EDGE_ERR_HTTP_BODY_TOO_LARGE');
      const okRes = await inferJson(small.url, 'iris', { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });
      expect(okRes.status).toBe(200);
    } finally {
      await small.stop();
    }
  });

  test('a client that disconnects in the middle of its body leaves no request behind', async () => {
    const { port } = new URL(srv.url);
    await new Promise<void>((resolve) => {
      const sock = net.connect(Number(port), '127.0.0.1', () => {
        sock.write('POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"inputs": [');
        setTimeout(() => sock.destroy(), 50);
      });
      sock.on('close', () => resolve());
    });
    for (let i = 0; i < 200 && srv.rt.http.activeRequests > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(srv.rt.http.activeRequests).toBe(0);
    await srv.rt.manager.current!.instance.drain(); // resolves only when no request holds the model
    expect((await inferJson(srv.url, 'iris', { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] })).status).toBe(200);
  });

  test('with --token-file, inference and metadata need the bearer token; health stays open', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'token'), 's3cret-token\n');
    const auth = await startEdge(['--model', IRIS, '--token-file', path.join(dir, 'token')]);
    try {
      const body = { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] };
      const none = await inferJson(auth.url, 'iris', body);
      expect(none.status).toBe(401);
      expect(none.json.code).toBe('EDGE_ERR_HTTP_UNAUTHORIZED');
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect((await inferJson(auth.url, 'iris', body, { Authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await inferJson(auth.url, 'iris', body, { Authorization: 'Bearer s3cret-token' })).status).toBe(200);
      expect((await getJson(`${auth.url}/v2/models/iris`)).status).toBe(401);
      expect((await getJson(`${auth.url}/v2/models/iris`, { Authorization: 'Bearer s3cret-token' })).status).toBe(200);
      for (const p of ['/v2/health/live', '/v2/health/ready', '/ping']) expect((await fetch(`${auth.url}${p}`)).status).toBe(200);
    } finally {
      await auth.stop();
    }
  });

  test('GET /metrics exposes every runtime metric in Prometheus text format', async () => {
    await inferJson(srv.url, 'iris', { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });
    await inferJson(srv.url, 'iris', { inputs: [] });
    const res = await fetch(`${srv.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    for (const name of [
      'modelfleet_edge_requests_total', 'modelfleet_edge_request_duration_seconds_bucket', 'modelfleet_edge_queue_wait_seconds_bucket',
      'modelfleet_edge_inference_duration_seconds_bucket', 'modelfleet_edge_batch_size_bucket', 'modelfleet_edge_inflight_requests',
      'modelfleet_edge_queued_requests', 'modelfleet_edge_model_info', 'modelfleet_edge_model_load_failures_total',
      'modelfleet_edge_process_resident_memory_bytes', 'modelfleet_edge_nodejs_eventloop_lag_seconds',
    ]) expect(text).toContain(name);
    expect(await metric(srv.url, 'modelfleet_edge_requests_total', { route: 'infer', status: '400', code: 'EDGE_ERR_INPUT_MISSING' })).toBeGreaterThanOrEqual(1);
    expect(await metric(srv.url, 'modelfleet_edge_model_info', { name: 'iris' })).toBe(1);
  });
});

describe('edge/ERRORS.md', () => {
  test('lists every code of the registry with its status, and no other code', () => {
    const doc = fs.readFileSync(path.join(REPO, 'edge', 'ERRORS.md'), 'utf8');
    const inDoc = new Set([...doc.matchAll(/`(EDGE_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]));
    expect([...inDoc].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(doc).toMatch(new RegExp(`\\| \`${code}\` \\| ${status === 0 ? 'exit' : status} \\|`));
    }
  });
});

describe('request bodies', () => {
  test('a binary body is read so that its first tensor lies on an 8-byte boundary, whatever the JSON header length', () => {
    for (let headerLength = 0; headerLength < 24; headerLength++) {
      const body = bodyBuffer(headerLength + 64, headerLength);
      expect(body.byteLength).toBe(headerLength + 64);
      expect((body.byteOffset + headerLength) % 8).toBe(0);
      expect(body.buffer.byteLength).toBeLessThan(headerLength + 64 + 8);
    }
    expect(bodyBuffer(10, undefined).byteOffset).toBe(0);
  });
});
