/**
 * The runtime under hostile and unlucky clients (issue 12): no request may take it down, no client may starve it.
 * Real onnxruntime, real loopback sockets; every refusal is checked for its status and code.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { MOBILENET, IRIS, binaryBody, getJson, metric, inferBinary, inferJson, parseResponses, rawExchange, spawnEdge, startEdge, tempDir, testModels, type TestServer } from './helpers/runtime';

const irisOk = { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] };
const INFER_HEAD = (length: number) => `POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

function codeOf(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { code?: string }).code;
  } catch {
    return undefined;
  }
}

async function until(what: () => boolean | Promise<boolean>, ms = 3000): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return what();
}

function connections(srv: TestServer): Promise<number> {
  return new Promise((resolve, reject) => srv.rt.http.server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
}

/** A socket that has sent `bytes` and keeps the connection open (never reads to the end, never closes). */
function openSocket(url: string, bytes = ''): Promise<net.Socket> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), '127.0.0.1', () => {
      if (bytes) s.write(bytes);
      resolve(s);
    });
    s.on('error', () => undefined);
  });
}

describe('1. a request that onnxruntime cannot run never reaches a session', () => {
  test('a zero-size dimension is refused with 400 EDGE_ERR_INPUT_ZERO_SIZE, JSON and binary, and the process keeps serving (an LSTM with batch 0 aborts onnxruntime)', async () => {
    const p = spawnEdge(['serve', '--model', testModels().lstm, '--port', '0', '--threads', '1']);
    try {
      const url = await p.url;
      for (const shape of [[2, 0, 4], [0, 1, 4]]) {
        const j = await inferJson(url, 'lstm', { inputs: [{ name: 'x', datatype: 'FP32', shape, data: [] }] });
        expect(j.status).toBe(400);
        expect(j.json.code).toBe('EDGE_ERR_INPUT_ZERO_SIZE');
        const b = await inferBinary(url, 'lstm', { inputs: [{ name: 'x', datatype: 'FP32', shape, parameters: { binary_data_size: 0 } }] }, []);
        expect(b.status).toBe(400);
        expect(b.json.code).toBe('EDGE_ERR_INPUT_ZERO_SIZE');
      }
      const ok = await inferJson(url, 'lstm', { inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 1, 4], data: new Array(8).fill(0.5) }] });
      expect(ok.status).toBe(200);
      expect((ok.json.outputs as { shape: number[] }[])[0].shape).toEqual([2, 1, 1, 8]);
      expect(p.child.exitCode).toBeNull();
    } finally {
      p.child.kill('SIGTERM');
      await p.exit;
    }
  });

  test('a port already in use ends every start with exit status 2 and EDGE_ERR_CONFIG_LISTEN, never an abort (exit 134)', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      // mobilenet_v2 takes ~200 ms to load: the listen error comes while onnxruntime creates the session
      for (let i = 0; i < 6; i++) {
        const p = spawnEdge(['serve', '--model', fs.existsSync(MOBILENET) ? MOBILENET : IRIS, '--port', String(port), '--threads', '1']);
        const exit = await p.exit;
        expect(p.stderr()).not.toContain('terminate called');
        expect(exit).toEqual({ code: 2, signal: null });
        expect(p.stderr()).toContain('EDGE_ERR_CONFIG_LISTEN');
      }
    } finally {
      holder.close();
    }
  });
});

