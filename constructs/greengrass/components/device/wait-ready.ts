/**
 * Device-side readiness gate, shipped in the runtime zip as `wait-ready.js` and run by the model component's `Install`
 * step with the bundled Node: `node wait-ready.js <url> <timeoutSeconds> [<serverPid>]`.
 * Polls the URL (the runtime's `/v2/health/ready`) until it answers 200 (exit 0), the server process is gone (exit 1)
 * or the time is up (exit 1). No dependencies; never imported by the constructs.
 */
import * as http from 'node:http';

const POLL_MS = 250;

function probe(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function main(argv: string[]): Promise<number> {
  const [hostArg, portArg, timeoutArg, pidArg] = argv;
  const timeoutSeconds = Number(timeoutArg);
  const port = Number(portArg);
  if (!hostArg || !Number.isInteger(port) || !Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    process.stderr.write('usage: wait-ready.js <host> <port> <timeoutSeconds> [<serverPid>]\n');
    return 2;
  }
  const host = hostArg === '0.0.0.0' ? '127.0.0.1' : hostArg === '::' ? '::1' : hostArg;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/v2/health/ready`;
  const pid = pidArg ? Number(pidArg) : undefined;
  const deadline = Date.now() + timeoutSeconds * 1000;
  let last = 0;
  while (Date.now() < deadline) {
    last = await probe(url);
    if (last === 200) {
      process.stdout.write(`modelfleet: ready at ${url}\n`);
      return 0;
    }
    if (pid !== undefined && !alive(pid)) {
      process.stderr.write(`modelfleet: the server (pid ${pid}) exited before ${url} answered 200\n`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  process.stderr.write(`modelfleet: ${url} did not answer 200 within ${timeoutSeconds} s (last status ${last || 'no answer'})\n`);
  return 1;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`modelfleet: ${String(err)}\n`);
  process.exitCode = 1;
});
