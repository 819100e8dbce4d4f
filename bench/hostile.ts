/**
 * The hostile-client scenarios of issue 12 against a built runtime (dist/edge/cli.js, default flags, iris model): the
 * runtime's RSS and its health latency while clients misbehave. Prints one line per scenario.
 *
 * Usage: npm run build && node dist/bench/hostile.js [--cli dist/edge/cli.js] [--only 1,3,4]
 * (scenario 2 took about 3.4 GB before the decoder bounds: skip it against an older runtime on a small machine)
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function start(cli: string): Promise<{ url: URL; pid: number; stop: () => void }> {
  const c2 = spawn(process.execPath, [cli, 'serve', '--model', path.join(ROOT, 'models', 'iris.onnx'), '--port', '0', '--threads', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    c2.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"event":"ready","url":"([^"]+)"/.exec(buf);
      if (m) resolve(m[1]);
    });
    c2.on('exit', (code) => reject(new Error(`runtime exited ${code}`)));
  });
  c2.stdout!.resume();
  return { url: new URL(url), pid: c2.pid!, stop: () => c2.kill('SIGKILL') };
}

function connect(url: URL): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.connect(Number(url.port), url.hostname, () => resolve(s));
    s.on('error', () => undefined);
  });
}

/** Sends `head` then `bodyBytes` of `fill` (in 1 MB writes), never finishing; resolves with the status answered, if any. */
async function partialUpload(url: URL, head: string, bodyBytes: number, fill: Buffer): Promise<{ sock: net.Socket; status: () => number | undefined }> {
  const s = await connect(url);
  let reply = '';
  s.on('data', (d: Buffer) => {
    reply += d.toString('latin1');
  });
  s.write(head);
  for (let sent = 0; sent < bodyBytes && !s.destroyed; sent += fill.length) {
    if (!s.write(fill.subarray(0, Math.min(fill.length, bodyBytes - sent)))) {
      await new Promise<void>((r) => {
        const done = () => {
          s.off('drain', done);
          s.off('close', done);
          r();
        };
        s.once('drain', done);
        s.once('close', done);
      });
    }
  }
  return { sock: s, status: () => (/^HTTP\/1\.1 (\d{3})/.exec(reply) ? Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)![1]) : undefined) };
}

async function healthLatency(url: URL, ms: number): Promise<{ p50: number; p99: number; failed: number }> {
  const lat: number[] = [];
  let failed = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    const t = performance.now();
    try {
      const r = await fetch(`${url.origin}/v2/health/live`, { signal: AbortSignal.timeout(2000) });
      await r.text();
      if (r.status === 200) lat.push(performance.now() - t);
      else failed++;
    } catch {
      failed++;
    }
    await sleep(10);
  }
  lat.sort((a, b) => a - b);
  return { p50: lat[Math.floor(lat.length / 2)] ?? NaN, p99: lat[Math.floor(lat.length * 0.99)] ?? NaN, failed };
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--cli');
  const cli = path.resolve(i > 0 ? process.argv[i + 1] : path.join(ROOT, 'dist', 'edge', 'cli.js'));
  const MB = 1024 * 1024;
  const o = process.argv.indexOf('--only');
  const only = new Set((o > 0 ? process.argv[o + 1] : '1,2,3,4').split(',').map(Number));

  if (only.has(1)) {
    const rt = await start(cli);
    const base = rssMb(rt.pid);
    const ups = await Promise.all(Array.from({ length: 40 }, () =>
      partialUpload(rt.url, `POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nContent-Length: ${32 * MB}\r\n\r\n`, 30 * MB, Buffer.alloc(MB, 0x20))));
    await sleep(500);
    const grown = rssMb(rt.pid);
    const statuses = ups.map((u) => u.status() ?? 0);
    const h = await healthLatency(rt.url, 2000);
    process.stdout.write(`40 connections sending 30 MB of a 32 MB body: RSS ${base.toFixed(0)} → ${grown.toFixed(0)} MB (+${(grown - base).toFixed(0)} MB); answered 503: ${statuses.filter((s) => s === 503).length}, still receiving: ${statuses.filter((s) => s === 0).length}; health p50 ${h.p50.toFixed(2)} ms, p99 ${h.p99.toFixed(2)} ms, failed ${h.failed}\n`);
    for (const u of ups) u.sock.destroy();
    rt.stop();
  }
  if (only.has(2)) {
    const rt = await start(cli);
    const base = rssMb(rt.pid);
    const body = Buffer.from(`{"parameters":{"x":[${new Array(10_000_000).fill('{}').join(',')}]},"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}`);
    let peak = base;
    const timer = setInterval(() => {
      peak = Math.max(peak, rssMb(rt.pid));
    }, 50);
    const t0 = performance.now();
    const answers = await Promise.all(Array.from({ length: 4 }, async () => {
      const r = await fetch(`${rt.url.origin}/v2/models/iris/infer`, { method: 'POST', body });
      return `${r.status} ${((await r.json()) as { code?: string }).code}`;
    }));
    clearInterval(timer);
    process.stdout.write(`4 bodies of ${(body.length / MB).toFixed(0)} MB holding 10M {} in parameters at once: ${answers.sort().join(', ')} in ${(performance.now() - t0).toFixed(0)} ms; RSS ${base.toFixed(0)} MB, peak ${peak.toFixed(0)} MB\n`);
    rt.stop();
  }
  if (only.has(3)) {
    const rt = await start(cli);
    const idle = await healthLatency(rt.url, 1500);
    // the sender is a process of its own: building and writing 30 MB bodies would stall this one's health polling
    const sender = spawn(process.execPath, ['-e', `
      const body = Buffer.from('{"id":"' + 'i'.repeat(${30 * MB}) + '","inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}');
      (async () => {
        let status = 0;
        for (let k = 0; k < 10; k++) status = (await fetch('${rt.url.origin}/v2/models/iris/infer', { method: 'POST', body })).status;
        process.stdout.write(String(status));
      })();`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let status = '';
    sender.stdout!.on('data', (d: Buffer) => {
      status += d.toString();
    });
    const ended = new Promise((r) => sender.on('exit', r));
    await sleep(300);
    const busy = await healthLatency(rt.url, 2000);
    await ended;
    process.stdout.write(`30 MB ids (10 in a row, answered ${status}): health p50 ${idle.p50.toFixed(2)} ms idle → ${busy.p50.toFixed(2)} ms (p99 ${busy.p99.toFixed(2)} ms, failed ${busy.failed})\n`);
    rt.stop();
  }
  if (only.has(4)) {
    const rt = await start(cli);
    const socks: net.Socket[] = [];
    for (let k = 0; k < 3000; k++) socks.push(await connect(rt.url));
    const h = await healthLatency(rt.url, 1500);
    process.stdout.write(`3,000 idle connections (--max-connections 512): health p50 ${h.p50.toFixed(2)} ms, p99 ${h.p99.toFixed(2)} ms, failed ${h.failed}; runtime RSS ${rssMb(rt.pid).toFixed(0)} MB\n`);
    for (const s of socks) s.destroy();
    rt.stop();
  }
}

void main().then(() => process.exit(0), (e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exit(1);
});
