/**
 * How the benchmark's child processes (baseline, load client) hand their result to the orchestrator: one line
 * `BENCH_RESULT <json>` on stdout. Anything else they print is passed through as log.
 */
export const RESULT_PREFIX = 'BENCH_RESULT ';

/** Prints the result line (call once, at the end of the child). */
export function emitResult(result: unknown): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

/** Finds the result line in a child's stdout and parses it; throws when there is none. */
export function parseResult<T>(stdout: string): T {
  const line = stdout.split('\n').reverse().find((l) => l.startsWith(RESULT_PREFIX));
  if (line === undefined) {
    throw new Error(`child printed no ${RESULT_PREFIX.trim()} line; its output was:\n${stdout.slice(-2000)}`);
  }
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as T;
}

/** Reads the child's configuration: a JSON object as the first argument. */
export function childConfig<T>(): T {
  const arg = process.argv[2];
  if (arg === undefined) {
    throw new Error('this is a child process of `npm run bench`: it takes its configuration as a JSON argument');
  }
  return JSON.parse(arg) as T;
}