describe('2. clients that never read hold nothing; connections are bounded', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startEdge(['--model', IRIS, '--max-connections', '12', '--headers-timeout-ms', '400', '--request-timeout-ms', '1500']);
  });
  afterAll(async () => {
    await srv.stop();
  });

  test('a malformed request is answered with 400 JSON and its socket destroyed, even when the client neither reads nor closes', async () => {
    const plain = await startEdge(['--model', IRIS]);
    try {
      const socks = await Promise.all(Array.from({ length: 8 }, () => openSocket(plain.url, 'GARBAGE / HTTP/1.1\r\n\r\n')));
      for (const s of socks) s.pause(); // never read
      expect(await until(async () => (await connections(plain)) === 0)).toBe(true);
      for (const s of socks) s.destroy();
      const r = parseResponses((await rawExchange(plain.url, 'GARBAGE / HTTP/1.1\r\n\r\n')).text);
      expect(r[0].status).toBe(400);
      expect(codeOf(r[0].body)).toBe('EDGE_ERR_HTTP_MALFORMED');
    } finally {
      await plain.stop();
    }
  });

  test('at --max-connections, health still answers: connections without a request in progress are closed, oldest first', async () => {
    const idle = await Promise.all(Array.from({ length: 30 }, (_, i) => openSocket(srv.url, i % 2 ? 'GET /v2/health/live HTTP/1.1\r\nHo' : '')));
    try {
      for (let i = 0; i < 5; i++) expect((await fetch(`${srv.url}/v2/health/live`)).status).toBe(200);
      expect(await connections(srv)).toBeLessThanOrEqual(12);
      expect(await metric(srv.url, 'modelfleet_edge_connections_shed_total', { reason: 'evicted' })).toBeGreaterThanOrEqual(18);
      expect(await metric(srv.url, 'modelfleet_edge_open_connections')).toBeLessThanOrEqual(12);
    } finally {
      for (const s of idle) s.destroy();
    }
  });

  test('when every connection has a request in progress, a new one gets 503 EDGE_ERR_HTTP_TOO_MANY_CONNECTIONS with Retry-After', async () => {
    const small = await startEdge(['--model', IRIS, '--max-connections', '2']);
    const busy = await Promise.all([0, 1].map(() => openSocket(small.url, `${INFER_HEAD(1000)}{"inputs":[`)));
    try {
      expect(await until(() => small.rt.http.activeRequests === 2)).toBe(true);
      const reply = await rawExchange(small.url, 'GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n');
      const r = parseResponses(reply.text);
      expect(r.map((x) => [x.status, codeOf(x.body), x.headers['retry-after']])).toEqual([[503, 'EDGE_ERR_HTTP_TOO_MANY_CONNECTIONS', '1']]);
      expect(reply.closed).toBe(true);
    } finally {
      for (const s of busy) s.destroy();
      await small.stop();
    }
  });

  test('a connection that sends nothing, or half its headers, gets 408 EDGE_ERR_HTTP_TIMEOUT after --headers-timeout-ms and is closed', async () => {
    for (const bytes of ['', 'GET /v2/health/live HTTP/1.1\r\nHost: x\r\n']) {
      const reply = await rawExchange(srv.url, bytes, 4000);
      expect(reply.closed).toBe(true);
      const r = parseResponses(reply.text);
      expect(r.map((x) => x.status)).toEqual([408]);
      expect(codeOf(r[0].body)).toBe('EDGE_ERR_HTTP_TIMEOUT');
    }
  });

  test('a body that does not arrive within --request-timeout-ms gets 408 EDGE_ERR_HTTP_TIMEOUT', async () => {
    const reply = await rawExchange(srv.url, `${INFER_HEAD(100)}{"inputs":`, 5000);
    expect(reply.closed).toBe(true);
    const r = parseResponses(reply.text);
    expect(r.map((x) => x.status)).toEqual([408]);
    expect(codeOf(r[0].body)).toBe('EDGE_ERR_HTTP_TIMEOUT');
    expect(srv.rt.http.activeRequests).toBe(0);
  });
});

describe('3. deep nesting and huge values: 400 with a bounded message, never a stack overflow', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startEdge(['--model', IRIS]);
  });
  afterAll(async () => {
    await srv.stop();
  });

  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const places: [string, (d: string) => string][] = [
    ['id', (d) => `{"id":${d},"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}`],
    ['shape', (d) => `{"inputs":[{"name":"features","datatype":"FP32","shape":${d},"data":[1,2,3,4]}]}`],
    ['binary_data_size', (d) => `{"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"parameters":{"binary_data_size":${d}}}]}`],
    ['a data element', (d) => `{"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[1,2,3,${d}]}]}`],
    ['parameters', (d) => `{"parameters":{"x":${d}},"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}`],
    ['outputs', (d) => `{"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}],"outputs":${d}}`],
    ['the name', (d) => `{"inputs":[{"name":${d},"datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}`],
  ];
  for (const depth of [20000, 200000]) {
    for (const [where, body] of places) {
      test(`nesting ${depth} deep in ${where}: 400 EDGE_ERR_REQ_TOO_COMPLEX, short message, nothing logged as an error`, async () => {
        const before = srv.logs.length;
        const res = await fetch(`${srv.url}/v2/models/iris/infer`, { method: 'POST', body: body(deep(depth)) });
        const text = await res.text();
        expect(res.status).toBe(400);
        expect(codeOf(text)).toBe('EDGE_ERR_REQ_TOO_COMPLEX');
        expect(text.length).toBeLessThan(1000);
        expect(srv.logs.slice(before).filter((l) => l.includes('"level":"error"'))).toEqual([]);
      });
    }
  }

  test('error messages quote request values cut short: a 50 KB name, id, datatype or element', async () => {
    const long = 'x'.repeat(50000);
    const cases: [unknown, string][] = [
      [{ inputs: [{ name: long, datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] }, 'EDGE_ERR_INPUT_UNKNOWN'],
      [{ id: [long], inputs: [irisOk.inputs[0]] }, 'EDGE_ERR_REQ_INVALID_FIELD'],
      [{ inputs: [{ ...irisOk.inputs[0], datatype: long }] }, 'EDGE_ERR_INPUT_DATATYPE'],
      [{ inputs: [{ ...irisOk.inputs[0], data: [1, 2, 3, long] }] }, 'EDGE_ERR_INPUT_DATA_VALUE'],
      [{ inputs: [{ ...irisOk.inputs[0], shape: [1, long] }] }, 'EDGE_ERR_REQ_INVALID_FIELD'],
      [{ inputs: [irisOk.inputs[0]], outputs: [{ name: long }] }, 'EDGE_ERR_OUTPUT_UNKNOWN'],
    ];
    for (const [req, code] of cases) {
      const r = await inferJson(srv.url, 'iris', req);
      expect([r.status, r.json.code]).toEqual([400, code]);
      expect(String(r.json.error).length).toBeLessThan(600);
    }
  });
});

