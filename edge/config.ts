import * as fs from 'node:fs';
import * as path from 'node:path';
import { flagEnvName, FlagSpec, FLAGS, LOG_LEVELS } from '../constructs/core/private/runtime-flags';
import { EdgeError } from './errors';

export { LOG_LEVELS } from '../constructs/core/private/runtime-flags';
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Scheduling policies for the session threads (see EdgeConfig.workerPolicy). */
export const WORKER_POLICIES = ['batch', 'normal'] as const;
export type WorkerPolicy = (typeof WORKER_POLICIES)[number];

/** The runtime configuration: parsed and validated once at start, then frozen. */
export interface EdgeConfig {
  readonly command: 'serve';
  /** Absolute path of the model file. */
  readonly modelPath: string;
  /** Model name (URL segment); undefined: from contract.json beside model.onnx, else the file base name. */
  readonly name?: string;
  /** Model version; undefined: contract.json's `version`, else the first 12 hex of the sha256. */
  readonly modelVersion?: string;
  readonly host: string;
  readonly port: number;
  /** Total intra-op threads over all workers. */
  readonly threads: number;
  /** Session workers (worker threads, one onnxruntime session each). */
  readonly workers: number;
  /** Nice value (0-19) of the session threads, so that HTTP and health checks win the CPU. */
  readonly workerNice: number;
  /**
   * Linux scheduling policy of the session threads: `batch` (SCHED_BATCH: they never preempt the HTTP thread on
   * wake-up, and keep their full share of the CPU) or `normal` (SCHED_OTHER).
   */
  readonly workerPolicy: WorkerPolicy;
  readonly maxBatch: number;
  readonly batchDelayMs: number;
  readonly batching: boolean;
  readonly maxQueue: number;
  readonly maxBodyBytes: number;
  /**
   * Bytes of request bodies held at once over all requests (being received, decoded or run); a body that would pass
   * it is refused with 503 before it is read.
   */
  readonly maxInflightBodyBytes: number;
  /** Open connections at most; at the limit a new connection closes the oldest one that has no request in progress. */
  readonly maxConnections: number;
  /** Longest wait for a request's headers, from the connection's start or the previous request's end. */
  readonly headersTimeoutMs: number;
  /** Longest wait for a whole request (headers and body), then 408. */
  readonly requestTimeoutMs: number;
  /** Bearer token read from --token-file; undefined: no authentication. */
  readonly token?: string;
  /** With a token: /metrics needs it too. */
  readonly metricsAuth: boolean;
  readonly logLevel: LogLevel;
  readonly allowContractChange: boolean;
  /** Watch the model file and swap on change. */
  readonly watch: boolean;
  readonly drainTimeoutMs: number;
  /** File the EMF metric lines go to (Greengrass's log manager uploads it), when set. */
  readonly emfFile?: string;
  readonly emfIntervalMs: number;
  readonly emfDevice?: string;
}

export { FLAGS } from '../constructs/core/private/runtime-flags';

export const DEFAULT_MODEL_DIR = '/opt/ml/model';

/** Default of --max-inflight-body-mb: two of the largest default bodies, sized for a Pi with 1 GB. */
export const DEFAULT_INFLIGHT_BODY_BYTES = 64 * 1024 * 1024;

/** Default nice value of the session threads (see `--worker-nice`). */
export const DEFAULT_WORKER_NICE = 10;

/** What the config parser needs from the machine (passed in so that only main.ts reads the environment). */
export interface ConfigContext {
  readonly cpuCount: number;
  readonly cwd: string;
}

const envName = flagEnvName;

export function usage(): string {
  const lines = ['usage: modelfleet-edge serve [--model <file.onnx>] [flags]', '', 'flags (each also as MODELFLEET_<FLAG>):'];
  for (const [flag, spec] of Object.entries(FLAGS)) {
    lines.push(`  --${flag.padEnd(22)} ${spec.help}`);
  }
  lines.push('', `MODELFLEET_MODEL_DIR overrides ${DEFAULT_MODEL_DIR}.`);
  return lines.join('\n');
}

type Raw = Record<string, string | undefined>;

