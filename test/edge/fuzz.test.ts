/**
 * Property-based fuzzing (fast-check) of request bodies and headers: whatever arrives, the runtime answers with a
 * status below 500 and an error code, never crashes, and keeps serving good requests.
 */
import * as net from 'node:net';
import fc from 'fast-check';
import { ERROR_CODES, EdgeError } from '../../edge/errors';
import { decodeInferRequest, type ModelSignature } from '../../edge/tensor/request';
import { V2_DATATYPES } from '../../edge/tensor/datatypes';
import { inferJson, IRIS, startEdge, type TestServer } from './helpers/runtime';

const irisSig: ModelSignature = {
  inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }, { name: 'label', datatype: 'INT64', shape: [-1] }],
  batchable: true,
};

const anyDatatype = fc.oneof(fc.constantFrom(...V2_DATATYPES), fc.string({ maxLength: 6 }));
const anyShape = fc.oneof(fc.array(fc.integer({ min: -2, max: 6 }), { maxLength: 4 }), fc.constant([1, 4]), fc.jsonValue());
const anyData = fc.oneof(
  fc.array(fc.double(), { maxLength: 12 }),
  fc.array(fc.array(fc.float({ noNaN: true }), { maxLength: 5 }), { maxLength: 3 }),
  fc.array(fc.oneof(fc.integer(), fc.boolean(), fc.string(), fc.constant(null)), { maxLength: 8 }),
  fc.jsonValue(),
);
const anyParams = fc.oneof(
  fc.constant(undefined),
  fc.record({ binary_data_size: fc.oneof(fc.integer({ min: -4, max: 64 }), fc.jsonValue()) }, { requiredKeys: [] }),
  fc.record({ binary_data_output: fc.jsonValue(), classification: fc.jsonValue() }, { requiredKeys: [] }),
);
const anyInput = fc.record({
  name: fc.oneof(fc.constant('features'), fc.string({ maxLength: 8 }), fc.jsonValue()),
  datatype: anyDatatype,
  shape: anyShape,
  data: anyData,
  parameters: anyParams,
}, { requiredKeys: ['name'] });
const anyRequest = fc.oneof(
  fc.record({
    id: fc.oneof(fc.string(), fc.integer(), fc.constant(undefined)),
    inputs: fc.oneof(fc.array(anyInput, { maxLength: 3 }), fc.jsonValue()),
    outputs: fc.oneof(fc.constant(undefined), fc.array(fc.record({ name: fc.oneof(fc.constantFrom('label', 'probabilities'), fc.string()), parameters: anyParams }), { maxLength: 3 })),
    parameters: anyParams,
  }, { requiredKeys: ['inputs'] }),
  fc.jsonValue(),
);

describe('tensor request decoder (pure)', () => {
  test('any JSON request either decodes or throws an EdgeError with a 4xx status', () => {
    fc.assert(fc.property(anyRequest, fc.uint8Array({ maxLength: 64 }), fc.boolean(), (req, tail, binary) => {
      const json = Buffer.from(JSON.stringify(req) ?? 'null');
      const body = binary ? Buffer.concat([json, tail]) : json;
      const u8 = new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
      try {
        return decodeInferRequest(u8, binary ? json.byteLength : undefined, irisSig).inputs.length === 1;
      } catch (e) {
        return e instanceof EdgeError && e.status >= 400 && e.status < 500;
      }
    }), { numRuns: 4000 });
  });
});

describe('HTTP fuzzing', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startEdge(['--model', IRIS, '--max-body-mb', '0.05']);
  });
  afterAll(async () => {
    await srv.stop();
  });

  test('bodies and headers: no 5xx, every error has a registered code, the server keeps serving', async () => {
    const headerValue = fc.oneof(fc.constant(undefined), fc.integer({ min: -5, max: 400 }).map(String), fc.stringMatching(/^[ -~]{0,12}$/));
    const body = fc.oneof(
      anyRequest.map((r) => Buffer.from(JSON.stringify(r) ?? '')),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.tuple(anyRequest, fc.uint8Array({ maxLength: 40 })).map(([r, t]) => Buffer.concat([Buffer.from(JSON.stringify(r) ?? ''), t])),
    );
    const sized = fc.oneof({ weight: 20, arbitrary: body }, { weight: 1, arbitrary: fc.integer({ min: 50000, max: 70000 }).map((n) => Buffer.alloc(n, 0x20)) });
    const route = fc.constantFrom('/v2/models/iris/infer', '/invocations', '/v2/models/iris/versions/x/infer', '/v2/models/iris', '/v2/models/%E0%A4%A/infer');
    await fc.assert(fc.asyncProperty(route, sized, headerValue, headerValue, fc.constantFrom('POST', 'GET', 'PUT'), async (p, b, ihcl, jhs, method) => {
      const headers: Record<string, string> = {};
      if (ihcl !== undefined) headers['Inference-Header-Content-Length'] = ihcl;
      if (jhs !== undefined) headers['Content-Type'] = `application/vnd.sagemaker-triton.binary+json;json-header-size=${jhs}`;
      let res: Response;
      try {
        res = await fetch(`${srv.url}${p}`, { method, headers, body: method === 'GET' ? undefined : b });
      } catch (e) {
        if (e instanceof TypeError && !String((e as { cause?: unknown }).cause ?? '').includes('ECONNRE')) return; // refused by the client itself
        throw e;
      }
      const text = await res.text();
      expect(res.status).toBeLessThan(500);
      if (res.status >= 400) {
        const err = JSON.parse(text) as { code: string; error: string };
        expect(Object.keys(ERROR_CODES)).toContain(err.code);
        expect(typeof err.error).toBe('string');
      }
    }), { numRuns: 800 });
    const ok = await inferJson(srv.url, 'iris', { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [5, 3, 1.5, 0.2] }] });
    expect(ok.status).toBe(200);
  });

  test('raw bytes on the socket (broken HTTP framing) get a 4xx or a closed socket, never a crash', async () => {
    const { port } = new URL(srv.url);
    const raw = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.stringMatching(/^[ -~]{0,40}$/), fc.integer({ min: -3, max: 99999 })).map(([h, n]) =>
        Buffer.from(`POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nContent-Length: ${n}\r\nX: ${h}\r\n\r\n{"inputs":[`)),
      fc.stringMatching(/^[ -~\r\n]{0,120}$/).map((s) => Buffer.from(`GET ${s} HTTP/1.1\r\n\r\n`)),
    );
    await fc.assert(fc.asyncProperty(raw, async (bytes) => {
      const reply = await new Promise<string>((resolve) => {
        const sock = net.connect(Number(port), '127.0.0.1');
        let data = '';
        sock.on('data', (c) => {
          data += c.toString('latin1');
        });
        sock.on('error', () => resolve(data));
        sock.on('close', () => resolve(data));
        sock.write(bytes);
        sock.setTimeout(300, () => sock.destroy());
        sock.end();
      });
      const m = /^HTTP\/1\.1 (\d{3})/.exec(reply);
      if (m) expect(Number(m[1])).toBeLessThan(500);
    }), { numRuns: 300 });
    expect((await fetch(`${srv.url}/v2/health/live`)).status).toBe(200);
  });
});