describe('4. every answer is ours: timeouts, Expect, Host, CONNECT, garbage after a valid request', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startEdge(['--model', IRIS]);
  });
  afterAll(async () => {
    await srv.stop();
  });

  test('an Expect other than 100-continue gets 417 EDGE_ERR_HTTP_EXPECTATION as JSON', async () => {
    const r = parseResponses((await rawExchange(srv.url, 'GET /v2/health/live HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n')).text);
    expect(r[0].status).toBe(417);
    expect(codeOf(r[0].body)).toBe('EDGE_ERR_HTTP_EXPECTATION');
  });

  test('Expect: 100-continue still works', async () => {
    const body = JSON.stringify(irisOk);
    const reply = await rawExchange(srv.url, `${INFER_HEAD(body.length).replace('\r\n\r\n', '\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n')}${body}`);
    expect(reply.text).toContain('HTTP/1.1 100 Continue');
    expect(reply.text).toContain('HTTP/1.1 200 OK');
  });

  test('an HTTP/1.1 request without Host gets 400 EDGE_ERR_HTTP_MALFORMED as JSON', async () => {
    const r = parseResponses((await rawExchange(srv.url, 'GET /v2/health/live HTTP/1.1\r\n\r\n')).text);
    expect(r[0].status).toBe(400);
    expect(codeOf(r[0].body)).toBe('EDGE_ERR_HTTP_MALFORMED');
  });

  test('CONNECT gets 405 EDGE_ERR_HTTP_METHOD_NOT_ALLOWED as JSON and the socket is closed', async () => {
    const reply = await rawExchange(srv.url, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    const r = parseResponses(reply.text);
    expect(reply.closed).toBe(true);
    expect(r[0].status).toBe(405);
    expect(codeOf(r[0].body)).toBe('EDGE_ERR_HTTP_METHOD_NOT_ALLOWED');
  });

  test('a valid request followed by garbage in the same packet gets its 200, then 400 EDGE_ERR_HTTP_MALFORMED', async () => {
    const body = JSON.stringify(irisOk);
    for (const first of ['GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n', `${INFER_HEAD(body.length)}${body}`]) {
      const reply = await rawExchange(srv.url, `${first}\x01\x02 GARBAGE\r\n\r\n`);
      const r = parseResponses(reply.text);
      expect(r.map((x) => x.status)).toEqual([200, 400]);
      expect(codeOf(r[1].body)).toBe('EDGE_ERR_HTTP_MALFORMED');
      expect(reply.closed).toBe(true);
    }
  });
});

