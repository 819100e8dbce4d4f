/**
 * The transport floor: what any server built like the runtime (node:http on the main thread, inference in a worker
 * thread so that health checks never wait) costs around an inference, with no runtime code at all. It reads the
 * body into one ArrayBuffer, transfers it to a worker thread, which busy-works on the input for `--work-ms` (the raw
 * baseline's batch-1 p50, standing in for `session.run`), and transfers back a zero-filled output of the model's
 * size; the main thread answers with a V2 binary response. The same load client drives it as the runtime.
 *
 * Its concurrency-1 p50 minus `--work-ms` is the floor of the runtime's overhead on this machine: the runtime cannot
 * add less than that around onnxruntime without giving up the worker thread (and with it, health checks under load).
 *
 * `node dist/bench/floor-server.js --spec '<ModelSpec json>' --work-ms MS [--port 8091] [--host 127.0.0.1]`
 */
import * as http from 'http';
import { Worker } from 'worker_threads';
import type { ModelSpec } from './payload';
import { bytesPerElement } from './payload';

interface FloorArgs {
  readonly spec: ModelSpec;
  readonly workMs: number;
  readonly host: string;
  readonly port: number;
}

function parseArgs(argv: readonly string[]): FloorArgs {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const spec = get('--spec');
  const workMs = Number(get('--work-ms'));
  if (spec === undefined || !Number.isFinite(workMs) || workMs < 0) {
    throw new Error('usage: floor-server --spec <ModelSpec json> --work-ms <ms, >= 0> [--port N] [--host H]');
  }
  return { spec: JSON.parse(spec) as ModelSpec, workMs, host: get('--host') ?? '127.0.0.1', port: Number(get('--port') ?? '8091') };
}

/** The worker: reads the input while it works for workMs (so the bytes are touched, as a model would), then answers. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('worker_threads');
parentPort.on('message', (m) => {
  const end = performance.now() + workerData.workMs;
  const bytes = new Uint8Array(m.buffer);
  let sum = 0;
  do { for (let i = 0; i < bytes.length; i += 64) sum += bytes[i]; } while (performance.now() < end);
  const out = new ArrayBuffer(workerData.outputBytes);
  parentPort.postMessage({ id: m.id, out, sum }, [out]);
});`;

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const rows = 1;
  const outputs = args.spec.outputs.map((o) => {
    const shape = o.shape.map((d, i) => (i === 0 && d < 0 ? rows : Math.max(d, 1)));
    return { ...o, shape, bytes: shape.reduce((a, b) => a * b, 1) * bytesPerElement(o.datatype) };
  });
  const outputBytes = outputs.reduce((a, o) => a + o.bytes, 0);
  const header = Buffer.from(JSON.stringify({
    model_name: args.spec.name,
    outputs: outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape, parameters: { binary_data_size: o.bytes } })),
  }));
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { workMs: args.workMs, outputBytes } });
  const waiting = new Map<number, (out: ArrayBuffer) => void>();
  let nextId = 1;
  worker.on('message', (m: { id: number; out: ArrayBuffer }) => {
    const done = waiting.get(m.id);
    waiting.delete(m.id);
    done?.(m.out);
  });
  const server = http.createServer({ keepAliveTimeout: 65000 }, (req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 13 });
      res.end('{"live":true}');
      return;
    }
    const length = Number(req.headers['content-length'] ?? 0);
    const body = new Uint8Array(new ArrayBuffer(length));
    let n = 0;
    req.on('data', (c: Buffer) => {
      body.set(c, n);
      n += c.length;
    });
    req.on('end', () => {
      const id = nextId++;
      waiting.set(id, (out) => {
        res.writeHead(200, {
          'content-type': 'application/octet-stream', 'content-length': header.length + out.byteLength, 'inference-header-content-length': header.length,
        });
        res.cork();
        res.write(header);
        res.end(new Uint8Array(out));
        res.uncork();
      });
      worker.postMessage({ id, buffer: body.buffer }, [body.buffer]);
    });
  });
  server.listen(args.port, args.host);
  const stop = (): void => {
    server.close();
    void worker.terminate();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) {
  main();
}
