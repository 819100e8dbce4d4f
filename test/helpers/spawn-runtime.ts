import { ChildProcess } from 'node:child_process';

/** How `waitForHttp200` polls. */
export interface WaitOptions {
  /** Polls before giving up (default 300). */
  readonly attempts?: number;
  /** Pause between polls in ms (default 100). */
  readonly intervalMs?: number;
  /** What the server printed so far, added to the error messages. */
  readonly output?: () => string;
}

/**
 * Polls `GET url` until it answers 200 and returns that response; fails as soon as `child` (the server) exits, or
 * after `attempts` polls, with the last status or error seen.
 */
export async function waitForHttp200(url: string, child: ChildProcess, options: WaitOptions = {}): Promise<Response> {
  const attempts = options.attempts ?? 300;
  const intervalMs = options.intervalMs ?? 100;
  const output = options.output ? `; output: ${options.output()}` : '';
  let last: unknown = 'no answer';
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (child.exitCode !== null) {
      throw new Error(`the runtime exited (${child.exitCode}) before ${url} answered 200${options.output ? `; output: ${options.output()}` : ''}`);
    }
    try {
      const res = await fetch(url);
      if (res.status === 200) return res;
      last = res.status;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`GET ${url} never answered 200 in ${attempts} polls (last: ${String(last)})${output}`);
}

/** Stops a child process that is still running with `signal` and waits for it to exit. */
export async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}
