/**
 * Hot model swap: loaded beside the old model, checked (loads, same contract unless allowed, sha256 against
 * contract.json), warmed up and swapped atomically; in-flight requests finish on the old one; failures keep it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getJson, inferJson, IRIS, irisRows, metric, startEdge, tempDir, testModels, type TestServer } from './helpers/runtime';

const stops: TestServer[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s.stop();
});

/** iris with a different doc_string appended (field 6 of ModelProto): same graph and contract, another sha256. */
function irisVariant(tag: string): Buffer {
  const text = Buffer.from(`variant ${tag}`);
  return Buffer.concat([fs.readFileSync(IRIS), Buffer.from([0x32, text.length]), text]);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Replaces a file atomically, as deployments do (write beside, rename over). */
function replace(file: string, bytes: Uint8Array): void {
  fs.writeFileSync(`${file}.tmp`, bytes);
  fs.renameSync(`${file}.tmp`, file);
}

const body = { inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 4], data: irisRows(2).flat() }] };

describe('hot swap', () => {
  test.each([
    ['decoded on the main thread', undefined],
    ['decoded in the codec worker', 1],
  ])('a changed model file is swapped under concurrent load with zero failed requests and a clean switch of model_version (JSON %s)', async (_how, offloadJsonBytes) => {
    const dir = tempDir();
    const file = path.join(dir, 'iris.onnx');
    const v1 = irisVariant('one');
    const v2 = irisVariant('two');
    fs.writeFileSync(file, v1);
    const srv = await startEdge(['--model', file, '--max-batch', '8'], {}, { offloadJsonBytes });
    stops.push(srv);
    let stop = false;
    let swappedAt = -1;
    let total = 0;
    const seen: string[][] = [];
    const failures: string[] = [];
    const client = async (k: number) => {
      seen[k] = [];
      for (let i = 0; i < 5000 && !stop; i++) {
        const r = await inferJson(srv.url, 'iris', body);
        total++;
        if (r.status !== 200) failures.push(JSON.stringify(r.json));
        else seen[k].push(r.json.model_version as string);
        if (total === 40) replace(file, v2);
        if (r.json.model_version === sha(v2).slice(0, 12) && swappedAt < 0) swappedAt = total;
        if (swappedAt > 0 && total > swappedAt + 60) stop = true;
      }
    };
    await Promise.all([0, 1, 2, 3, 4, 5].map(client));
    expect(failures).toEqual([]);
    const [a, b] = [sha(v1).slice(0, 12), sha(v2).slice(0, 12)];
    for (const versions of seen) {
      expect(versions[0]).toBe(a);
      expect(versions[versions.length - 1]).toBe(b);
      const first = versions.indexOf(b);
      expect(versions.slice(first).every((v) => v === b)).toBe(true); // never back to the old model
    }
    expect(await metric(srv.url, 'modelfleet_edge_model_swaps_total')).toBe(1);
    expect(await metric(srv.url, 'modelfleet_edge_model_info', { version: b, sha256: sha(v2) })).toBe(1);
    expect(await metric(srv.url, 'modelfleet_edge_model_info', { version: a })).toBe(0);
    expect(srv.logs.some((l) => l.includes('"event":"model_swapped"') && l.includes(`"to_version":"${b}"`))).toBe(true);
  });

  test('a failed swap (contract change, unloadable file) keeps the old model serving and shows in metrics and logs', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'iris.onnx');
    fs.copyFileSync(IRIS, file);
    const srv = await startEdge(['--model', file, '--watch', 'false']);
    stops.push(srv);
    const before = (await inferJson(srv.url, 'iris', body)).json.model_version;

    replace(file, fs.readFileSync(testModels().types));
    expect(await srv.rt.reload('test')).toBe(false);
    expect(await metric(srv.url, 'modelfleet_edge_model_load_failures_total', { code: 'EDGE_ERR_MODEL_CONTRACT_CHANGED' })).toBe(1);
    expect(srv.logs.some((l) => l.includes('"event":"model_swap_failed"') && l.includes('EDGE_ERR_MODEL_CONTRACT_CHANGED'))).toBe(true);

    replace(file, Buffer.from('this is not an onnx model'));
    expect(await srv.rt.reload('test')).toBe(false);
    expect(await metric(srv.url, 'modelfleet_edge_model_load_failures_total', { code: 'EDGE_ERR_MODEL_LOAD_FAILED' })).toBe(1);

    const after = await inferJson(srv.url, 'iris', body);
    expect(after.status).toBe(200);
    expect(after.json.model_version).toBe(before);
    expect((await getJson(`${srv.url}/v2/health/ready`)).status).toBe(200);
  });

  test('--allow-contract-change lets a swap change the inputs and outputs', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'm.onnx');
    fs.copyFileSync(IRIS, file);
    const srv = await startEdge(['--model', file, '--watch', 'false', '--allow-contract-change']);
    stops.push(srv);
    replace(file, fs.readFileSync(testModels().fixed));
    expect(await srv.rt.reload('test')).toBe(true);
    const meta = await getJson(`${srv.url}/v2/models/m`);
    expect(meta.json.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [2, 3] }]);
  });

  test('many swaps keep resident memory bounded', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'iris.onnx');
    fs.writeFileSync(file, irisVariant('0'));
    const srv = await startEdge(['--model', file, '--watch', 'false']);
    stops.push(srv);
    let base = 0;
    for (let i = 1; i <= 16; i++) {
      replace(file, irisVariant(String(i)));
      expect(await srv.rt.reload('test')).toBe(true);
      expect((await inferJson(srv.url, 'iris', body)).status).toBe(200);
      if (i === 4) base = process.memoryUsage().rss;
    }
    expect(process.memoryUsage().rss - base).toBeLessThan(120 * 1024 * 1024);
  });
});

