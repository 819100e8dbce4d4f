import { spawnSync, SpawnSyncReturns } from 'node:child_process';

/** Options of `runCommand`. */
export interface RunCommandOptions {
  readonly cwd: string;
  /** Variables added to the test's own environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Milliseconds before the command is killed (default 5 minutes). */
  readonly timeout?: number;
}

/**
 * Runs a command (no shell) and returns its output; throws, with the command, its folder, stdout and stderr, when it
 * exits with another status than 0 or is killed.
 */
export function runCommand(command: string, args: string[], options: RunCommandOptions): SpawnSyncReturns<string> {
  const res = spawnSync(command, args, {
    cwd: options.cwd, env: { ...process.env, ...options.env }, encoding: 'utf8', timeout: options.timeout ?? 300_000, maxBuffer: 64 << 20,
  });
  if (res.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${res.status ?? res.signal}) in ${options.cwd}:\n${res.stdout}\n${res.stderr}`);
  }
  return res;
}
