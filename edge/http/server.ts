/**
 * The HTTP transport (node:http): routing, body reading, auth, and mapping errors to responses in one place.
 * Open Inference Protocol REST routes plus SageMaker's /ping and /invocations and Prometheus /metrics.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type * as net from 'node:net';
import type { EdgeConfig } from '../config';
import { ERROR_CODES, EdgeError, toEdgeError, type ErrorCode } from '../errors';
import type { Logger } from '../log';
import type { EdgeMetrics } from '../metrics';
import type { LoadedModel, ModelManager } from '../model/manager';
import type { RequestDecoder } from '../model/codec';
import type { WireOutput } from '../model/protocol';
import { preview, type DecodedRequest } from '../tensor/request';
import { bodyBuffers, type BufferPool } from '../model/buffer-pool';
import { encodeInferResponse } from '../tensor/response';

export const SERVER_NAME = 'modelfleet-edge';
export const SAGEMAKER_BINARY_TYPE = 'application/vnd.sagemaker-triton.binary+json';
const JSON_TYPE = 'application/json';

export interface HttpDeps {
  readonly config: EdgeConfig;
  readonly manager: ModelManager;
  readonly metrics: EdgeMetrics;
  readonly log: Logger;
  readonly serverVersion: string;
  /** Decodes request bodies (large JSON ones in a worker thread). */
  readonly decoder: RequestDecoder;
}

type Route =
  | 'live' | 'ready' | 'server_metadata' | 'model_metadata' | 'model_ready' | 'infer' | 'ping' | 'invocations' | 'metrics' | 'unknown';

interface Matched {
  readonly route: Route;
  readonly method: 'GET' | 'POST';
  readonly name?: string;
  readonly version?: string;
}

const MODEL_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?\/?$/;

function match(url: string): Matched {
  const q = url.indexOf('?');
  const p = q >= 0 ? url.slice(0, q) : url;
  switch (p) {
    case '/v2/health/live': return { route: 'live', method: 'GET' };
    case '/v2/health/ready': return { route: 'ready', method: 'GET' };
    case '/v2': case '/v2/': return { route: 'server_metadata', method: 'GET' };
    case '/ping': return { route: 'ping', method: 'GET' };
    case '/invocations': return { route: 'invocations', method: 'POST' };
    case '/metrics': return { route: 'metrics', method: 'GET' };
  }
  const m = MODEL_PATH.exec(p);
  if (!m) return { route: 'unknown', method: 'GET' };
  let name: string;
  let version: string | undefined;
  try {
    name = decodeURIComponent(m[1]);
    version = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
  } catch {
    return { route: 'unknown', method: 'GET' };
  }
  if (m[3] === '/infer') return { route: 'infer', method: 'POST', name, version };
  if (m[3] === '/ready') return { route: 'model_ready', method: 'GET', name, version };
  return { route: 'model_metadata', method: 'GET', name, version };
}

/**
 * A buffer for a body of `length` bytes: a whole ArrayBuffer of its own (transferable), reused from the pool or new,
 * and uninitialised (the caller writes every byte before use, or fails the request). With a binary header length,
 * the view starts where the binary data after the JSON header falls on an 8-byte boundary of the ArrayBuffer.
 */
export function bodyBuffer(length: number, headerLength: number | undefined, pool: BufferPool = bodyBuffers): Uint8Array {
  const lead = headerLength === undefined ? 0 : (8 - (headerLength % 8)) % 8;
  return new Uint8Array(pool.take(lead + length), lead, length);
}

