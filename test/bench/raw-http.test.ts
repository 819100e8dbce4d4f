/** The benchmark's lean HTTP client: framing, keep-alive, and refusing what it cannot frame. */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { parseHead, RawConnection, requestBytes } from '../../bench/raw-http';

describe('raw-http client', () => {
  let server: http.Server;
  let port: number;
  const connections = new Set<unknown>();
  let seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: Buffer }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url === '/chunked') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('a');
          res.end('b');
          return;
        }
        if (req.url === '/close') {
          res.writeHead(503, { 'content-length': 2, connection: 'close' });
          res.end('no');
          return;
        }
        // echo the body reversed, in pieces, to exercise reassembly
        const out = Buffer.from(body).reverse();
        res.writeHead(200, { 'content-length': out.length, 'inference-header-content-length': '7' });
        for (let i = 0; i < out.length; i += 100_000) res.write(out.subarray(i, i + 100_000));
        res.end();
      });
    });
    server.on('connection', (s) => connections.add(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  beforeEach(() => {
    seen = [];
    connections.clear();
  });

  test('sends the prepared request and returns status, lower-case headers and the whole body, on one connection', async () => {
    const body = Buffer.alloc(600_000);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    const req = requestBytes('POST', '127.0.0.1', port, '/v2/models/m/infer', { 'Content-Type': 'application/octet-stream', 'Content-Length': '1' }, body);
    const conn = new RawConnection('127.0.0.1', port);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await conn.send(req);
        expect(r.status).toBe(200);
        expect(r.headers['inference-header-content-length']).toBe('7');
        expect(r.body.equals(Buffer.from(body).reverse())).toBe(true);
      }
    } finally {
      conn.close();
    }
    expect(seen).toHaveLength(3);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v2/models/m/infer' });
    expect(seen[0].headers['content-length']).toBe('600000'); // the caller's Content-Length is replaced by the real one
    expect(seen[0].headers['content-type']).toBe('application/octet-stream');
    expect(connections.size).toBe(1);
  });

  test('refuses a chunked response, naming what it needs', async () => {
    const conn = new RawConnection('127.0.0.1', port);
    await expect(conn.send(requestBytes('GET', '127.0.0.1', port, '/chunked', {}, Buffer.alloc(0)))).rejects.toThrow(/Transfer-Encoding chunked; this client needs Content-Length/);
    conn.close();
  });

  test('returns a Connection: close reply, then reconnects for the next request', async () => {
    const conn = new RawConnection('127.0.0.1', port);
    try {
      const r = await conn.send(requestBytes('GET', '127.0.0.1', port, '/close', {}, Buffer.alloc(0)));
      expect(r.status).toBe(503);
      expect(r.body.toString()).toBe('no');
      const again = await conn.send(requestBytes('POST', '127.0.0.1', port, '/echo', {}, Buffer.from('abc')));
      expect(again.body.toString()).toBe('cba');
    } finally {
      conn.close();
    }
    expect(connections.size).toBe(2);
  });

  test('rejects when nothing listens', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const freePort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const conn = new RawConnection('127.0.0.1', freePort);
    await expect(conn.send(requestBytes('GET', '127.0.0.1', freePort, '/', {}, Buffer.alloc(0)))).rejects.toThrow(/ECONNREFUSED/);
  });

  test('parseHead refuses what it cannot frame', () => {
    expect(parseHead('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b')).toEqual({ status: 200, headers: { 'content-length': '5', 'x-a': 'b' }, contentLength: 5 });
    expect(() => parseHead('SPDY 200')).toThrow(/not an HTTP\/1.x status line/);
    expect(() => parseHead('HTTP/1.1 200 OK\r\nbroken')).toThrow(/malformed response header line/);
    expect(() => parseHead('HTTP/1.1 200 OK\r\nContent-Length: x')).toThrow(/no valid Content-Length/);
  });
});