function convert(flag: string, spec: FlagSpec, value: string, source: string): string | number | boolean {
  const bad = (expect: string) =>
    new EdgeError('EDGE_ERR_CONFIG_BAD_VALUE', `${source} has the value ${JSON.stringify(value)}, expected ${expect}`);
  switch (spec.kind) {
    case 'string':
      if (value === '') throw bad('a non-empty string');
      return value;
    case 'level':
      if (!(LOG_LEVELS as readonly string[]).includes(value)) throw bad(LOG_LEVELS.join(' | '));
      return value;
    case 'policy':
      if (!(WORKER_POLICIES as readonly string[]).includes(value)) throw bad(WORKER_POLICIES.join(' | '));
      return value;
    case 'bool':
      if (['true', '1', 'yes', 'on'].includes(value.toLowerCase())) return true;
      if (['false', '0', 'no', 'off'].includes(value.toLowerCase())) return false;
      throw bad('true or false');
    case 'int':
    case 'number': {
      const n = Number(value);
      const range = `between ${spec.min} and ${spec.max}`;
      if (value.trim() === '' || !Number.isFinite(n)) throw bad(`a number ${range}`);
      if (spec.kind === 'int' && !Number.isInteger(n)) throw bad(`an integer ${range}`);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) throw bad(`a number ${range}`);
      return n;
    }
  }
  throw new EdgeError('EDGE_ERR_CONFIG_UNKNOWN_FLAG', `flag --${flag}`);
}