describe('contract.json beside model.onnx', () => {
  function storeDir(contract: Record<string, unknown>, model: Buffer = fs.readFileSync(IRIS)): string {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'model.onnx'), model);
    fs.writeFileSync(path.join(dir, 'contract.json'), JSON.stringify({ schemaVersion: 1, ...contract }));
    return dir;
  }

  test('gives the model name and version, checked against the sha256', async () => {
    const bytes = fs.readFileSync(IRIS);
    const dir = storeDir({ name: 'flowers', version: 'v7', sha256: sha(bytes) });
    const srv = await startEdge(['--model', path.join(dir, 'model.onnx')]);
    stops.push(srv);
    const meta = await getJson(`${srv.url}/v2/models/flowers`);
    expect(meta.json.versions).toEqual(['v7']);
    expect((await inferJson(srv.url, 'flowers', body)).json.model_version).toBe('v7');
  });

  test('fails to start with EDGE_ERR_MODEL_SHA256_MISMATCH when the file does not match', async () => {
    const dir = storeDir({ name: 'flowers', version: 'v7', sha256: 'a'.repeat(64) });
    await expect(startEdge(['--model', path.join(dir, 'model.onnx')])).rejects.toMatchObject({ code: 'EDGE_ERR_MODEL_SHA256_MISMATCH' });
  });

  test('a swap to a new model and contract reports the contract\'s new version', async () => {
    const v1 = irisVariant('a');
    const v2 = irisVariant('b');
    const dir = storeDir({ name: 'flowers', version: 'v1', sha256: sha(v1) }, v1);
    const srv = await startEdge(['--model', path.join(dir, 'model.onnx'), '--watch', 'false']);
    stops.push(srv);
    replace(path.join(dir, 'model.onnx'), v2);
    expect(await srv.rt.reload('test')).toBe(false); // contract.json still names the old sha256
    expect(await metric(srv.url, 'modelfleet_edge_model_load_failures_total', { code: 'EDGE_ERR_MODEL_SHA256_MISMATCH' })).toBe(1);
    replace(path.join(dir, 'contract.json'), Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'flowers', version: 'v2', sha256: sha(v2) })));
    expect(await srv.rt.reload('test')).toBe(true);
    expect((await inferJson(srv.url, 'flowers', body)).json.model_version).toBe('v2');
  });
});
