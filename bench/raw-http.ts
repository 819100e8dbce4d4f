/**
 * A lean HTTP/1.1 keep-alive client for the load generator, in the manner of wrk: one socket per caller, the request
 * written as prepared bytes, the response parsed just enough to know where it ends (status line, Content-Length and
 * the headers the checks need). node:http's client spends about 0.3 ms per request of its own on a 2-core machine
 * (measured beside this one), time that is the load generator's, not the server's; this client keeps it out of
 * the latencies. Every response is still checked in full by the caller.
 *
 * Limits, on purpose: responses must carry Content-Length (both servers of the benchmark send it; chunked encoding
 * is refused with an error), no pipelining (one request in flight per socket), no redirects, no TLS.
 */
import * as net from 'net';

/** One parsed response. Header names are lower case. */
export interface RawReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');
/** A response header section larger than this is refused (a broken server, not a slow one). */
const MAX_HEADER_BYTES = 64 * 1024;

/** Builds the bytes of one request: request line, headers (Host and Content-Length added), body. */
export function requestBytes(method: string, host: string, port: number, path: string, headers: Readonly<Record<string, string>>, body: Buffer): Buffer[] {
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: keep-alive\r\nContent-Length: ${body.length}\r\n`;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === 'content-length' || k.toLowerCase() === 'host') continue;
    head += `${k}: ${v}\r\n`;
  }
  head += '\r\n';
  return body.length > 0 ? [Buffer.from(head, 'latin1'), body] : [Buffer.from(head, 'latin1')];
}

/**
 * Parses a response header section (without the blank line). Throws on anything the client cannot frame.
 * Exported for tests.
 */
export function parseHead(head: string): { status: number; headers: Record<string, string>; contentLength: number } {
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) throw new Error(`not an HTTP/1.x status line: ${JSON.stringify(lines[0].slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].indexOf(':');
    if (c <= 0) throw new Error(`malformed response header line: ${JSON.stringify(lines[i].slice(0, 80))}`);
    headers[lines[i].slice(0, c).trim().toLowerCase()] = lines[i].slice(c + 1).trim();
  }
  if (headers['transfer-encoding'] !== undefined) {
    throw new Error(`response uses Transfer-Encoding ${headers['transfer-encoding']}; this client needs Content-Length`);
  }
  const cl = headers['content-length'];
  if (cl === undefined || !/^\d+$/.test(cl)) {
    throw new Error(`response has no valid Content-Length (${JSON.stringify(cl)}); this client needs one`);
  }
  return { status: Number(m[1]), headers, contentLength: Number(cl) };
}

/** One keep-alive connection; `send` resolves with the reply to the request it wrote. */
export class RawConnection {
  private socket?: net.Socket;
  private connecting?: Promise<net.Socket>;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private head?: { status: number; headers: Record<string, string>; contentLength: number; bodyStart: number };
  private waiter?: { resolve: (r: RawReply) => void; reject: (e: Error) => void };
  private timer?: NodeJS.Timeout;

  constructor(private readonly host: string, private readonly port: number, private readonly timeoutMs = 60_000) {}

  public async send(request: readonly Buffer[]): Promise<RawReply> {
    const socket = this.socket ?? (await this.connect());
    return new Promise<RawReply>((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.timer = setTimeout(() => this.fail(new Error(`request timed out after ${this.timeoutMs / 1000} s`)), this.timeoutMs);
      socket.cork();
      for (const b of request) socket.write(b);
      socket.uncork();
    });
  }

  public close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private connect(): Promise<net.Socket> {
    this.connecting ??= new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: this.host, port: this.port, noDelay: true });
      s.once('connect', () => {
        this.socket = s;
        this.connecting = undefined;
        resolve(s);
      });
      s.on('data', (d: Buffer) => this.onData(d));
      s.on('error', (e) => {
        if (this.socket !== s) reject(e);
        this.fail(e);
      });
      s.on('close', () => {
        if (this.socket === s) this.socket = undefined;
        this.connecting = undefined;
        this.fail(new Error('the server closed the connection'));
      });
    });
    return this.connecting;
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    if (this.head === undefined) {
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = [all];
      const end = all.indexOf(HEADER_END);
      if (end < 0) {
        if (all.length > MAX_HEADER_BYTES) this.fail(new Error(`response header section over ${MAX_HEADER_BYTES} bytes`));
        return;
      }
      try {
        this.head = { ...parseHead(all.subarray(0, end).toString('latin1')), bodyStart: end + 4 };
      } catch (e) {
        this.fail(e as Error);
        return;
      }
    }
    const need = this.head.bodyStart + this.head.contentLength;
    if (this.buffered < need) return;
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    if (all.length > need) {
      this.fail(new Error(`the server sent ${all.length - need} bytes after the response (no request was pipelined)`));
      return;
    }
    const reply: RawReply = { status: this.head.status, headers: this.head.headers, body: all.subarray(this.head.bodyStart, need) };
    const close = (this.head.headers.connection ?? '').toLowerCase() === 'close';
    this.reset();
    const w = this.waiter;
    this.waiter = undefined;
    if (close) this.close();
    w?.resolve(reply);
  }

  private reset(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.chunks = [];
    this.buffered = 0;
    this.head = undefined;
  }

  private fail(e: Error): void {
    this.reset();
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      this.close();
      w.reject(e);
    }
  }
}