/** Parses argv (without node and script) and MODELFLEET_* variables into a frozen config. Flags win over env. */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, ctx: ConfigContext): EdgeConfig {
  const args = [...argv];
  if (args.length > 0 && !args[0].startsWith('-')) {
    const cmd = args.shift();
    if (cmd !== 'serve') {
      throw new EdgeError('EDGE_ERR_CONFIG_UNKNOWN_COMMAND', `unknown command ${JSON.stringify(cmd)}`);
    }
  }
  const raw: Raw = {};
  const sources: Record<string, string> = {};
  for (const flag of Object.keys(FLAGS)) {
    const v = env[envName(flag)];
    if (v !== undefined) {
      raw[flag] = v;
      sources[flag] = envName(flag);
    }
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) {
      throw new EdgeError('EDGE_ERR_CONFIG_UNKNOWN_FLAG', `unexpected argument ${JSON.stringify(arg)}`);
    }
    const eq = arg.indexOf('=');
    let flag = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (value === undefined && flag.startsWith('no-') && FLAGS[flag.slice(3)]?.kind === 'bool') {
      flag = flag.slice(3);
      value = 'false';
    }
    const spec = Object.prototype.hasOwnProperty.call(FLAGS, flag) ? FLAGS[flag] : undefined;
    if (!spec) {
      throw new EdgeError('EDGE_ERR_CONFIG_UNKNOWN_FLAG', `unknown flag ${JSON.stringify(arg)}`);
    }
    if (value === undefined) {
      const next = args[i + 1];
      if (spec.kind === 'bool' && (next === undefined || next.startsWith('--'))) {
        value = 'true';
      } else if (next === undefined) {
        throw new EdgeError('EDGE_ERR_CONFIG_BAD_VALUE', `flag --${flag} needs a value`);
      } else {
        value = next;
        i++;
      }
    }
    raw[flag] = value;
    sources[flag] = `--${flag}`;
  }
  const v: Record<string, string | number | boolean> = {};
  for (const [flag, value] of Object.entries(raw)) {
    if (value !== undefined) v[FLAGS[flag].key] = convert(flag, FLAGS[flag], value, sources[flag]);
  }

  const modelPath = v.model !== undefined
    ? resolveModelFile(path.resolve(ctx.cwd, String(v.model)), String(sources.model))
    : findModelInDir(env.MODELFLEET_MODEL_DIR ?? DEFAULT_MODEL_DIR);

  let token: string | undefined;
  if (v.tokenFile !== undefined) {
    const file = path.resolve(ctx.cwd, String(v.tokenFile));
    try {
      token = fs.readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new EdgeError('EDGE_ERR_CONFIG_TOKEN_FILE', `cannot read token file ${file}: ${(e as Error).message}`);
    }
    if (token === '' || /\s/.test(token)) {
      throw new EdgeError('EDGE_ERR_CONFIG_TOKEN_FILE', `token file ${file} must hold one token without spaces`);
    }
  }

  const threads = (v.threads as number | undefined) ?? Math.max(1, ctx.cpuCount);
  const workers = (v.workers as number | undefined) ?? Math.max(1, Math.floor(threads / 4));
  if (workers > threads) {
    throw new EdgeError('EDGE_ERR_CONFIG_BAD_VALUE', `--workers ${workers} is more than --threads ${threads} (each worker needs one thread)`);
  }
  const name = v.name as string | undefined;
  if (name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) {
    throw new EdgeError('EDGE_ERR_CONFIG_BAD_VALUE', `--name ${JSON.stringify(name)} must be 1-128 letters, digits, '.', '_' or '-'`);
  }
  const modelVersion = v.modelVersion as string | undefined;
  if (modelVersion !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(modelVersion)) {
    throw new EdgeError('EDGE_ERR_CONFIG_BAD_VALUE', `--model-version ${JSON.stringify(modelVersion)} must be 1-128 letters, digits, '.', '_' or '-'`);
  }

  const maxBodyBytes = Math.floor(((v.maxBodyMb as number | undefined) ?? 32) * 1024 * 1024);
  const inflight = v.maxInflightBodyMb as number | undefined;
  const maxInflightBodyBytes = inflight === undefined ? Math.max(DEFAULT_INFLIGHT_BODY_BYTES, maxBodyBytes) : Math.floor(inflight * 1024 * 1024);
  if (maxInflightBodyBytes < maxBodyBytes) {
    throw new EdgeError('EDGE_ERR_CONFIG_BAD_VALUE', `${sources['max-inflight-body-mb']} ${inflight} is less than --max-body-mb (${maxBodyBytes / 1048576}): one body must fit`);
  }
  const headersTimeoutMs = (v.headersTimeoutMs as number | undefined) ?? 10000;
  const requestTimeoutMs = (v.requestTimeoutMs as number | undefined) ?? 60000;
  if (requestTimeoutMs < headersTimeoutMs) {
    throw new EdgeError('EDGE_ERR_CONFIG_BAD_VALUE', `--request-timeout-ms ${requestTimeoutMs} is less than --headers-timeout-ms ${headersTimeoutMs}`);
  }

  return Object.freeze({
    command: 'serve' as const,
    modelPath,
    name,
    modelVersion,
    host: (v.host as string | undefined) ?? '127.0.0.1',
    port: (v.port as number | undefined) ?? 8080,
    threads,
    workers,
    workerNice: (v.workerNice as number | undefined) ?? DEFAULT_WORKER_NICE,
    workerPolicy: (v.workerPolicy as WorkerPolicy | undefined) ?? 'batch',
    maxBatch: (v.maxBatch as number | undefined) ?? 8,
    batchDelayMs: (v.batchDelayMs as number | undefined) ?? 2,
    batching: (v.batching as boolean | undefined) ?? true,
    maxQueue: (v.maxQueue as number | undefined) ?? 64,
    maxBodyBytes,
    maxInflightBodyBytes,
    maxConnections: (v.maxConnections as number | undefined) ?? 512,
    headersTimeoutMs,
    requestTimeoutMs,
    token,
    metricsAuth: (v.metricsAuth as boolean | undefined) ?? true,
    logLevel: (v.logLevel as LogLevel | undefined) ?? 'info',
    allowContractChange: (v.allowContractChange as boolean | undefined) ?? false,
    watch: (v.watch as boolean | undefined) ?? true,
    drainTimeoutMs: (v.drainTimeoutMs as number | undefined) ?? 25000,
    emfFile: v.emfFile === undefined ? undefined : path.resolve(ctx.cwd, String(v.emfFile)),
    emfIntervalMs: ((v.emfIntervalS as number | undefined) ?? 300) * 1000,
    emfDevice: v.emfDevice as string | undefined,
  });
}

function resolveModelFile(file: string, source: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new EdgeError('EDGE_ERR_CONFIG_MODEL_NOT_FOUND', `${source}: model file ${file} does not exist`);
  }
  if (!st.isFile()) {
    throw new EdgeError('EDGE_ERR_CONFIG_MODEL_NOT_FOUND', `${source}: ${file} is not a file`);
  }
  return file;
}

/** The single .onnx file under dir (searched up to 3 levels deep). */
export function findModelInDir(dir: string): string {
  const found: string[] = [];
  const walk = (d: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isFile() && e.name.toLowerCase().endsWith('.onnx')) found.push(p);
      else if (e.isDirectory() && depth < 3) walk(p, depth + 1);
    }
  };
  walk(dir, 0);
  if (found.length === 0) {
    throw new EdgeError('EDGE_ERR_CONFIG_MODEL_NOT_FOUND', `no --model given and no .onnx file under ${dir}`);
  }
  if (found.length > 1) {
    throw new EdgeError('EDGE_ERR_CONFIG_MODEL_NOT_FOUND', `no --model given and ${found.length} .onnx files under ${dir} (${found.sort().join(', ')}): pass --model`);
  }
  return found[0];
}