describe('5. memory: a budget for bodies in flight, bounds outside tensor data, shedding before the body', () => {
  test('a body that would pass --max-inflight-body-mb gets 503 EDGE_ERR_HTTP_BODY_BUDGET with Retry-After before it is sent', async () => {
    const srv = await startEdge(['--model', IRIS, '--max-body-mb', '0.1', '--max-inflight-body-mb', '0.15']);
    const holder = await openSocket(srv.url, `${INFER_HEAD(100000)}{"inputs":[`);
    try {
      expect(await until(() => srv.rt.http.activeRequests === 1)).toBe(true);
      const reply = await rawExchange(srv.url, INFER_HEAD(100000), 2000); // headers only: the body never comes
      const r = parseResponses(reply.text);
      expect(r.map((x) => x.status)).toEqual([503]);
      expect(codeOf(r[0].body)).toBe('EDGE_ERR_HTTP_BODY_BUDGET');
      expect(r[0].headers['retry-after']).toBe('1');
      holder.destroy();
      expect(await until(() => srv.rt.http.activeRequests === 0)).toBe(true);
      expect((await inferJson(srv.url, 'iris', irisOk)).status).toBe(200);
    } finally {
      holder.destroy();
      await srv.stop();
    }
  });

  test('with the queue full, a request gets 503 EDGE_ERR_INFER_QUEUE_FULL with Retry-After before its body is read', async () => {
    const srv = await startEdge(['--model', IRIS, '--max-queue', '1']);
    const holder = await openSocket(srv.url, `${INFER_HEAD(1000)}{"inputs":[`);
    try {
      expect(await until(() => srv.rt.http.activeRequests === 1)).toBe(true);
      const r = parseResponses((await rawExchange(srv.url, INFER_HEAD(1000), 2000)).text);
      expect(r.map((x) => x.status)).toEqual([503]);
      expect(codeOf(r[0].body)).toBe('EDGE_ERR_INFER_QUEUE_FULL');
      expect(r[0].headers['retry-after']).toBe('1');
    } finally {
      holder.destroy();
      await srv.stop();
    }
  });

  describe('the decoder outside tensor data', () => {
    let srv: TestServer;
    beforeAll(async () => {
      srv = await startEdge(['--model', IRIS]);
    });
    afterAll(async () => {
      await srv.stop();
    });

    test('a 1 MB id, or 1 MB of {} in parameters, is refused with 400 EDGE_ERR_REQ_TOO_COMPLEX before JSON.parse', async () => {
      const big = [
        { ...irisOk, id: 'i'.repeat(1 << 20) },
        { ...irisOk, parameters: { x: new Array(1 << 18).fill({}) } },
        { inputs: [{ ...irisOk.inputs[0], parameters: { x: 'p'.repeat(1 << 20) } }] },
      ];
      for (const req of big) {
        const r = await inferJson(srv.url, 'iris', req);
        expect([r.status, r.json.code]).toEqual([400, 'EDGE_ERR_REQ_TOO_COMPLEX']);
      }
      // the same in a binary request's JSON header
      const x = new Float32Array([5.1, 3.5, 1.4, 0.2]);
      const b = await inferBinary(srv.url, 'iris', { id: 'i'.repeat(1 << 17), inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } }] }, [new Uint8Array(x.buffer)]);
      expect([b.status, b.json.code]).toEqual([400, 'EDGE_ERR_REQ_TOO_COMPLEX']);
    });

    test('large tensor data, and up to 64 KiB of everything else, still decode', async () => {
      const rows = Array.from({ length: 20000 }, (_, i) => [5 + (i % 3), 3, 1.4 + (i % 3) * 2, 0.2 + (i % 3)]);
      const r = await inferJson(srv.url, 'iris', { id: 'd'.repeat(30000), parameters: { x: new Array(5000).fill({}) }, inputs: [{ name: 'features', datatype: 'FP32', shape: [20000, 4], data: rows }], outputs: [{ name: 'label' }] });
      expect(r.status).toBe(200);
      expect((r.json.outputs as { shape: number[] }[])[0].shape).toEqual([20000]);
      expect(String(r.json.id).length).toBe(30000);
      const int = await inferJson(srv.url, 'iris', { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [[[5.1, 3.5], [1.4, 0.2]]] }] });
      expect(int.status).toBe(200);
    });
  });
});

