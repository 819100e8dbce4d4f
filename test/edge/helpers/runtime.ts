/**
 * Test helpers: a bundle of the runtime (esbuild, entries edge/cli.ts and edge/model/worker.ts side by side, as the
 * Greengrass artifact is built) so tests never depend on a stale dist/; in-process and spawned servers; V2 clients.
 *
 * Why a bundle: jest runs the TypeScript sources through swc, but a worker thread needs a JavaScript file. The
 * runtime looks for `worker.js` beside its module, then in `dist/edge/model/`; the tests pass the bundled worker
 * explicitly (RuntimeOptions.workerScript), so `npx jest test/edge` works without `npm run build`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { parseConfig } from '../../../edge/config';
import { startRuntime, type Runtime } from '../../../edge/runtime';
import * as net from 'node:net';
import { fixedShapeModel, gatherModel, identityAllTypes, lstmModel } from './onnx-builder';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const IRIS = path.join(REPO, 'models', 'iris.onnx');
export const SHARED_MODELS = path.resolve(REPO, '..', 'shared', 'models');
export const SQUEEZENET = path.join(SHARED_MODELS, 'squeezenet1_1.onnx');
export const MOBILENET = path.join(SHARED_MODELS, 'mobilenet_v2.onnx');

let bundle: { dir: string; cli: string; worker: string } | undefined;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

/**
 * Bundles the runtime into <repo>/.build/edge-test/<hash of edge/**.ts and the version>/ (inside the repo so that
 * onnxruntime-node resolves from node_modules). Content-addressed: reused while the sources are unchanged, safe for parallel workers.
 */
export function edgeBundle(): { dir: string; cli: string; worker: string } {
  if (bundle) return bundle;
  const version = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
  const hash = createHash('sha256').update(`version:${version}\n`);
  for (const f of sourceFiles(path.join(REPO, 'edge')).sort()) hash.update(f).update(fs.readFileSync(f));
  const dir = path.join(REPO, '.build', 'edge-test', hash.digest('hex').slice(0, 16));
  if (!fs.existsSync(path.join(dir, 'worker.js'))) {
    const tmp = `${dir}.tmp-${process.pid}`;
    buildSync({
      entryPoints: { cli: path.join(REPO, 'edge', 'cli.ts'), worker: path.join(REPO, 'edge', 'model', 'worker.ts') },
      bundle: true, platform: 'node', target: 'node20', format: 'cjs', outdir: tmp, external: ['onnxruntime-node'], logLevel: 'error',
      define: { MODELFLEET_VERSION: JSON.stringify(version) }, // as the artifact build does (edge/main.ts)
    });
    try {
      fs.renameSync(tmp, dir);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true }); // another worker won the race
    }
  }
  bundle = { dir, cli: path.join(dir, 'cli.js'), worker: path.join(dir, 'worker.js') };
  return bundle;
}

let models: { dir: string; types: string; gather: string; fixed: string; lstm: string } | undefined;

/** The generated test models, written once per process into a temp folder. */
export function testModels(): { dir: string; types: string; gather: string; fixed: string; lstm: string } {
  if (models) return models;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-models-'));
  const write = (name: string, bytes: Uint8Array) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    return p;
  };
  models = { dir, types: write('types.onnx', identityAllTypes()), gather: write('gather.onnx', gatherModel()), fixed: write('fixed.onnx', fixedShapeModel()), lstm: write('lstm.onnx', lstmModel()) };
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return models;
}

export function tempDir(prefix = 'edge-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestServer {
  readonly rt: Runtime;
  readonly url: string;
  readonly logs: string[];
  stop(): Promise<void>;
}

/** Starts a runtime in this process on a free loopback port. `args` are CLI flags (without serve/--port). */
export async function startEdge(args: readonly string[], env: Record<string, string> = {}, opts: { offloadJsonBytes?: number } = {}): Promise<TestServer> {
  const config = parseConfig(['serve', '--port', '0', '--threads', '1', ...args], env, { cpuCount: 2, cwd: REPO });
  const logs: string[] = [];
  const rt = await startRuntime(config, {
    workerScript: edgeBundle().worker,
    logSink: { write: (l: string) => logs.push(l) },
    watchDebounceMs: 100,
    offloadJsonBytes: opts.offloadJsonBytes,
  });
  return { rt, url: rt.url, logs, stop: () => rt.shutdown() };
}

export interface Spawned {
  readonly child: ChildProcess;
  readonly url: Promise<string>;
  readonly stdout: string[];
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Spawns `node <bundle>/cli.js ...args`; `url` resolves when the `ready` log line appears. */
export function spawnEdge(args: readonly string[], env: Record<string, string> = {}): Spawned {
  const child = spawn(process.execPath, [edgeBundle().cli, ...args], {
    cwd: REPO, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  let err = '';
  let buf = '';
  let onReady: (u: string) => void = () => undefined;
  let onFail: (e: Error) => void = () => undefined;
  const url = new Promise<string>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  url.catch(() => undefined);
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      stdout.push(line);
      try {
        const o = JSON.parse(line) as { event?: string; url?: string };
        if (o.event === 'ready' && o.url) onReady(o.url);
      } catch {
        // not JSON
      }
    }
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      onFail(new Error(`exited (${code ?? signal}) before ready: ${err}`));
      resolve({ code, signal });
    });
  });
  return { child, url, stdout, exit, stderr: () => err };
}

// ---------------------------------------------------------------- V2 client helpers

export interface Json {
  [k: string]: unknown;
}

export interface InferResult {
  readonly status: number;
  readonly headers: Headers;
  readonly json: Json;
  /** Binary outputs by name (present when the response used the binary extension). */
  readonly binary: Map<string, Buffer>;
}

