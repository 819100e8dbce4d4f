/** The process entry: the only module that reads the environment and handles signals. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConfig, usage } from './config';
import { toEdgeError } from './errors';
import { startRuntime, type Runtime } from './runtime';

/** CPUs this process may use: the host's, capped by a cgroup v2 CPU quota (containers). */
export function detectCpus(): number {
  let n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  try {
    const [quota, period] = fs.readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(/\s+/);
    if (quota !== 'max' && Number(period) > 0) n = Math.min(n, Math.max(1, Math.ceil(Number(quota) / Number(period))));
  } catch {
    // no cgroup v2 limit
  }
  return Math.max(1, n);
}

/**
 * The package version, set at build time by the bundlers (esbuild `--define:MODELFLEET_VERSION='"x.y.z"'`: the
 * Greengrass zips, the container image, the test bundles), which carry no package.json. Not defined in tsc output.
 */
declare const MODELFLEET_VERSION: string | undefined;

function packageVersion(): string {
  if (typeof MODELFLEET_VERSION === 'string') return MODELFLEET_VERSION;
  // tsc output (dist/edge/): the package.json above
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'modelfleet' && pkg.version) return pkg.version;
    } catch {
      // not here: look one folder up
    }
    dir = path.dirname(dir);
  }
  return '0.0.0';
}

/** Runs `modelfleet-edge`; resolves once serving (the process then lives until a signal). */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<Runtime | undefined> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage() + '\n');
    return undefined;
  }
  if (argv.includes('--version')) {
    process.stdout.write(packageVersion() + '\n');
    return undefined;
  }
  let runtime: Runtime;
  try {
    const config = parseConfig(argv, env, { cpuCount: detectCpus(), cwd: process.cwd() });
    runtime = await startRuntime(config, { serverVersion: packageVersion() });
  } catch (e) {
    const err = toEdgeError(e);
    process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: 'error', event: 'start_failed', code: err.code, error: err.message }) + '\n');
    process.stderr.write(`modelfleet-edge: ${err.code}: ${err.message}\n`);
    process.exitCode = err.code.startsWith('EDGE_ERR_CONFIG_') ? 2 : 1;
    return undefined;
  }
  const stop = (signal: string) => {
    runtime.log.info('signal', { signal });
    runtime.shutdown().then(() => process.exit(0), (e: Error) => {
      runtime.log.error('shutdown_failed', { error: e.message });
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    runtime.log.info('signal', { signal: 'SIGHUP' });
    void runtime.reload('SIGHUP');
  });
  process.on('uncaughtException', (e) => {
    runtime.log.error('uncaught_exception', { error: e.stack ?? e.message });
    process.exit(1);
  });
  return runtime;
}
