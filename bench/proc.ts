/**
 * Process plumbing of the benchmark: child runs, servers on loopback, readiness, resident memory.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { parseResult } from './child';

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs `node <script> '<json config>'` and returns its parsed result line; rejects with its output if it fails. */
export function runChild<T>(script: string, config: unknown, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString('utf8'); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`${path.basename(script)} exited with ${code ?? signal}: ${(err || out).slice(-1500)}`));
        return;
      }
      try {
        resolve(parseResult<T>(out));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

/** One GET on a fresh connection; resolves with the status, or 0 when the connection fails. */
export function getStatus(port: number, urlPath: string, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** A server process under test. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** Spawn to first 200 on the readiness route, in ms. */
  readonly coldStartMs: number;
  readonly logFile: string;
}

function tail(file: string): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.slice(-1500);
  } catch {
    return '';
  }
}

/**
 * Spawns `node <args>` with its output appended to `logFile`, then polls `readyPath` every 5 ms until it answers 200.
 * Rejects (after killing the process) when it exits first or is not ready within `timeoutMs`.
 */
export async function startServer(args: readonly string[], port: number, readyPath: string, logFile: string, timeoutMs = 60_000): Promise<ServerProcess> {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'a');
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  let exited: string | undefined;
  child.on('exit', (code, signal) => { exited = `exited with ${code ?? signal}`; });
  while (performance.now() - started < timeoutMs) {
    if (exited !== undefined) {
      throw new Error(`server ${exited} before it was ready: ${args.join(' ')}\n${tail(logFile)}`);
    }
    if ((await getStatus(port, readyPath, 1000)) === 200) {
      return { child, port, coldStartMs: performance.now() - started, logFile };
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await stopServer(child);
  throw new Error(`server not ready within ${timeoutMs} ms: ${args.join(' ')}\n${tail(logFile)}`);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
export function stopServer(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function rssOfPid(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const text = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text.length > 0) {
        out.push(...text.split(/\s+/).map(Number));
      }
    }
  } catch {
    // The process is gone, or /proc has no children files: count the process alone.
  }
  return out;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every mainstream Linux build). */
const CLOCK_TICKS = 100;

function cpuOfPid(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, so split after its closing parenthesis):
    // state is field 3, utime field 14 and stime field 15 (all threads of the process included).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** CPU time (user + system, all threads) of a process and all its descendants, in seconds (Linux /proc; 0 when unavailable). */
export function cpuOfTree(pid: number): number {
  let total = 0;
  for (const p of tree(pid)) {
    total += cpuOfPid(p);
  }
  return total;
}

function tree(pid: number): number[] {
  const seen = new Set<number>();
  const stack = [pid];
  while (stack.length > 0 && seen.size < 1000) {
    const p = stack.pop() as number;
    if (!seen.has(p)) {
      seen.add(p);
      stack.push(...childrenOf(p));
    }
  }
  return [...seen];
}

/** Resident set size of a process and all its descendants, in bytes (Linux /proc; 0 when unavailable). */
export function rssOfTree(pid: number): number {
  let total = 0;
  for (const p of tree(pid)) {
    total += rssOfPid(p);
  }
  return total;
}
