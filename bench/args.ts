/**
 * The benchmark's command line: `npm run bench -- [flags]` (see {@link USAGE}). Parsed once into a frozen object.
 */
import * as path from 'path';

/** Everything a run needs to know, with defaults resolved. */
export interface BenchOptions {
  readonly models: readonly string[];
  readonly quick: boolean;
  readonly warmupSec: number;
  readonly durationSec: number;
  readonly soakSeconds: number;
  /** Base names of the models that get the soak (default: the first model). */
  readonly soakModels: readonly string[];
  readonly healthSeconds: number;
  /** Base names of the models that get the health-under-load test (default: the first model). */
  readonly healthModels: readonly string[];
  readonly coldStartRepeats: number;
  /** Requests after which the runtime's RSS is compared with the baseline's. */
  readonly rssAfterRequests: number;
  /** Intra-op threads for the baseline and the naive server; `undefined`: the number of cores (the runtime's default). */
  readonly threads: number | undefined;
  readonly spinning: boolean;
  readonly edgeCli: string;
  /** Extra arguments passed to the runtime's `serve`. */
  readonly edgeArgs: readonly string[];
  /** The load generator's HTTP client: `raw` (lean, the default) or `node` (node:http); see bench/raw-http.ts. */
  readonly client: 'raw' | 'node';
  readonly skipRuntime: boolean;
  readonly skipNaive: boolean;
  readonly out: string;
  /** Exit 1 when a target fails. */
  readonly strict: boolean;
  readonly help: boolean;
}

export const USAGE = `npm run bench -- [flags]

  --quick                 short smoke run (about 2 minutes): short windows, 10 s soak, 1 cold start
  --soak-seconds N        length of the memory soak on the runtime (default 120; 10 with --quick; 0 skips it)
  --duration S            measured window of each phase in seconds (default 5; 1.5 with --quick)
  --warmup S              warm-up before each window in seconds (default 1; 0.3 with --quick)
  --models A,B            model files (default ../shared/models/mobilenet_v2.onnx,models/iris.onnx)
  --soak-models N,M       model base names to soak (default: the first model)
  --health-models N,M     model base names for the health-under-load test (default: the first model)
  --health-seconds S      length of the health-under-load test (default 6; 2 with --quick)
  --cold-starts N         process starts to take the median cold start of (default 3; 1 with --quick)
  --rss-after N           requests before the runtime's RSS is read (default 2000)
  --threads N             intra-op threads of the baseline and naive server, also passed to the runtime
                          (default: not passed; the number of cores, the runtime's default)
  --spinning 0|1          allow_spinning of the baseline and naive server (default 0, as the runtime)
  --edge-cli FILE         the runtime's command line entry (default dist/edge/cli.js)
  --edge-arg ARG          one extra argument for \`serve\` (repeat the flag for more)
  --client raw|node       the load generator's HTTP client: raw (default; lean keep-alive sockets, as wrk) or
                          node (node:http's client, which adds about 0.3 ms per request of its own)
  --skip-runtime          measure only the baseline and the naive server
  --skip-naive            do not measure the naive server
  --out FILE              JSON results (default bench/results/latest.json)
  --strict                exit 1 when a target fails
  --help`;

/** Thrown for a bad flag; the message names the flag, the bad value and the fix. */
export class BenchArgsError extends Error {}

function positive(flag: string, raw: string | undefined, allowZero = false): number {
  const n = Number(raw);
  if (raw === undefined || raw.startsWith('--') || !Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    throw new BenchArgsError(`${flag} needs a ${allowZero ? 'non-negative' : 'positive'} number, got ${raw === undefined ? 'nothing' : JSON.stringify(raw)}`);
  }
  return n;
}

function modelBase(file: string): string {
  return path.basename(file).replace(/\.onnx$/, '');
}

/** Parses the benchmark's flags; `root` is the repository root that relative default paths hang from. */
export function parseBenchArgs(argv: readonly string[], root: string): BenchOptions {
  const v: Record<string, string | undefined> = {};
  const edgeArgs: string[] = [];
  const bools = new Set(['--quick', '--skip-runtime', '--skip-naive', '--strict', '--help', '-h']);
  const valued = new Set(['--soak-seconds', '--duration', '--warmup', '--models', '--soak-models', '--health-models', '--health-seconds',
    '--cold-starts', '--rss-after', '--threads', '--spinning', '--client', '--edge-cli', '--edge-arg', '--out']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (bools.has(flag)) {
      v[flag === '-h' ? '--help' : flag] = 'true';
    } else if (valued.has(flag)) {
      const value = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) {
        throw new BenchArgsError(`${flag} needs a value`);
      }
      if (flag === '--edge-arg') {
        edgeArgs.push(value);
      } else {
        v[flag] = value;
      }
    } else {
      throw new BenchArgsError(`unknown flag ${JSON.stringify(a)}; run with --help for the list`);
    }
  }
  const quick = v['--quick'] === 'true';
  const models = (v['--models'] ?? '../shared/models/mobilenet_v2.onnx,models/iris.onnx')
    .split(',').filter((m) => m.length > 0).map((m) => path.resolve(root, m));
  if (models.length === 0) {
    throw new BenchArgsError('--models needs at least one model file');
  }
  const spinning = v['--spinning'] ?? '0';
  if (spinning !== '0' && spinning !== '1') {
    throw new BenchArgsError(`--spinning takes 0 or 1, got ${JSON.stringify(spinning)}`);
  }
  const client = v['--client'] ?? 'raw';
  if (client !== 'raw' && client !== 'node') {
    throw new BenchArgsError(`--client takes raw or node, got ${JSON.stringify(client)}`);
  }
  const list = (raw: string | undefined): string[] => (raw === undefined ? [modelBase(models[0])] : raw.split(',').filter((m) => m.length > 0).map(modelBase));
  return Object.freeze({
    models,
    quick,
    warmupSec: v['--warmup'] === undefined ? (quick ? 0.3 : 1) : positive('--warmup', v['--warmup'], true),
    durationSec: v['--duration'] === undefined ? (quick ? 1.5 : 5) : positive('--duration', v['--duration']),
    soakSeconds: v['--soak-seconds'] === undefined ? (quick ? 10 : 120) : positive('--soak-seconds', v['--soak-seconds'], true),
    soakModels: list(v['--soak-models']),
    healthSeconds: v['--health-seconds'] === undefined ? (quick ? 2 : 6) : positive('--health-seconds', v['--health-seconds'], true),
    healthModels: list(v['--health-models']),
    coldStartRepeats: v['--cold-starts'] === undefined ? (quick ? 1 : 3) : Math.ceil(positive('--cold-starts', v['--cold-starts'])),
    rssAfterRequests: v['--rss-after'] === undefined ? 2000 : Math.ceil(positive('--rss-after', v['--rss-after'], true)),
    threads: v['--threads'] === undefined ? undefined : Math.ceil(positive('--threads', v['--threads'])),
    spinning: spinning === '1',
    edgeCli: path.resolve(root, v['--edge-cli'] ?? 'dist/edge/cli.js'),
    edgeArgs,
    client,
    skipRuntime: v['--skip-runtime'] === 'true',
    skipNaive: v['--skip-naive'] === 'true',
    out: path.resolve(root, v['--out'] ?? 'bench/results/latest.json'),
    strict: v['--strict'] === 'true',
    help: v['--help'] === 'true',
  });
}
