/**
 * `npm run bench`: the edge runtime against its limit (onnxruntime-node in-process) and a naive server, side by side
 * in one run, on each model given. Prints the tables and the targets' verdicts; writes bench/results/latest.json
 * and latest.md. Every measurement runs in child processes: the baseline in its own process, each server in its own,
 * and the load client in another, so that no two of them share an event loop.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BenchArgsError, BenchOptions, parseBenchArgs, USAGE } from './args';
import type { ClientConfig, ClientResult } from './load-client';
import { defaultThreads, describeThreads, ThreadSettings } from './ort-options';
import type { ModelSpec } from './payload';
import { cpuOfTree, freePort, rssOfTree, runChild, ServerProcess, startServer, stopServer } from './proc';
import type { RawConfig, RawResult } from './raw';
import {
  checkAtLeastTimes, checkAtMost, checkAtMostPlus, checkAtMostTimes, failOnErrors, fmt, LatencySummary, markdownTable, median,
  RssGrowth, rssGrowth, RssSample, TargetCheck, toMb,
} from './stats';

const ROOT = path.resolve(__dirname, '..', '..');
const RAW_JS = path.join(__dirname, 'raw.js');
const CLIENT_JS = path.join(__dirname, 'load-client.js');
const NAIVE_JS = path.join(__dirname, 'naive-server.js');
const FLOOR_JS = path.join(__dirname, 'floor-server.js');

/** The targets of issue 3 (Benchmarks). */
export const TARGETS = Object.freeze({
  c1BinaryP50VsRaw: 1.15,
  c8BinaryVsRawBatch8: 0.8,
  c8BinaryVsNaive: 2.5,
  c8JsonVsNaive: 1.5,
  coldStartAllowanceMs: 300,
  rssAllowanceMb: 40,
  /** "No growth" over the soak, with room for allocator noise. */
  soakGrowthToleranceMb: 5,
  healthP99Ms: 25,
  healthBatch: 16,
  healthConcurrency: 2,
  healthIntervalMs: 20,
});

type Setup = 'raw' | 'runtime' | 'naive' | 'floor';
type Payload = 'tensor' | 'binary' | 'json';

/** One line of the main table. */
export interface Row {
  readonly model: string;
  readonly setup: Setup;
  readonly payload: Payload;
  readonly batch: number;
  readonly concurrency: number;
  readonly summary?: LatencySummary;
  /**
   * CPU time (user + system, all threads and child processes) the measured process spent per item: the server over
   * the whole client run (warm-up included), or the baseline over its window. Much less sensitive than wall-clock
   * numbers to other load on a shared machine, so it shows the runtime's own overhead even when latencies are noisy.
   */
  readonly cpuMsPerItem?: number;
  /** Resident set size of the measured process (and its children) after the phase, in bytes. */
  readonly rssBytes?: number;
  readonly errors: number;
  readonly firstError?: string;
}

interface SoakReport {
  readonly seconds: number;
  readonly samples: RssSample[];
  readonly growth: RssGrowth;
  readonly load?: ClientResult;
  readonly error?: string;
}

interface HealthReport {
  readonly poll?: ClientResult;
  readonly load?: ClientResult;
  readonly error?: string;
}

interface ServerReport {
  readonly setup: Setup;
  readonly command: string;
  coldStartsMs: number[];
  /** What the runtime says it runs with (its `model_loaded` log line): workers, intra-op threads, batching. */
  settings?: string;
  /** Requests served when rssBytes was read (the runtime: binary requests only, before the JSON phases). */
  requestsBeforeRss: number;
  rssBytes?: number;
  /** The runtime's highest RSS after a JSON phase (large bodies; reported beside the target, not against it). */
  jsonPeakRssBytes?: number;
  soak?: SoakReport;
  health?: HealthReport;
  error?: string;
  logFile?: string;
}

