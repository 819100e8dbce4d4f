/**
 * Property-based fuzzing (fast-check) of request bodies and headers: whatever arrives, the runtime answers with a
 * status below 500 and an error code, never crashes, and keeps serving good requests. A fixed seed (the same cases on
 * every run) and fixed run counts, each property also cut off after 60 s; plus the hostile corpus of issue 12.
 */
import * as net from 'node:net';
import fc from 'fast-check';
import { ERROR_CODES, EdgeError } from '../../edge/errors';
import { decodeInferRequest, type ModelSignature } from '../../edge/tensor/request';
import { V2_DATATYPES } from '../../edge/tensor/datatypes';
import { inferJson, IRIS, parseResponses, rawExchange, startEdge, type TestServer } from './helpers/runtime';

fc.configureGlobal({ seed: 20261202, interruptAfterTimeLimit: 60000 });

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

describe('hostile corpus (issue 12)', () => {
  const deep = fc.integer({ min: 1, max: 40000 }).map((n) => '['.repeat(n) + ']'.repeat(n));
  const long = fc.integer({ min: 1, max: 200000 }).map((n) => JSON.stringify('x'.repeat(n)));
  const hostileValue = fc.oneof(deep, long, fc.constant('{}'), fc.integer({ min: 0, max: 3000 }).map((n) => `[${new Array(n).fill('{}').join(',')}]`));
  const template = [
    '{"id":@,"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}',
    '{"inputs":[{"name":@,"datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}',
    '{"inputs":[{"name":"features","datatype":@,"shape":[1,4],"data":[1,2,3,4]}]}',
    '{"inputs":[{"name":"features","datatype":"FP32","shape":@,"data":[1,2,3,4]}]}',
    '{"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[1,2,3,@]}]}',
    '{"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":@}]}',
    '{"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"parameters":{"binary_data_size":@}}]}',
    '{"parameters":@,"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}',
    '{"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}],"outputs":@}',
    '{"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}],"outputs":[{"name":"label","parameters":@}]}',
    '{"inputs":[{"name":"features","datatype":"FP32","shape":[@,4],"data":[]}]}',
  ];

  test('decoder: values nested deep, long or many, anywhere in a request: decoded, or a 4xx EdgeError with a short message', () => {
    fc.assert(fc.property(fc.constantFrom(...template), hostileValue, fc.constantFrom(0, 1e9), (t, v, fast) => {
      const body = new Uint8Array(Buffer.from(t.replace('@', v === '{}' ? '0' : v)));
      try {
        decodeInferRequest(body, undefined, irisSig, fast);
        return true;
      } catch (e) {
        return e instanceof EdgeError && e.status >= 400 && e.status < 500 && e.message.length < 1000;
      }
    }), { numRuns: 600 });
  });

  describe('raw HTTP', () => {
    let srv: TestServer;
    beforeAll(async () => {
      srv = await startEdge(['--model', IRIS, '--headers-timeout-ms', '500', '--request-timeout-ms', '1000']);
    });
    afterAll(async () => {
      await srv.stop();
    });

    const ok = '{"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}';
    const post = (headers: string, body = ok) => `POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\n${headers}\r\n${body}`;
    const sized = (body: string) => post(`Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n`, body);
    /** [what, bytes, the statuses answered in order]; every answer must be our JSON with a registered code. */
    const corpus: [string, string, number[]][] = [
      ['no Host', 'GET /v2/health/live HTTP/1.1\r\n\r\n', [400]],
      ['Expect: magic', 'GET /v2/health/live HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n', [417]],
      ['CONNECT', 'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n', [405]],
      ['garbage method', 'G@T / HTTP/1.1\r\nHost: x\r\n\r\n', [400]],
      ['binary bytes', '\x00\x01\x02\x03\r\n\r\n', [400]],
      ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', [400]],
      ['bad version', 'GET /v2/health/live HTTP/9.9\r\nHost: x\r\n\r\n', [400]],
      ['space in header name', 'GET /v2/health/live HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n', [400]],
      ['two Content-Lengths', post(`Content-Length: ${ok.length}\r\nContent-Length: 3\r\n`), [400]],
      ['negative Content-Length', post('Content-Length: -1\r\n'), [400]],
      ['Content-Length and chunked', post(`Content-Length: ${ok.length}\r\nTransfer-Encoding: chunked\r\n`), [400]],
      ['gzip, chunked', post('Transfer-Encoding: gzip, chunked\r\n', `${ok.length.toString(16)}\r\n${ok}\r\n0\r\n\r\n`), [501]],
      ['bad chunk size', post('Transfer-Encoding: chunked\r\n', 'zz\r\nabc\r\n0\r\n\r\n'), [400]],
      ['valid then garbage', `GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n\x01garbage\r\n\r\n`, [200, 400]],
      ['valid infer then garbage', `${post(`Content-Length: ${ok.length}\r\n`)}\x01garbage\r\n\r\n`, [200, 400]],
      ['nothing', '', [408]],
      ['half the headers', 'GET /v2/health/live HTTP/1.1\r\nHost: x\r\n', [408]],
      ['half the body', post('Content-Length: 500\r\n', '{"inputs":'), [408]],
      ['deep JSON', sized(`{"id":${'['.repeat(30000)}${']'.repeat(30000)}}`), [400]],
      ['zero-size shape', sized('{"inputs":[{"name":"features","datatype":"FP32","shape":[0,4],"data":[]}]}'), [400]],
      ['1 MB of {} in parameters', sized(`{"parameters":{"x":[${new Array(250000).fill('{}').join(',')}]},"inputs":[]}`), [400]],
      ['huge header', `GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20000)}\r\n\r\n`, [431]],
    ];
    for (const [what, bytes, statuses] of corpus) {
      test(`${what}: answered ${statuses.join(', ')} with our JSON, then the connection is closed`, async () => {
        const reply = await rawExchange(srv.url, bytes, 4000);
        const r = parseResponses(reply.text);
        expect(r.map((x) => x.status)).toEqual(statuses);
        for (const x of r.filter((y) => y.status >= 400)) {
          const body = JSON.parse(x.body) as { code: string; error: string };
          expect(Object.keys(ERROR_CODES)).toContain(body.code);
        }
        expect(reply.closed).toBe(true);
      });
    }

    test('after the corpus, no connection is left open and good requests are served', async () => {
      const open = () => new Promise<number>((resolve) => srv.rt.http.server.getConnections((_e, n) => resolve(n)));
      for (let i = 0; i < 100 && (await open()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await open()).toBe(0);
      expect((await inferJson(srv.url, 'iris', JSON.parse(ok))).status).toBe(200);
    });
  });
});
