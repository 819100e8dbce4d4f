/** The transport-floor server: answers a valid V2 binary response after at least --work-ms of work in a worker. */
import { spawn } from 'child_process';
import { buildSync } from 'esbuild';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { binaryRequest, checkResponse, makeInputs, ModelSpec } from '../../bench/payload';
import { RawConnection, requestBytes } from '../../bench/raw-http';
import { freePort } from '../helpers/free-port';

const SPEC: ModelSpec = {
  name: 'm',
  file: 'unused.onnx',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 8, 8] }],
  outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, 10] }, { name: 'label', datatype: 'INT64', shape: [-1] }],
};

test('answers every request with the model outputs in binary, after at least --work-ms', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floor-'));
  const script = path.join(dir, 'floor-server.js');
  buildSync({ entryPoints: [path.join(__dirname, '..', '..', 'bench', 'floor-server.ts')], bundle: true, platform: 'node', target: 'node20', outfile: script, logLevel: 'error' });
  const port = await freePort();
  const workMs = 20;
  const child = spawn(process.execPath, [script, '--spec', JSON.stringify(SPEC), '--work-ms', String(workMs), '--port', String(port)], { stdio: 'ignore' });
  const conn = new RawConnection('127.0.0.1', port);
  try {
    const prepared = binaryRequest(SPEC, makeInputs(SPEC, 1));
    const req = requestBytes('POST', '127.0.0.1', port, '/v2/models/m/infer', prepared.headers, prepared.body);
    for (let i = 0; i < 100; i++) {
      try {
        await conn.send(requestBytes('GET', '127.0.0.1', port, '/v2/health/live', {}, Buffer.alloc(0)));
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = await conn.send(req);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(workMs);
      expect(r.status).toBe(200);
      expect(checkResponse(SPEC, 1, r.body, Number(r.headers['inference-header-content-length']))).toBeUndefined();
      expect(r.body.length).toBe(Number(r.headers['inference-header-content-length']) + 10 * 4 + 8);
    }
  } finally {
    conn.close();
    child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('refuses to start without a spec or a work time, saying how to call it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floor-'));
  const script = path.join(dir, 'floor-server.js');
  buildSync({ entryPoints: [path.join(__dirname, '..', '..', 'bench', 'floor-server.ts')], bundle: true, platform: 'node', target: 'node20', outfile: script, logLevel: 'error' });
  const child = spawn(process.execPath, [script, '--work-ms', '-1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise((r) => child.on('exit', r));
  expect(code).not.toBe(0);
  expect(err).toMatch(/usage: floor-server --spec <ModelSpec json> --work-ms/);
  fs.rmSync(dir, { recursive: true, force: true });
});