describe('6. auth, /metrics, drain, Retry-After, transfer codings', () => {
  const tokenFile = path.join(tempDir(), 'token');
  fs.writeFileSync(tokenFile, 's3cret\n');

  test('the Bearer scheme is case-insensitive', async () => {
    const srv = await startEdge(['--model', IRIS, '--token-file', tokenFile]);
    try {
      for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
        expect((await getJson(`${srv.url}/v2`, { Authorization: `${scheme} s3cret` })).status).toBe(200);
      }
      expect((await getJson(`${srv.url}/v2`, { Authorization: 'Basic s3cret' })).status).toBe(401);
      expect((await getJson(`${srv.url}/v2`, { Authorization: 'bearer wrong' })).status).toBe(401);
    } finally {
      await srv.stop();
    }
  });

  test('with a token, /metrics needs it (it shows the sha256 and error counts); --metrics-auth false opens it', async () => {
    const srv = await startEdge(['--model', IRIS, '--token-file', tokenFile]);
    try {
      const r = await getJson(`${srv.url}/metrics`);
      expect([r.status, r.json.code]).toEqual([401, 'EDGE_ERR_HTTP_UNAUTHORIZED']);
      expect((await fetch(`${srv.url}/metrics`, { headers: { Authorization: 'Bearer s3cret' } })).status).toBe(200);
      expect((await fetch(`${srv.url}/v2/health/ready`)).status).toBe(200);
    } finally {
      await srv.stop();
    }
    const open = await startEdge(['--model', IRIS, '--token-file', tokenFile, '--metrics-auth', 'false']);
    try {
      expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
      expect((await getJson(`${open.url}/v2`)).status).toBe(401);
    } finally {
      await open.stop();
    }
  });

  test('while draining, the listener stays open: readiness, /ping and infer answer 503 with Retry-After until the work in flight ends', async () => {
    const srv = await startEdge(['--model', IRIS]);
    const body = JSON.stringify(irisOk);
    const { port } = new URL(srv.url);
    const inFlight = net.connect(Number(port), '127.0.0.1');
    let answer = '';
    inFlight.on('data', (c: Buffer) => {
      answer += c.toString('latin1');
    });
    inFlight.write(`${INFER_HEAD(body.length)}${body.slice(0, 10)}`);
    expect(await until(() => srv.rt.http.activeRequests === 1)).toBe(true);
    const stopped = srv.stop();
    let done = false;
    void stopped.then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    for (const route of ['/v2/health/ready', '/ping', '/v2/models/iris/ready']) {
      const res = await fetch(`${srv.url}${route}`);
      expect([route, res.status, res.headers.get('retry-after')]).toEqual([route, 503, '1']);
    }
    const refused = await inferJson(srv.url, 'iris', irisOk);
    expect([refused.status, refused.json.code, refused.headers.get('retry-after')]).toEqual([503, 'EDGE_ERR_INFER_SHUTTING_DOWN', '1']);
    expect((await fetch(`${srv.url}/v2/health/live`)).status).toBe(200);
    expect(done).toBe(false);
    inFlight.write(body.slice(10));
    await stopped;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    inFlight.destroy();
    await expect(fetch(`${srv.url}/v2/health/live`)).rejects.toThrow();
  });

  test('every 503 carries Retry-After: a model that is still loading', async () => {
    const { body } = binaryBody(irisOk, []);
    expect(body.length).toBeGreaterThan(0);
    const srv = await startEdge(['--model', IRIS]);
    try {
      // the model slot emptied as it is before the first load finishes
      const manager = srv.rt.manager as unknown as { model?: unknown };
      const saved = manager.model;
      manager.model = undefined;
      try {
        for (const route of ['/v2/health/ready', '/ping']) {
          const res = await fetch(`${srv.url}${route}`);
          expect([res.status, res.headers.get('retry-after')]).toEqual([503, '1']);
        }
        const r = await inferJson(srv.url, 'iris', irisOk);
        expect([r.status, r.json.code, r.headers.get('retry-after')]).toEqual([503, 'EDGE_ERR_MODEL_NOT_READY', '1']);
      } finally {
        manager.model = saved;
      }
    } finally {
      await srv.stop();
    }
  });

  test('Transfer-Encoding other than chunked alone (gzip, chunked) gets 501 EDGE_ERR_HTTP_TRANSFER_ENCODING', async () => {
    const srv = await startEdge(['--model', IRIS]);
    try {
      const body = JSON.stringify(irisOk);
      const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
      for (const te of ['gzip, chunked', 'deflate,chunked']) {
        const r = parseResponses((await rawExchange(srv.url, `POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ${te}\r\n\r\n${chunked}`)).text);
        expect(r[0].status).toBe(501);
        expect(codeOf(r[0].body)).toBe('EDGE_ERR_HTTP_TRANSFER_ENCODING');
      }
      const ok = parseResponses((await rawExchange(srv.url, `POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunked}`)).text);
      expect(ok[0].status).toBe(200);
    } finally {
      await srv.stop();
    }
  });
});