/** Builds a binary-extension body: JSON header then the given sections in order. */
export function binaryBody(header: Json, sections: readonly Uint8Array[]): { body: Buffer; headerLength: number } {
  const h = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([h, ...sections.map((s) => Buffer.from(s.buffer, s.byteOffset, s.byteLength))]), headerLength: h.byteLength };
}

/** Parses a V2 response (JSON, or JSON header + binary sections as given by the header length). */
export async function readInferResponse(res: Response): Promise<InferResult> {
  const buf = Buffer.from(await res.arrayBuffer());
  let hlen = buf.byteLength;
  const h = res.headers.get('inference-header-content-length');
  const ct = res.headers.get('content-type') ?? '';
  const m = /json-header-size=(\d+)/.exec(ct);
  if (h !== null) hlen = Number(h);
  else if (m) hlen = Number(m[1]);
  const json = JSON.parse(buf.subarray(0, hlen).toString()) as Json;
  const binary = new Map<string, Buffer>();
  let off = hlen;
  const outputs = (json.outputs ?? []) as { name: string; parameters?: { binary_data_size?: number } }[];
  for (const o of outputs) {
    const size = o.parameters?.binary_data_size;
    if (size !== undefined) {
      binary.set(o.name, buf.subarray(off, off + size));
      off += size;
    }
  }
  if (off !== buf.byteLength) throw new Error(`response has ${buf.byteLength - off} unexplained bytes`);
  return { status: res.status, headers: res.headers, json, binary };
}

export async function inferJson(url: string, model: string, request: unknown, headers: Record<string, string> = {}): Promise<InferResult> {
  const res = await fetch(`${url}/v2/models/${model}/infer`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(request),
  });
  return readInferResponse(res);
}

export async function inferBinary(url: string, model: string, header: Json, sections: readonly Uint8Array[], headers: Record<string, string> = {}): Promise<InferResult> {
  const { body, headerLength } = binaryBody(header, sections);
  const res = await fetch(`${url}/v2/models/${model}/infer`, {
    method: 'POST', headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(headerLength), ...headers }, body,
  });
  return readInferResponse(res);
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Json; headers: Headers }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
}

/** A metric value from the Prometheus text (sum over series matching every given label). */
export async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (.+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const ls = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => ls.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

export function irisRows(n: number, seed = 0): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const k = (i + seed) % 3;
    rows.push([4.5 + k + i * 0.01, 3 - k * 0.2, 1.4 + k * 2, 0.2 + k * 0.9]);
  }
  return rows;
}

/**
 * Runs the model with onnxruntime-node in a separate node process (jest's sandbox gives typed arrays of another realm,
 * which onnxruntime rejects) and returns every output as { dims, data } with 64-bit integers as strings.
 */
export function ortReference(model: string, feeds: Record<string, { type: string; data: number[]; dims: number[] }>): Record<string, { dims: number[]; data: (number | string)[] }> {
  const script = `
    const ort = require('onnxruntime-node');
    const feeds = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    const ctor = { float32: Float32Array, int64: BigInt64Array, int32: Int32Array, float64: Float64Array };
    (async () => {
      const s = await ort.InferenceSession.create(process.argv[1]);
      const f = {};
      for (const [k, v] of Object.entries(feeds)) {
        const C = ctor[v.type];
        f[k] = new ort.Tensor(v.type, C === BigInt64Array ? C.from(v.data.map(BigInt)) : C.from(v.data), v.dims);
      }
      const out = await s.run(f);
      const res = {};
      for (const [k, t] of Object.entries(out)) res[k] = { dims: t.dims, data: Array.from(t.data, (x) => typeof x === 'bigint' ? String(x) : x) };
      process.stdout.write(JSON.stringify(res));
    })();`;
  // feeds on stdin: large tensors do not fit on a command line
  const out = execFileSync(process.execPath, ['-e', script, model], { cwd: REPO, encoding: 'utf8', input: JSON.stringify(feeds), maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(out) as Record<string, { dims: number[]; data: (number | string)[] }>;
}

// ---------------------------------------------------------------- raw sockets

export interface RawReply {
  /** Everything the server sent, as latin1. */
  readonly text: string;
  /** The server closed the connection (else the wait ended first). */
  readonly closed: boolean;
  /** ms from the first write to the first byte of the answer (undefined: none came). */
  readonly firstByteMs?: number;
}

/**
 * Writes `bytes` on a fresh loopback connection (never ending the client's side) and collects what comes back until
 * the server closes the connection or `waitMs` passes (then the client destroys it).
 */
export function rawExchange(url: string, bytes: string | Buffer, waitMs = 2000): Promise<RawReply> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve) => {
    const sock = net.connect(Number(port), hostname);
    let text = '';
    let first: number | undefined;
    const t0 = performance.now();
    const done = (closed: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ text, closed, firstByteMs: first });
    };
    const timer = setTimeout(() => done(false), waitMs);
    sock.on('data', (c: Buffer) => {
      first ??= performance.now() - t0;
      text += c.toString('latin1');
    });
    sock.on('error', () => done(true));
    sock.on('close', () => done(true));
    sock.write(bytes);
  });
}

/** The responses in a raw reply: status, headers (lower-case names) and body, in order. */
export function parseResponses(text: string): { status: number; headers: Record<string, string>; body: string }[] {
  const out: { status: number; headers: Record<string, string>; body: string }[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const lines = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const len = Number(headers['content-length'] ?? 0);
    out.push({ status: Number(lines[0].split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + len) });
    rest = rest.slice(end + 4 + len);
  }
  return out;
}
