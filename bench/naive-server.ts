/**
 * The naive server the runtime is compared with: node:http, JSON tensors, one `session.run` per request on the main
 * thread, no batching, no workers. It is what one writes in an afternoon; the runtime must beat it clearly.
 *
 * Same endpoints as the runtime, so the same load client drives both:
 * `GET /v2/health/live`, `GET /v2/health/ready`, `POST /v2/models/<name>/infer` (JSON tensors; the binary tensor
 * extension is understood too, so the harness can be checked against it, but the benchmark sends it JSON only).
 *
 * `node dist/bench/naive-server.js --model FILE [--port 8090] [--host 127.0.0.1] [--threads N] [--spinning 0|1]`
 */
import * as http from 'http';
import * as path from 'path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { defaultThreads, sessionOptions, typedArrayOf } from './ort-options';
import { V2_TO_ORT } from './payload';

type Ort = typeof import('onnxruntime-node');

interface NaiveArgs {
  readonly model: string;
  readonly host: string;
  readonly port: number;
  readonly threads: number;
  readonly spinning: boolean;
}

function parseArgs(argv: readonly string[]): NaiveArgs {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const model = get('--model');
  if (model === undefined) {
    throw new Error('--model FILE is required');
  }
  return {
    model,
    host: get('--host') ?? '127.0.0.1',
    port: Number(get('--port') ?? '8090'),
    threads: Number(get('--threads') ?? String(defaultThreads())),
    spinning: (get('--spinning') ?? '0') === '1',
  };
}

interface RequestInput {
  name: string;
  datatype: string;
  shape: number[];
  data?: (number | boolean)[];
  parameters?: { binary_data_size?: number };
}

interface RequestOutput {
  name: string;
  parameters?: { binary_data?: boolean };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function toNumbers(data: Tensor.DataType): number[] {
  const out: number[] = new Array(data.length);
  for (let i = 0; i < data.length; i++) {
    out[i] = Number(data[i]);
  }
  return out;
}

const V2_OF_ORT: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(V2_TO_ORT).map(([k, v]) => [v, k]));

async function infer(ort: Ort, session: InferenceSession, modelName: string, body: Buffer, headerLength: number | undefined): Promise<{ status: number; headers: http.OutgoingHttpHeaders; body: Buffer }> {
  const jsonPart = headerLength === undefined ? body : body.subarray(0, headerLength);
  const req = JSON.parse(jsonPart.toString('utf8')) as { inputs: RequestInput[]; outputs?: RequestOutput[] };
  const feeds: Record<string, Tensor> = {};
  let offset = headerLength ?? 0;
  for (const input of req.inputs) {
    const type = V2_TO_ORT[input.datatype] as Tensor.Type;
    const size = input.parameters?.binary_data_size;
    if (size !== undefined) {
      feeds[input.name] = new ort.Tensor(type, typedArrayOf(type, body.subarray(offset, offset + size)), input.shape);
      offset += size;
    } else {
      const values = input.data ?? [];
      const data: Tensor.DataType = type === 'int64'
        ? BigInt64Array.from(values, (v) => BigInt(Number(v)))
        : type === 'float32' ? Float32Array.from(values, Number)
          : type === 'float64' ? Float64Array.from(values, Number)
            : type === 'int32' ? Int32Array.from(values, Number)
              : Uint8Array.from(values, Number);
      feeds[input.name] = new ort.Tensor(type, data, input.shape);
    }
  }
  const results = await session.run(feeds);
  const wanted: RequestOutput[] = req.outputs ?? session.outputNames.map((name) => ({ name }));
  const binaries: Buffer[] = [];
  const outputs = wanted.map((o) => {
    const t = results[o.name];
    const base = { name: o.name, datatype: V2_OF_ORT[t.type] ?? t.type, shape: t.dims };
    if (o.parameters?.binary_data) {
      const data = t.data as Exclude<Tensor.DataType, string[]>;
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      binaries.push(bytes);
      return { ...base, parameters: { binary_data_size: bytes.length } };
    }
    return { ...base, data: toNumbers(t.data as Tensor.DataType) };
  });
  const header = Buffer.from(JSON.stringify({ model_name: modelName, outputs }));
  if (binaries.length === 0) {
    return { status: 200, headers: { 'content-type': 'application/json' }, body: header };
  }
  return {
    status: 200,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
    body: Buffer.concat([header, ...binaries]),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as Ort;
  const session = await ort.InferenceSession.create(args.model, sessionOptions(args));
  const name = path.basename(args.model).replace(/\.onnx$/, '');
  const inferPath = `/v2/models/${name}/infer`;

  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/v2/health/live' || req.url === '/v2/health/ready')) {
      send(res, 200, { live: true });
      return;
    }
    if (req.method !== 'POST' || req.url !== inferPath) {
      send(res, 404, { error: `no route ${req.method} ${req.url}` });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hl = req.headers['inference-header-content-length'];
      infer(ort, session, name, Buffer.concat(chunks), hl === undefined ? undefined : Number(hl)).then(
        (r) => {
          res.writeHead(r.status, { ...r.headers, 'content-length': r.body.length });
          res.end(r.body);
        },
        (err: unknown) => send(res, 400, { error: err instanceof Error ? err.message : String(err) }),
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(args.port, args.host, () => {
    console.log(JSON.stringify({ msg: 'naive server listening', host: args.host, port: args.port, model: name }));
  });
  const stop = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  });
}