/** A whole error response as raw bytes, for the sockets Node hands over without a ServerResponse. */
function rawError(code: ErrorCode, message: string, extraHeaders = ''): string {
  const status = ERROR_CODES[code].status;
  const body = JSON.stringify({ error: `${message}; fix: ${ERROR_CODES[code].fix}`, code });
  const retry = status === 503 ? 'Retry-After: 1\r\n' : '';
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${retry}${extraHeaders}Connection: close\r\n\r\n${body}`;
}

/** Ends a socket with `bytes` and destroys it once they are flushed (or after 1 s): a client that never reads holds nothing. */
function endAndDestroy(socket: net.Socket | import('node:stream').Duplex, bytes: string): void {
  if (socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), 1000);
  timer.unref();
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(bytes, () => {
    clearTimeout(timer);
    socket.destroy();
  });
}

/** Bytes of request bodies held by one request, counted against --max-inflight-body-mb. */
interface BodyReservation {
  bytes: number;
}

/** The HTTP side of the runtime. `draining` turns readiness off and refuses new inference. */
export class EdgeHttp {
  public readonly server: http.Server;
  public draining = false;
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly tokenDigest?: Buffer;
  private readonly serverMetadata: Buffer;
  /** Open connections, oldest first. */
  private readonly sockets = new Set<net.Socket>();
  /** Requests being handled per connection. */
  private readonly busy = new Map<net.Socket, number>();
  /** Bytes of request bodies held now, over all requests. */
  private bodyBytes = 0;

  constructor(private readonly deps: HttpDeps) {
    const c = deps.config;
    this.tokenDigest = c.token ? createHash('sha256').update(c.token).digest() : undefined;
    this.serverMetadata = Buffer.from(JSON.stringify({ name: SERVER_NAME, version: deps.serverVersion, extensions: ['binary_tensor_data', 'sagemaker'] }));
    this.server = http.createServer({
      keepAliveTimeout: 65000,
      requestTimeout: c.requestTimeoutMs,
      headersTimeout: c.headersTimeoutMs,
      // how often Node checks the two timeouts above (its default, 30 s, would let them overrun by that much)
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(c.headersTimeoutMs / 4))),
      // a missing Host is answered here, with our JSON (Node's own answer is an empty 400)
      requireHostHeader: false,
    }, (req, res) => {
      void this.handle(req, res);
    });
    this.server.on('connection', (socket: net.Socket) => this.onConnection(socket));
    deps.metrics.watchHttp(this);
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => this.onClientError(err, socket));
    // an Expect other than 100-continue (Node would answer an empty 417)
    this.server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const err = new EdgeError('EDGE_ERR_HTTP_EXPECTATION', `the request has Expect: ${preview(String(req.headers.expect), 40)}, which this server cannot meet`, { Connection: 'close' });
      this.deps.metrics.requests.labels(match(req.url ?? '/').route, '417', err.code).inc();
      this.sendError(req, res, err);
    });
    // CONNECT (a proxy tunnel; Node would close the socket without an answer)
    this.server.on('connect', (_req: http.IncomingMessage, socket: net.Socket) => {
      this.deps.metrics.requests.labels('unknown', '405', 'EDGE_ERR_HTTP_METHOD_NOT_ALLOWED').inc();
      endAndDestroy(socket, rawError('EDGE_ERR_HTTP_METHOD_NOT_ALLOWED', 'CONNECT is not allowed (this is not a proxy)', 'Allow: GET, POST\r\n'));
    });
  }

  /** Open connections now. */
  public get connections(): number {
    return this.sockets.size;
  }

  /** Bytes of request bodies held now. */
  public get inflightBodyBytes(): number {
    return this.bodyBytes;
  }

  /**
   * Counts connections against --max-connections. At the limit, a new connection closes the oldest one without a
   * request being handled (idle keep-alive, or still sending its headers: slow clients lose, health probes get in);
   * only when every connection has a request in progress is the new one refused with 503.
   */
  private onConnection(socket: net.Socket): void {
    if (this.sockets.size >= this.deps.config.maxConnections) {
      let victim: net.Socket | undefined;
      for (const s of this.sockets) {
        // no request in progress, and no answer still being written to it
        if (!this.busy.has(s) && s.writableLength === 0) {
          victim = s;
          break;
        }
      }
      if (victim) {
        this.sockets.delete(victim);
        victim.destroy();
        this.deps.metrics.connectionsShed.labels('evicted').inc();
      } else {
        this.deps.metrics.connectionsShed.labels('refused').inc();
        this.deps.metrics.requests.labels('unknown', '503', 'EDGE_ERR_HTTP_TOO_MANY_CONNECTIONS').inc();
        endAndDestroy(socket, rawError('EDGE_ERR_HTTP_TOO_MANY_CONNECTIONS', `${this.sockets.size} connections are open, all with a request in progress (--max-connections ${this.deps.config.maxConnections})`));
        return;
      }
    }
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.busy.delete(socket);
    });
  }

  /**
   * Broken framing, a timeout, or an error on the socket. Answers with our JSON (408 for a timeout, else 400) and
   * destroys the socket once the answer is flushed. A response still being produced for an earlier, valid request on
   * the same connection (a valid request followed by garbage in one packet) is sent first.
   */
  private onClientError(err: NodeJS.ErrnoException, socket: net.Socket): void {
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const code: ErrorCode = timeout ? 'EDGE_ERR_HTTP_TIMEOUT' : err.code === 'HPE_HEADER_OVERFLOW' ? 'EDGE_ERR_HTTP_HEADERS_TOO_LARGE' : 'EDGE_ERR_HTTP_MALFORMED';
    this.deps.metrics.requests.labels('unknown', String(ERROR_CODES[code].status), code).inc();
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable) {
      socket.destroy();
      return;
    }
    const message = timeout
      ? `the request did not arrive in time (headers within --headers-timeout-ms ${this.deps.config.headersTimeoutMs}, all of it within --request-timeout-ms ${this.deps.config.requestTimeoutMs})`
      : code === 'EDGE_ERR_HTTP_HEADERS_TOO_LARGE' ? 'the request line and headers are too large'
        : `malformed HTTP request (${preview(String(err.code ?? err.message), 40)})`;
    const answer = rawError(code, message);
    const inFlight = (socket as net.Socket & { _httpMessage?: http.ServerResponse | null })._httpMessage;
    if (inFlight && !inFlight.writableFinished) {
      if (inFlight.headersSent) {
        socket.destroy(); // its answer has begun: ours would corrupt it
        return;
      }
      if (inFlight.req?.complete) {
        // a whole request came before the bad bytes: its answer first, then ours
        let sent = false;
        const after = () => {
          if (!sent) endAndDestroy(socket, answer);
          sent = true;
        };
        inFlight.once('finish', after);
        inFlight.once('close', after);
        return;
      }
      // the request in progress cannot complete any more (its body was cut off, or it timed out): ours now
    }
    endAndDestroy(socket, answer);
  }

  /** Requests being handled. */
  public get activeRequests(): number {
    return this.active;
  }

  /** Resolves when no request is being handled. */
  public idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const t0 = performance.now();
    const m = match(req.url ?? '/');
    this.active++;
    const socket = req.socket;
    this.busy.set(socket, (this.busy.get(socket) ?? 0) + 1);
    let code = '';
    try {
      if (req.headers.host === undefined && req.httpVersion === '1.1') {
        throw new EdgeError('EDGE_ERR_HTTP_MALFORMED', 'the HTTP/1.1 request has no Host header', { Connection: 'close' });
      }
      const te = req.headers['transfer-encoding'];
      if (te !== undefined && te.trim().toLowerCase() !== 'chunked') {
        throw new EdgeError('EDGE_ERR_HTTP_TRANSFER_ENCODING', `the request has Transfer-Encoding: ${preview(te, 40)}, only chunked is understood`, { Connection: 'close' });
      }
      if (m.route === 'unknown') throw new EdgeError('EDGE_ERR_HTTP_NOT_FOUND', `no route ${req.method} ${(req.url ?? '').slice(0, 200)}`);
      if (req.method !== m.method && !(req.method === 'HEAD' && m.method === 'GET')) {
        throw new EdgeError('EDGE_ERR_HTTP_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${m.route} (use ${m.method})`, { Allow: m.method });
      }
      await this.dispatch(m, req, res);
    } catch (e) {
      const err = toEdgeError(e);
      code = err.code;
      if (err.code === 'EDGE_ERR_INTERNAL' || err.code === 'EDGE_ERR_INFER_WORKER_CRASHED') {
        this.deps.log.error('request_failed', { route: m.route, code: err.code, error: err.message });
      } else if (this.deps.log.isDebug()) {
        this.deps.log.debug('request_refused', { route: m.route, code: err.code, error: err.message });
      }
      this.sendError(req, res, err);
    } finally {
      const n = (this.busy.get(socket) ?? 1) - 1;
      if (n > 0) this.busy.set(socket, n);
      else this.busy.delete(socket);
      this.active--;
      if (this.active === 0 && this.idleWaiters.length > 0) for (const w of this.idleWaiters.splice(0)) w();
      this.deps.metrics.requests.labels(m.route, String(res.statusCode), code).inc();
      this.deps.metrics.requestDuration.labels(m.route).observe((performance.now() - t0) / 1000);
    }
  }

  private async dispatch(m: Matched, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const current = this.deps.manager.current;
    const ready = current !== undefined && !this.draining;
    switch (m.route) {
      case 'live':
        return this.sendJson(res, 200, '{"live":true}');
      case 'ready':
        return this.sendJson(res, ready ? 200 : 503, ready ? '{"ready":true}' : '{"ready":false}');
      case 'ping':
        return this.sendJson(res, ready ? 200 : 503, ready ? '{"status":"healthy"}' : '{"status":"unhealthy"}');
      case 'metrics': {
        if (this.deps.config.metricsAuth) this.authorize(req);
        const text = await this.deps.metrics.registry.metrics();
        res.writeHead(200, { 'Content-Type': this.deps.metrics.registry.contentType, 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
    }
    this.authorize(req);
    if (m.route === 'server_metadata') return this.sendJson(res, 200, this.serverMetadata);
    const model = this.resolveModel(m);
    switch (m.route) {
      case 'model_metadata': {
        const sig = model.instance.signature;
        return this.sendJson(res, 200, JSON.stringify({
          name: model.name, versions: [model.version], platform: 'onnx_onnxv1', inputs: sig.inputs, outputs: sig.outputs,
        }));
      }
      case 'model_ready':
        return this.sendJson(res, ready ? 200 : 503, JSON.stringify({ name: model.name, ready }));
      case 'infer':
      case 'invocations':
        return this.infer(m, req, res);
    }
  }

  private resolveModel(m: Matched): LoadedModel {
    const model = this.deps.manager.current;
    if (!model) throw new EdgeError('EDGE_ERR_MODEL_NOT_READY', 'the model is still loading');
    if (m.route === 'invocations') return model;
    if (m.name !== model.name) {
      throw new EdgeError('EDGE_ERR_MODEL_NOT_FOUND', `model ${JSON.stringify(m.name?.slice(0, 100))} is not served (this server serves ${JSON.stringify(model.name)})`);
    }
    if (m.version !== undefined && m.version !== model.version) {
      throw new EdgeError('EDGE_ERR_MODEL_NOT_FOUND', `model ${model.name} version ${JSON.stringify(m.version.slice(0, 100))} is not served (serving version ${model.version})`);
    }
    return model;
  }

  private authorize(req: http.IncomingMessage): void {
    if (!this.tokenDigest) return;
    const h = req.headers.authorization ?? '';
    // the scheme is case-insensitive (RFC 9110, section 11.1)
    const token = /^bearer[ \t]+/i.test(h) ? h.replace(/^bearer[ \t]+/i, '').trim() : '';
    const ok = timingSafeEqual(createHash('sha256').update(token).digest(), this.tokenDigest) && token !== '';
    if (!ok) throw new EdgeError('EDGE_ERR_HTTP_UNAUTHORIZED', h ? 'the bearer token is wrong' : 'the request has no Authorization header', { 'WWW-Authenticate': 'Bearer' });
  }

  private async infer(m: Matched, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.draining) throw new EdgeError('EDGE_ERR_INFER_SHUTTING_DOWN', 'the server is shutting down', { Connection: 'close' });
    const headerLength = this.headerLength(req);
    const model = this.resolveModel(m);
    // shed load before reading the body: queued requests and those already on their way fill --max-queue. The body is
    // then discarded as it arrives (never buffered), and the connection kept, so that the client can read the 503
    // (closing it under a client still sending makes most clients see a reset instead)
    const waiting = model.instance.queued + model.instance.held;
    if (waiting >= this.deps.config.maxQueue) {
      req.resume();
      throw new EdgeError('EDGE_ERR_INFER_QUEUE_FULL', `${waiting} requests are queued or arriving (--max-queue ${this.deps.config.maxQueue})`, { 'Retry-After': '1' });
    }
    const reservation: BodyReservation = { bytes: 0 };
    try {
      await this.inferHeld(m, req, res, model, headerLength, reservation);
    } finally {
      this.bodyBytes -= reservation.bytes;
    }
  }

  private async inferHeld(m: Matched, req: http.IncomingMessage, res: http.ServerResponse, model: LoadedModel, headerLength: number | undefined, reservation: BodyReservation): Promise<void> {
    // announce the request to the model from the headers on: the batcher waits for it, a swap drains it
    let release = model.instance.hold();
    let pending: Promise<readonly WireOutput[]>;
    let decoded: DecodedRequest;
    try {
      const body = await this.readBody(req, headerLength, reservation);
      const now = this.resolveModel(m); // a swap may have happened while the body arrived
      if (now !== model) {
        release();
        model = now;
        release = model.instance.hold();
      }
      decoded = await this.deps.decoder.decode(body, headerLength, model.instance.signature);
      pending = model.instance.submit(decoded); // queued while still held: the release below lets the batch go
    } finally {
      release();
    }
    const outputs = await pending;
    const enc = encodeInferResponse(model.name, model.version, decoded.id, outputs);
    if (enc.binary.length === 0) return this.sendJson(res, 200, enc.header);
    let total = enc.header.byteLength;
    for (const b of enc.binary) total += b.byteLength;
    const headers: http.OutgoingHttpHeaders = { 'Content-Length': total };
    if (m.route === 'invocations') {
      headers['Content-Type'] = `${SAGEMAKER_BINARY_TYPE};json-header-size=${enc.header.byteLength}`;
    } else {
      headers['Content-Type'] = 'application/octet-stream';
      headers['Inference-Header-Content-Length'] = enc.header.byteLength;
    }
    if (this.draining) headers.Connection = 'close';
    res.writeHead(200, headers);
    res.cork();
    res.write(enc.header);
    for (const b of enc.binary) res.write(b);
    res.end();
    res.uncork();
  }

  /** The JSON header size of a binary request, or undefined for an all-JSON body. */
  private headerLength(req: http.IncomingMessage): number | undefined {
    const h = req.headers['inference-header-content-length'];
    let raw: string | undefined = Array.isArray(h) ? h[0] : h;
    let what = 'Inference-Header-Content-Length';
    if (raw === undefined) {
      const ct = req.headers['content-type'] ?? '';
      const mm = /^\s*application\/vnd\.sagemaker-triton\.binary\+json\s*;(?:.*;)?\s*json-header-size\s*=\s*([^;\s]*)/i.exec(ct);
      if (!mm) return undefined;
      raw = mm[1];
      what = 'json-header-size';
    }
    if (!/^\d{1,12}$/.test(raw.trim())) {
      throw new EdgeError('EDGE_ERR_REQ_BINARY_HEADER', `${what} is ${JSON.stringify(raw.slice(0, 40))}, not a non-negative integer`);
    }
    return Number(raw.trim());
  }

  /**
   * Reads the body into one ArrayBuffer of its own (transferable to a worker; see bodyBuffer), refusing more than
   * --max-body-mb. With a binary header length, the binary data lands on an 8-byte boundary, so that the session
   * worker views the first tensor in place instead of copying it to align it (600 KB: about 0.08 ms).
   */
  private readBody(req: http.IncomingMessage, headerLength: number | undefined, reservation: BodyReservation): Promise<Uint8Array> {
    const max = this.deps.config.maxBodyBytes;
    const budget = this.deps.config.maxInflightBodyBytes;
    const tooLarge = (n: string) =>
      new EdgeError('EDGE_ERR_HTTP_BODY_TOO_LARGE', `the body has ${n} bytes, more than --max-body-mb ${(max / 1048576).toFixed(3).replace(/\.?0+$/, '')} (${max} bytes)`, { Connection: 'close' });
    /** Counts `more` bytes against the in-flight budget; false (nothing counted) when they do not fit. */
    const reserve = (more: number): boolean => {
      if (this.bodyBytes + more > budget) return false;
      this.bodyBytes += more;
      reservation.bytes += more;
      return true;
    };
    const overBudget = (n: number) =>
      new EdgeError('EDGE_ERR_HTTP_BODY_BUDGET', `a body of ${n} bytes does not fit: ${this.bodyBytes} bytes of bodies are held now (--max-inflight-body-mb ${(budget / 1048576).toFixed(3).replace(/\.?0+$/, '')})`, { 'Retry-After': '1' });
    const cl = req.headers['content-length'];
    let expected = -1;
    if (cl !== undefined) {
      expected = Number(cl);
      if (expected > max) {
        req.resume();
        return Promise.reject(tooLarge(String(expected)));
      }
      if (!reserve(expected)) {
        req.resume();
        return Promise.reject(overBudget(expected));
      }
    } else if (!reserve(65536)) {
      req.resume();
      return Promise.reject(overBudget(65536));
    }
    return new Promise((resolve, reject) => {
      // with a Content-Length: a pooled or new buffer of exactly that size (every byte is written before it is used,
      // or the request fails as incomplete); without one, a growing buffer
      let buf: Uint8Array = expected >= 0 ? bodyBuffer(expected, headerLength) : new Uint8Array(new ArrayBuffer(65536));
      let n = 0;
      let failed = false;
      req.on('data', (chunk: Buffer) => {
        if (failed) return;
        if (n + chunk.length > max) {
          failed = true;
          req.resume();
          reject(tooLarge(`more than ${max}`));
          return;
        }
        if (n + chunk.length > buf.byteLength) {
          const size = Math.min(max, Math.max(buf.byteLength * 2, n + chunk.length));
          if (!reserve(size - buf.byteLength)) {
            failed = true;
            req.resume();
            reject(overBudget(size));
            return;
          }
          const grown = new Uint8Array(new ArrayBuffer(size));
          grown.set(buf.subarray(0, n));
          buf = grown;
        }
        buf.set(chunk, n);
        n += chunk.length;
      });
      req.on('end', () => {
        if (failed) return;
        if (expected >= 0 && n !== expected) {
          reject(new EdgeError('EDGE_ERR_HTTP_BODY_INCOMPLETE', `received ${n} of ${expected} bytes`));
          return;
        }
        resolve(n === buf.byteLength ? buf : buf.subarray(0, n));
      });
      req.on('error', (e) => {
        if (!failed) reject(new EdgeError('EDGE_ERR_HTTP_BODY_INCOMPLETE', `the body was cut off (${e.message})`));
        failed = true;
      });
      req.on('close', () => {
        // the client went away before the end of the body: settle, so that nothing waits for this request
        if (!failed && !req.complete) reject(new EdgeError('EDGE_ERR_HTTP_BODY_INCOMPLETE', `the connection closed after ${n} bytes of the body`));
        failed = true;
      });
    });
  }

  private sendJson(res: http.ServerResponse, status: number, body: string | Buffer): void {
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(body) };
    if (status === 503) headers['Retry-After'] = '1';
    if (this.draining) headers.Connection = 'close';
    res.writeHead(status, headers);
    res.end(body);
  }

  private sendError(req: http.IncomingMessage, res: http.ServerResponse, err: EdgeError): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ error: err.message, code: err.code });
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(body), ...err.headers };
    if (err.status === 503 && headers['Retry-After'] === undefined) headers['Retry-After'] = '1';
    if (this.draining) headers.Connection = 'close';
    res.writeHead(err.status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
