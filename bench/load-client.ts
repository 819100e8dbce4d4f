/**
 * Child process: the load generator, in its own process so that it never shares the server's event loop.
 *
 * `load` mode: `concurrency` closed-loop callers over a keep-alive agent send the same prepared V2 infer request
 * (JSON or binary tensors) for a warm-up, then for a measured window; each response is checked (status, outputs,
 * shapes, sizes). Throughput counts the requests completed inside the window.
 * `count` mode: sends exactly `requests` requests (no window), for the memory measurement after N requests.
 * `poll` mode: one GET every `intervalMs` on a fresh connection (as the kubelet's probes do), for the health
 * latency while inferences run.
 *
 * Run by bench/run.ts as `node dist/bench/load-client.js '<json config>'`.
 */
import * as http from 'http';
import { childConfig, emitResult } from './child';
import { RawConnection, requestBytes } from './raw-http';
import { binaryRequest, checkResponse, jsonRequest, makeInputs, ModelSpec, PreparedRequest } from './payload';
import { LatencySummary, summarize } from './stats';

/** Configuration of the client child. */
export interface ClientConfig {
  readonly mode: 'load' | 'count' | 'poll';
  readonly host: string;
  readonly port: number;
  /** Request path: the infer route (load, count) or the health route (poll). */
  readonly path: string;
  readonly model?: ModelSpec;
  readonly payload?: 'binary' | 'json';
  readonly batch?: number;
  readonly concurrency?: number;
  readonly warmupSec?: number;
  readonly durationSec: number;
  /** count mode: how many requests to send in all. */
  readonly requests?: number;
  /** poll mode: the period between probes. */
  readonly intervalMs?: number;
  /**
   * load and count modes: the HTTP client. `raw` (default): a lean keep-alive client on net sockets (./raw-http.ts),
   * so that the latencies hold the server's time, not the client's; `node`: node:http's client with a keep-alive agent.
   */
  readonly client?: 'raw' | 'node';
}

/** What the client child reports. */
export interface ClientResult {
  readonly summary: LatencySummary;
  /** Requests that failed (non-200, bad response, socket error) inside the window. */
  readonly errors: number;
  readonly firstError?: string;
  /** All requests completed, warm-up included (successful or not). */
  readonly completed: number;
  /** Size of one request body, in bytes. */
  readonly requestBytes: number;
}

interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

function request(agent: http.Agent | false, cfg: ClientConfig, method: string, prepared: PreparedRequest | undefined): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { ...(prepared?.headers ?? {}) };
    if (prepared !== undefined) {
      headers['content-length'] = prepared.body.length;
    }
    const req = http.request({ host: cfg.host, port: cfg.port, path: cfg.path, method, agent, headers, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out after 60 s')));
    req.on('error', reject);
    req.end(prepared?.body);
  });
}

function problemOf(cfg: ClientConfig, reply: Reply): string | undefined {
  if (reply.status !== 200) {
    return `HTTP ${reply.status}: ${reply.body.subarray(0, 300).toString('utf8')}`;
  }
  if (cfg.model === undefined) {
    return undefined;
  }
  const hl = reply.headers['inference-header-content-length'];
  return checkResponse(cfg.model, cfg.batch ?? 1, reply.body, typeof hl === 'string' ? Number(hl) : undefined);
}

async function runLoad(cfg: ClientConfig): Promise<ClientResult> {
  if (cfg.model === undefined) {
    throw new Error('load and count modes need a model');
  }
  const batch = cfg.batch ?? 1;
  const inputs = makeInputs(cfg.model, batch);
  const prepared = cfg.payload === 'json' ? jsonRequest(cfg.model, inputs) : binaryRequest(cfg.model, inputs);
  const concurrency = cfg.concurrency ?? 1;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const rawRequest = requestBytes('POST', cfg.host, cfg.port, cfg.path, prepared.headers, prepared.body);
  const lean = (cfg.client ?? 'raw') === 'raw';

  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let completed = 0;
  let sent = 0;
  const t0 = performance.now();
  const windowStart = cfg.mode === 'count' ? t0 : t0 + (cfg.warmupSec ?? 0) * 1000;
  const windowEnd = windowStart + cfg.durationSec * 1000;
  let inWindow = 0;
  let lastEnd = windowStart;

  const more = (): boolean => (cfg.mode === 'count' ? sent < (cfg.requests ?? 0) : performance.now() < windowEnd);
  const caller = async (): Promise<void> => {
    const conn = lean ? new RawConnection(cfg.host, cfg.port) : undefined;
    while (more()) {
      sent++;
      const a = performance.now();
      let problem: string | undefined;
      try {
        problem = problemOf(cfg, conn ? await conn.send(rawRequest) : await request(agent, cfg, 'POST', prepared));
      } catch (err) {
        problem = err instanceof Error ? err.message : String(err);
      }
      const b = performance.now();
      completed++;
      if (b < windowStart || b > windowEnd) {
        continue;
      }
      inWindow++;
      lastEnd = b;
      if (problem === undefined) {
        latencies.push(b - a);
      } else {
        errors++;
        firstError ??= problem;
      }
    }
    conn?.close();
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  agent.destroy();
  const windowMs = cfg.mode === 'count' ? lastEnd - t0 : cfg.durationSec * 1000;
  return { summary: summarize(latencies, windowMs, batch, inWindow - errors), errors, firstError, completed, requestBytes: prepared.body.length };
}

async function runPoll(cfg: ClientConfig): Promise<ClientResult> {
  const interval = cfg.intervalMs ?? 20;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const end = start + cfg.durationSec * 1000;
  let next = start;
  while (performance.now() < end) {
    const wait = next - performance.now();
    if (wait > 0) {
      await new Promise((r) => setTimeout(r, wait));
    }
    const a = performance.now();
    try {
      const reply = await request(false, cfg, 'GET', undefined);
      if (reply.status === 200) {
        latencies.push(performance.now() - a);
      } else {
        errors++;
        firstError ??= `HTTP ${reply.status}`;
      }
    } catch (err) {
      errors++;
      firstError ??= err instanceof Error ? err.message : String(err);
    }
    // No catch-up burst after a slow probe: the next one is due an interval later, as a prober's timer would fire.
    next = Math.max(next + interval, performance.now());
  }
  const summary = summarize(latencies, performance.now() - start);
  return { summary, errors, firstError, completed: latencies.length + errors, requestBytes: 0 };
}

async function main(): Promise<void> {
  const cfg = childConfig<ClientConfig>();
  emitResult(cfg.mode === 'poll' ? await runPoll(cfg) : await runLoad(cfg));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  });
}