interface ModelReport {
  readonly model: string;
  readonly file: string;
  skipped?: string;
  raw?: RawResult;
  rawError?: string;
  rows: Row[];
  servers: ServerReport[];
  checks: TargetCheck[];
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function modelName(file: string): string {
  return path.basename(file).replace(/\.onnx$/, '');
}

function describeSummary(s: LatencySummary | undefined, cpuMsPerItem?: number): string {
  return s === undefined ? 'no result' : `p50 ${fmt(s.p50Ms)} ms, p99 ${fmt(s.p99Ms)} ms, ${fmt(s.itemsPerSec)} items/s (n=${s.count})${cpuMsPerItem === undefined ? '' : `, CPU ${fmt(cpuMsPerItem)} ms/item`}`;
}

async function runRaw(opts: BenchOptions, threads: ThreadSettings, file: string): Promise<RawResult> {
  const cfg: RawConfig = { ...threads, file, batches: [1, 8], warmupSec: opts.warmupSec, durationSec: opts.durationSec };
  return runChild<RawResult>(RAW_JS, cfg, 120_000 + (opts.warmupSec + opts.durationSec) * 2 * 4000);
}

function serverArgs(setup: Setup, opts: BenchOptions, threads: ThreadSettings, file: string, port: number): string[] {
  if (setup === 'runtime') {
    return [opts.edgeCli, 'serve', '--model', file, '--port', String(port), ...(opts.threads === undefined ? [] : ['--threads', String(opts.threads)]), ...opts.edgeArgs];
  }
  return [NAIVE_JS, '--model', file, '--port', String(port), '--threads', String(threads.threads), '--spinning', threads.spinning ? '1' : '0'];
}

function logFileOf(opts: BenchOptions, setup: Setup, spec: ModelSpec): string {
  return path.join(path.dirname(opts.out), 'logs', `${spec.name}-${setup}.log`);
}

async function start(setup: Setup, opts: BenchOptions, threads: ThreadSettings, spec: ModelSpec, report: ServerReport): Promise<ServerProcess> {
  const port = await freePort();
  const logFile = logFileOf(opts, setup, spec);
  report.logFile = path.relative(ROOT, logFile);
  const srv = await startServer(serverArgs(setup, opts, threads, spec.file, port), port, '/v2/health/ready', logFile);
  report.coldStartsMs.push(srv.coldStartMs);
  return srv;
}

function clientTimeoutMs(seconds: number): number {
  return 60_000 + seconds * 3000;
}

/** Measures one server (the runtime or the naive one) on one model: cold start, phases, RSS, soak, health. */
async function measureServer(setup: Setup, opts: BenchOptions, threads: ThreadSettings, spec: ModelSpec, report: ModelReport): Promise<void> {
  const server: ServerReport = {
    setup,
    command: serverArgs(setup, opts, threads, spec.file, 0).map((a) => (path.isAbsolute(a) ? path.relative(ROOT, a) : a)).join(' '),
    coldStartsMs: [],
    requestsBeforeRss: 0,
  };
  report.servers.push(server);
  let srv: ServerProcess | undefined;
  fs.rmSync(logFileOf(opts, setup, spec), { force: true });
  try {
    for (let i = 1; i < opts.coldStartRepeats; i++) {
      const s = await start(setup, opts, threads, spec, server);
      await stopServer(s.child);
    }
    srv = await start(setup, opts, threads, spec, server);
    const pid = srv.child.pid as number;
    server.settings = setup === 'runtime' ? runtimeSettings(srv.logFile) : `1 session on the main thread, ${describeThreads(threads)}`;
    log(`[${spec.name}] ${setup}: ready in ${fmt(median(server.coldStartsMs))} ms (median of ${server.coldStartsMs.length} starts); ${server.settings}`);
    const inferPath = `/v2/models/${spec.name}/infer`;
    const base = { host: '127.0.0.1', port: srv.port, path: inferPath, model: spec, client: opts.client };
    const payloads: ('binary' | 'json')[] = setup === 'runtime' ? ['binary', 'json'] : ['json'];
    // the runtime's RSS target is about binary requests: read it right after the first N binary requests, before the
    // JSON phases (whose freed multi-megabyte bodies the allocator need not return to the OS); their peak is reported apart
    const readRss = async (): Promise<void> => {
      if (setup === 'runtime' && server.requestsBeforeRss < opts.rssAfterRequests) {
        const requests = opts.rssAfterRequests - server.requestsBeforeRss;
        const cfg: ClientConfig = { ...base, mode: 'count', payload: 'binary', batch: 1, concurrency: 8, requests, durationSec: 0 };
        const r = await runChild<ClientResult>(CLIENT_JS, cfg, 600_000);
        server.requestsBeforeRss += r.completed;
      }
      assertAlive(srv!);
      server.rssBytes = rssOfTree(pid);
      log(`[${spec.name}] ${setup}: RSS ${fmt(toMb(server.rssBytes))} MB after ${server.requestsBeforeRss} ${setup === 'runtime' ? 'binary ' : ''}requests`);
    };
    for (const payload of payloads) {
      if (payload === 'json' && setup === 'runtime') await readRss();
      for (const concurrency of [1, 8]) {
        const cfg: ClientConfig = { ...base, mode: 'load', payload, batch: 1, concurrency, warmupSec: opts.warmupSec, durationSec: opts.durationSec };
        let row: Row;
        try {
          const cpu0 = cpuOfTree(pid);
          const r = await runChild<ClientResult>(CLIENT_JS, cfg, clientTimeoutMs(opts.warmupSec + opts.durationSec));
          const cpu1 = cpuOfTree(pid);
          const cpuMsPerItem = r.completed > 0 && cpu1 >= cpu0 ? ((cpu1 - cpu0) * 1000) / r.completed : Number.NaN;
          if (server.rssBytes === undefined) server.requestsBeforeRss += r.completed;
          const rssBytes = rssOfTree(pid);
          if (payload === 'json' && setup === 'runtime' && rssBytes > (server.jsonPeakRssBytes ?? 0)) server.jsonPeakRssBytes = rssBytes;
          row = { model: spec.name, setup, payload, batch: 1, concurrency, summary: r.summary, cpuMsPerItem, rssBytes: rssBytes > 0 ? rssBytes : undefined, errors: r.errors, firstError: r.firstError };
        } catch (err) {
          row = { model: spec.name, setup, payload, batch: 1, concurrency, errors: 1, firstError: errText(err) };
        }
        report.rows.push(row);
        log(`[${spec.name}] ${setup} ${payload} c${concurrency}: ${describeSummary(row.summary, row.cpuMsPerItem)}${row.errors > 0 ? `, ${row.errors} errors (${row.firstError})` : ''}`);
      }
    }
    if (server.rssBytes === undefined) await readRss();
    if (server.jsonPeakRssBytes !== undefined) log(`[${spec.name}] ${setup}: RSS peak after the JSON phases ${fmt(toMb(server.jsonPeakRssBytes))} MB`);

    if (setup === 'runtime' && opts.soakSeconds > 0 && opts.soakModels.includes(spec.name)) {
      server.soak = await soak(opts, base, pid);
      const g = server.soak.growth;
      log(`[${spec.name}] ${setup} soak ${opts.soakSeconds} s: RSS ${fmt(g.startMb)} → ${fmt(g.endMb)} MB (growth ${fmt(g.growthMb)} MB, slope ${fmt(g.slopeMbPerMin)} MB/min)` +
        `${server.soak.error === undefined ? '' : `, ${server.soak.error}`}`);
    }
    if (opts.healthSeconds > 0 && opts.healthModels.includes(spec.name)) {
      server.health = await healthUnderLoad(opts, base);
      const p = server.health.poll?.summary;
      log(`[${spec.name}] ${setup} liveness under batch-${TARGETS.healthBatch} load: p50 ${fmt(p?.p50Ms)} ms, p99 ${fmt(p?.p99Ms)} ms, max ${fmt(p?.maxMs)} ms` +
        `${server.health.error === undefined ? '' : `, ${server.health.error}`}`);
    }
    assertAlive(srv);
  } catch (err) {
    server.error = errText(err);
    log(`[${spec.name}] ${setup}: FAILED: ${server.error}`);
  } finally {
    if (srv !== undefined) {
      await stopServer(srv.child);
    }
  }
}

/** Throws when the server under test has exited (a crash must not read as 0 MB of RSS). */
function assertAlive(srv: ServerProcess): void {
  const c = srv.child;
  if (c.exitCode !== null || c.signalCode !== null) {
    throw new Error(`the server exited (${c.exitCode ?? c.signalCode}) during the run; see ${path.relative(ROOT, srv.logFile)}`);
  }
}

/** The runtime's own account of its settings, from the last `model_loaded` line of its JSON log. */
export function runtimeSettings(logFile: string): string {
  let text = '';
  try {
    text = fs.readFileSync(logFile, 'utf8');
  } catch {
    return 'settings unknown (no log)';
  }
  const line = text.split('\n').reverse().find((l) => l.includes('"model_loaded"'));
  if (line === undefined) {
    return 'settings unknown (no model_loaded log line)';
  }
  try {
    const e = JSON.parse(line) as Record<string, unknown>;
    return `${String(e.workers ?? '?')} worker(s) × ${String(e.intra_op_threads ?? '?')} intra-op threads` +
      `${e.scheduling === undefined ? '' : ` (${String(e.scheduling)})`}, batching ${String(e.batching ?? '?')}` +
      `, session load ${String(e.load_ms ?? '?')} ms + warm-up ${String(e.warmup_ms ?? '?')} ms of ${String(e.total_ms ?? '?')} ms model load`;
  } catch {
    return 'settings unknown (unreadable model_loaded line)';
  }
}

async function soak(opts: BenchOptions, base: Omit<ClientConfig, 'mode' | 'durationSec'>, pid: number): Promise<SoakReport> {
  const samples: RssSample[] = [];
  const started = performance.now();
  const cfg: ClientConfig = { ...base, mode: 'load', payload: 'binary', batch: 1, concurrency: 8, warmupSec: 0, durationSec: opts.soakSeconds };
  let done = false;
  const client = runChild<ClientResult>(CLIENT_JS, cfg, clientTimeoutMs(opts.soakSeconds)).finally(() => { done = true; });
  while (!done) {
    const rssBytes = rssOfTree(pid);
    if (rssBytes > 0) {
      samples.push({ tSec: (performance.now() - started) / 1000, rssBytes });
    }
    await Promise.race([client.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
  try {
    const load = await client;
    if (rssOfTree(pid) === 0) {
      return { seconds: opts.soakSeconds, samples, growth: rssGrowth(samples), load, error: 'the server exited during the soak' };
    }
    return { seconds: opts.soakSeconds, samples, growth: rssGrowth(samples), load };
  } catch (err) {
    return { seconds: opts.soakSeconds, samples, growth: rssGrowth(samples), error: errText(err) };
  }
}

async function healthUnderLoad(opts: BenchOptions, base: Omit<ClientConfig, 'mode' | 'durationSec'>): Promise<HealthReport> {
  const load: ClientConfig = {
    ...base, mode: 'load', payload: 'binary', batch: TARGETS.healthBatch, concurrency: TARGETS.healthConcurrency, warmupSec: 0.5, durationSec: opts.healthSeconds + 0.5,
  };
  const poll: ClientConfig = { host: base.host, port: base.port, path: '/v2/health/live', mode: 'poll', intervalMs: TARGETS.healthIntervalMs, durationSec: opts.healthSeconds };
  const loadRun = runChild<ClientResult>(CLIENT_JS, load, clientTimeoutMs(opts.healthSeconds + 1));
  await new Promise((r) => setTimeout(r, 500));
  const pollRun = runChild<ClientResult>(CLIENT_JS, poll, clientTimeoutMs(opts.healthSeconds));
  const [l, p] = await Promise.allSettled([loadRun, pollRun]);
  const error = [l, p].filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => errText(s.reason)).join('; ');
  const loadResult = l.status === 'fulfilled' ? l.value : undefined;
  const loadError = loadResult !== undefined && loadResult.errors > 0 ? `load had ${loadResult.errors} errors (${loadResult.firstError})` : '';
  const pollResult = p.status === 'fulfilled' ? p.value : undefined;
  const pollError = pollResult !== undefined && pollResult.errors > 0 ? `${pollResult.errors} probes failed (${pollResult.firstError})` : '';
  const all = [error, loadError, pollError].filter((e) => e.length > 0).join('; ');
  return { load: loadResult, poll: pollResult, error: all.length > 0 ? all : undefined };
}

function rowOf(report: ModelReport, setup: Setup, payload: Payload, concurrency: number, batch = 1): Row | undefined {
  return report.rows.find((r) => r.setup === setup && r.payload === payload && r.concurrency === concurrency && r.batch === batch);
}

/** The targets' checks of one model, from its rows and server reports. */
function checksOf(report: ModelReport): TargetCheck[] {
  const m = report.model;
  const nan = Number.NaN;
  const raw1 = rowOf(report, 'raw', 'tensor', 1, 1)?.summary;
  const raw8 = rowOf(report, 'raw', 'tensor', 1, 8)?.summary;
  const bin1Row = rowOf(report, 'runtime', 'binary', 1);
  const bin8Row = rowOf(report, 'runtime', 'binary', 8);
  const json8Row = rowOf(report, 'runtime', 'json', 8);
  const bin1 = bin1Row?.summary;
  const bin8 = bin8Row?.summary;
  const json8 = json8Row?.summary;
  const naive8 = rowOf(report, 'naive', 'json', 8)?.summary;
  const runtime = report.servers.find((s) => s.setup === 'runtime');
  const httpBound = raw1 !== undefined && raw1.p50Ms < 1
    ? `raw session.run takes ${fmt(raw1.p50Ms)} ms: this ratio measures HTTP on loopback, not the runtime's overhead`
    : undefined;
  const floor1 = rowOf(report, 'floor', 'binary', 1)?.summary;
  const floorNote = httpBound === undefined && floor1 !== undefined && raw1 !== undefined && bin1 !== undefined
    ? `the transport floor (bench/floor-server.ts: node:http + one worker-thread hop around ${fmt(raw1.p50Ms)} ms of work, no runtime code) ` +
      `has p50 ${fmt(floor1.p50Ms)} ms = ${fmt(floor1.p50Ms / raw1.p50Ms)}× raw, +${fmt(floor1.p50Ms - raw1.p50Ms)} ms; ` +
      `the runtime adds +${fmt(bin1.p50Ms - raw1.p50Ms)} ms`
    : undefined;
  const bin1Errors = bin1Row?.errors ?? 0;
  const bin8Errors = bin8Row?.errors ?? 0;
  const checks: TargetCheck[] = [
    failOnErrors({ ...checkAtMostTimes('c1-binary-p50', m, `runtime binary c1 p50 ≤ ${TARGETS.c1BinaryP50VsRaw}× raw batch-1 p50`, bin1?.p50Ms ?? nan, raw1?.p50Ms ?? nan, TARGETS.c1BinaryP50VsRaw, 'ms'), note: httpBound ?? floorNote },
      bin1Errors, 'requests'),
    failOnErrors({ ...checkAtLeastTimes('c8-binary-vs-raw', m, `runtime binary c8 throughput ≥ ${TARGETS.c8BinaryVsRawBatch8}× raw batch-8 throughput`, bin8?.itemsPerSec ?? nan, raw8?.itemsPerSec ?? nan, TARGETS.c8BinaryVsRawBatch8, 'items/s'), note: httpBound },
      bin8Errors, 'requests'),
    failOnErrors(checkAtLeastTimes('c8-binary-vs-naive', m, `runtime binary c8 throughput ≥ ${TARGETS.c8BinaryVsNaive}× naive c8`, bin8?.itemsPerSec ?? nan, naive8?.itemsPerSec ?? nan, TARGETS.c8BinaryVsNaive, 'items/s'),
      bin8Errors, 'requests'),
    failOnErrors(checkAtLeastTimes('c8-json-vs-naive', m, `runtime JSON c8 throughput ≥ ${TARGETS.c8JsonVsNaive}× naive c8`, json8?.itemsPerSec ?? nan, naive8?.itemsPerSec ?? nan, TARGETS.c8JsonVsNaive, 'items/s'),
      json8Row?.errors ?? 0, 'requests'),
    checkAtMostPlus('cold-start', m, `runtime cold start (spawn → first 200 on /v2/health/ready) ≤ raw in-process session create + ${TARGETS.coldStartAllowanceMs} ms`,
      runtime !== undefined && runtime.coldStartsMs.length > 0 ? median(runtime.coldStartsMs) : nan, report.raw?.sessionCreateMs ?? nan, TARGETS.coldStartAllowanceMs, 'ms'),
    checkAtMostPlus('rss', m, `runtime RSS after ${runtime?.requestsBeforeRss ?? '?'} binary requests ≤ raw process RSS + ${TARGETS.rssAllowanceMb} MB`,
      runtime?.rssBytes === undefined ? nan : toMb(runtime.rssBytes), report.raw === undefined ? nan : toMb(report.raw.rssBytes), TARGETS.rssAllowanceMb, 'MB'),
  ];
  if (runtime?.soak !== undefined) {
    const soak = runtime.soak;
    checks.push(failOnErrors(checkAtMost('soak-growth', m, `runtime RSS growth over a ${soak.seconds} s soak ≤ ${TARGETS.soakGrowthToleranceMb} MB`,
      soak.error === undefined ? soak.growth.growthMb : nan, TARGETS.soakGrowthToleranceMb, 'MB'), soak.load?.errors ?? 0, 'soak requests'));
  }
  if (runtime?.health !== undefined) {
    const h = runtime.health;
    const check = checkAtMost('health-p99', m, `liveness p99 ≤ ${TARGETS.healthP99Ms} ms under batch-${TARGETS.healthBatch} c${TARGETS.healthConcurrency} load`,
      h.poll?.summary.p99Ms ?? nan, TARGETS.healthP99Ms, 'ms');
    checks.push(failOnErrors(failOnErrors(check, h.poll?.errors ?? 0, 'liveness probes'), h.load?.errors ?? 0, 'batch-16 requests'));
  }
  return checks;
}

async function measureModel(opts: BenchOptions, threads: ThreadSettings, file: string): Promise<ModelReport> {
  const report: ModelReport = { model: modelName(file), file: path.relative(ROOT, file), rows: [], servers: [], checks: [] };
  if (!fs.existsSync(file)) {
    report.skipped = `model file ${report.file} not found`;
    log(`[${report.model}] SKIPPED: ${report.skipped}`);
    return report;
  }
  try {
    const raw = await runRaw(opts, threads, file);
    report.raw = raw;
    for (const b of raw.byBatch) {
      report.rows.push({ model: report.model, setup: 'raw', payload: 'tensor', batch: b.batch, concurrency: 1, summary: b.summary, cpuMsPerItem: b.cpuMsPerItem, rssBytes: raw.rssBytes, errors: 0 });
      log(`[${report.model}] raw session.run batch ${b.batch}: ${describeSummary(b.summary, b.cpuMsPerItem)}`);
    }
    log(`[${report.model}] raw: session create ${fmt(raw.sessionCreateMs)} ms, node process start + require + create ${fmt(raw.processStartToCreateMs)} ms, ` +
      `process ready ${fmt(raw.startToReadyMs)} ms, RSS ${fmt(toMb(raw.rssBytes))} MB`);
  } catch (err) {
    report.rawError = errText(err);
    log(`[${report.model}] raw baseline FAILED: ${report.rawError}`);
    return report;
  }
  const spec = report.raw.spec;
  if (!opts.skipRuntime) {
    if (fs.existsSync(opts.edgeCli)) {
      await measureServer('runtime', opts, threads, spec, report);
    } else {
      log(`[${report.model}] runtime SKIPPED: ${path.relative(ROOT, opts.edgeCli)} not found (build edge/ first, or pass --edge-cli)`);
    }
  }
  const raw1 = report.raw.byBatch.find((b) => b.batch === 1)?.summary;
  if (!opts.skipRuntime && raw1 !== undefined && raw1.p50Ms >= 1) {
    report.rows.push(await measureFloor(opts, spec, raw1.p50Ms));
  }
  if (!opts.skipNaive) {
    await measureServer('naive', opts, threads, spec, report);
  }
  report.checks = checksOf(report);
  return report;
}

/**
 * The transport floor at concurrency 1: bench/floor-server.ts (node:http, one worker-thread hop, `workMs` of busy
 * work standing in for session.run), driven by the same client with the same binary request.
 */
async function measureFloor(opts: BenchOptions, spec: ModelSpec, workMs: number): Promise<Row> {
  const port = await freePort();
  const logFile = path.join(path.dirname(opts.out), 'logs', `${spec.name}-floor.log`);
  fs.rmSync(logFile, { force: true });
  let srv: ServerProcess | undefined;
  try {
    srv = await startServer([FLOOR_JS, '--spec', JSON.stringify(spec), '--work-ms', workMs.toFixed(3), '--port', String(port)], port, '/v2/health/live', logFile);
    const cfg: ClientConfig = {
      host: '127.0.0.1', port, path: `/v2/models/${spec.name}/infer`, model: spec, client: opts.client,
      mode: 'load', payload: 'binary', batch: 1, concurrency: 1, warmupSec: opts.warmupSec, durationSec: opts.durationSec,
    };
    const r = await runChild<ClientResult>(CLIENT_JS, cfg, clientTimeoutMs(opts.warmupSec + opts.durationSec));
    log(`[${spec.name}] floor binary c1 (node:http + worker hop around ${fmt(workMs)} ms of work): ${describeSummary(r.summary)}`);
    return { model: spec.name, setup: 'floor', payload: 'binary', batch: 1, concurrency: 1, summary: r.summary, errors: r.errors, firstError: r.firstError };
  } catch (err) {
    log(`[${spec.name}] floor FAILED: ${errText(err)}`);
    return { model: spec.name, setup: 'floor', payload: 'binary', batch: 1, concurrency: 1, errors: 1, firstError: errText(err) };
  } finally {
    if (srv) await stopServer(srv.child);
  }
}

/** The main table: one row per setup, payload, batch and concurrency. */
export function mainTable(reports: readonly ModelReport[]): string {
  const rows: string[][] = [['model', 'setup', 'payload', 'batch', 'conc', 'p50 ms', 'p99 ms', 'items/s', 'CPU ms/item', 'cold start ms', 'RSS MB after', 'errors']];
  for (const rep of reports) {
    if (rep.skipped !== undefined) {
      rows.push([rep.model, `skipped: ${rep.skipped}`]);
      continue;
    }
    for (const r of rep.rows) {
      const server = rep.servers.find((s) => s.setup === r.setup);
      const first = rep.rows.find((x) => x.setup === r.setup) === r;
      let cold = '';
      if (first && r.setup === 'raw' && rep.raw !== undefined) {
        cold = `${fmt(rep.raw.sessionCreateMs)} (create); ${fmt(rep.raw.processStartToCreateMs)} (node start + create)`;
      } else if (first && server !== undefined) {
        cold = server.coldStartsMs.length > 0 ? fmt(median(server.coldStartsMs)) : '-';
      }
      const rss = r.rssBytes === undefined ? '-' : r.setup === 'raw' ? `${fmt(toMb(r.rssBytes))} (all runs)` : fmt(toMb(r.rssBytes));
      rows.push([r.model, r.setup, r.payload, String(r.batch), String(r.concurrency), fmt(r.summary?.p50Ms), fmt(r.summary?.p99Ms),
        fmt(r.summary?.itemsPerSec), fmt(r.cpuMsPerItem), cold, rss, String(r.errors)]);
    }
  }
  return markdownTable(rows);
}

/** The targets' table. */
export function checksTable(reports: readonly ModelReport[]): string {
  const rows: string[][] = [['model', 'target', 'actual', 'limit', 'ratio', 'verdict']];
  for (const rep of reports) {
    for (const c of rep.checks) {
      const additive = c.id === 'cold-start' || c.id === 'rss';
      const ratio = c.id === 'soak-growth' || c.id === 'health-p99' ? '' : additive ? `${c.ratio >= 0 ? '+' : ''}${fmt(c.ratio)} ${c.unit}` : `${fmt(c.ratio, 2)}×`;
      rows.push([c.model, c.description, `${fmt(c.actual)} ${c.unit}`, `${fmt(c.limit)} ${c.unit}`, Number.isFinite(c.ratio) ? ratio : '-',
        `${c.verdict.toUpperCase()}${c.note === undefined ? '' : ' (*)'}`]);
    }
  }
  const notes = [...new Set(reports.flatMap((r) => r.checks.filter((c) => c.note !== undefined).map((c) => `(*) ${c.model}: ${c.note}`)))];
  return [markdownTable(rows), ...notes].join('\n');
}

/** Soak and health details. */
export function extrasTable(reports: readonly ModelReport[]): string {
  const rows: string[][] = [['model', 'setup', 'measure', 'result']];
  for (const rep of reports) {
    for (const s of rep.servers) {
      if (s.soak !== undefined) {
        const g = s.soak.growth;
        rows.push([rep.model, s.setup, `soak ${s.soak.seconds} s (binary c8)`,
          `RSS ${fmt(g.startMb)} → ${fmt(g.endMb)} MB, growth ${fmt(g.growthMb)} MB, slope ${fmt(g.slopeMbPerMin)} MB/min, max ${fmt(g.maxMb)} MB, ` +
          `${fmt(s.soak.load?.summary.itemsPerSec)} items/s, ${s.soak.load?.errors ?? '-'} errors${s.soak.error === undefined ? '' : `, ${s.soak.error}`}`]);
      }
      if (s.health !== undefined) {
        const p = s.health.poll?.summary;
        rows.push([rep.model, s.setup, `liveness every ${TARGETS.healthIntervalMs} ms, batch-${TARGETS.healthBatch} c${TARGETS.healthConcurrency} load`,
          `p50 ${fmt(p?.p50Ms)} ms, p99 ${fmt(p?.p99Ms)} ms, max ${fmt(p?.maxMs)} ms (n=${p?.count ?? 0}); load ${fmt(s.health.load?.summary.itemsPerSec)} items/s` +
          `${s.health.error === undefined ? '' : `; ${s.health.error}`}`]);
      }
      if (s.rssBytes !== undefined) {
        const what = s.setup === 'runtime' ? `${s.requestsBeforeRss} binary requests (before the JSON phases)` : `${s.requestsBeforeRss} requests (all phases above)`;
        rows.push([rep.model, s.setup, 'memory', `RSS ${fmt(toMb(s.rssBytes))} MB after ${what}` +
          (s.jsonPeakRssBytes === undefined ? '' : `; peak after the JSON phases ${fmt(toMb(s.jsonPeakRssBytes))} MB`)]);
      }
      if (s.coldStartsMs.length > 0) {
        const raw = rep.raw === undefined ? '' : `; raw: session create ${fmt(rep.raw.sessionCreateMs)} ms in-process, node process start + require + create ${fmt(rep.raw.processStartToCreateMs)} ms`;
        rows.push([rep.model, s.setup, 'cold start', `spawn → first 200 on /v2/health/ready: ${s.coldStartsMs.map((x) => fmt(x)).join(', ')} ms (median ${fmt(median(s.coldStartsMs))})${raw}`]);
      }
      if (s.settings !== undefined) {
        rows.push([rep.model, s.setup, 'settings', s.settings]);
      }
      if (s.error !== undefined) {
        rows.push([rep.model, s.setup, 'error', s.error.split('\n')[0]]);
      }
    }
  }
  return rows.length > 1 ? markdownTable(rows) : '';
}

function gitHead(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(process.argv.slice(2), ROOT);
  } catch (err) {
    if (err instanceof BenchArgsError) {
      console.error(`bench: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (opts.help) {
    log(USAGE);
    return 0;
  }
  const threads: ThreadSettings = { threads: opts.threads ?? defaultThreads(), spinning: opts.spinning };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ortVersion = (require('onnxruntime-node/package.json') as { version: string }).version;
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const context = [
    `modelfleet bench @ ${gitHead()}, ${startedAt.toISOString()}, node ${process.version}, onnxruntime-node ${ortVersion}`,
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
    `baseline and naive server threads: ${describeThreads(threads)}; runtime: ${opts.threads === undefined ? 'its defaults (--threads = cores)' : `--threads ${opts.threads}`}` +
      `${opts.edgeArgs.length > 0 ? ` ${opts.edgeArgs.join(' ')}` : ''}`,
    `windows: warm-up ${opts.warmupSec} s + ${opts.durationSec} s per phase; soak ${opts.soakSeconds} s on ${opts.soakModels.join(', ')}; ` +
      `health ${opts.healthSeconds} s on ${opts.healthModels.join(', ')}; ${opts.coldStartRepeats} cold start(s)${opts.quick ? ' (quick run: numbers are indicative only)' : ''}`,
    `load client: ${opts.client === 'raw' ? 'lean keep-alive sockets (bench/raw-http.ts), every response checked' : "node:http's client with a keep-alive agent, every response checked"}`,
  ];
  context.forEach((c) => log(c));

  const reports: ModelReport[] = [];
  for (const file of opts.models) {
    reports.push(await measureModel(opts, threads, file));
  }
  const elapsedSec = (Date.now() - startedAt.getTime()) / 1000;
  const loadAfter = os.loadavg();
  const sections = [
    '## Latency, throughput, cold start, memory',
    mainTable(reports),
    '## Targets',
    checksTable(reports),
    extrasTable(reports),
  ].filter((s) => s.length > 0);
  const footer = `run took ${fmt(elapsedSec, 0)} s; load average at the end ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`;
  const text = `${context.join('\n')}\n\n${sections.join('\n\n')}\n\n${footer}\n`;
  log(`\n${sections.join('\n\n')}\n\n${footer}`);

  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  fs.writeFileSync(opts.out, `${JSON.stringify({
    startedAt: startedAt.toISOString(), elapsedSec, commit: gitHead(), node: process.version, onnxruntimeNode: ortVersion,
    cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverageBefore: loadBefore, loadAverageAfter: loadAfter,
    options: opts, threads, targets: TARGETS, models: reports,
  }, null, 2)}\n`);
  fs.writeFileSync(opts.out.replace(/\.json$/, '') + '.md', text);
  log(`results: ${path.relative(ROOT, opts.out)} and ${path.relative(ROOT, opts.out.replace(/\.json$/, '') + '.md')}`);
  const failed = reports.flatMap((r) => r.checks).filter((c) => c.verdict === 'fail');
  return opts.strict && failed.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main().then((code) => process.exit(code), (err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  });
}
