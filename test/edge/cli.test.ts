/** The command line contract (`modelfleet-edge serve ...`), its configuration, and the process signals. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FLAGS, parseConfig } from '../../edge/config';
import { EdgeError } from '../../edge/errors';
import { edgeBundle, getJson, inferBinary, IRIS, metric, MOBILENET, REPO, spawnEdge, tempDir } from './helpers/runtime';

const ctx = { cpuCount: 4, cwd: '/' };

function configError(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseConfig(argv, env, ctx);
  } catch (e) {
    if (e instanceof EdgeError) return e.code;
    throw e;
  }
  throw new Error('no error');
}

describe('config', () => {
  test('defaults follow the documented contract', () => {
    const c = parseConfig(['serve', '--model', IRIS], {}, ctx);
    expect(c).toMatchObject({
      modelPath: IRIS, host: '127.0.0.1', port: 8080, threads: 4, workers: 1, maxBatch: 8, batchDelayMs: 2, batching: true,
      maxQueue: 64, maxBodyBytes: 32 * 1024 * 1024, logLevel: 'info', allowContractChange: false, watch: true, workerNice: 10, workerPolicy: 'batch',
    });
    expect(c.name).toBeUndefined();
    expect(c.modelVersion).toBeUndefined();
    expect(c.token).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  test('every flag can come from MODELFLEET_<FLAG>, and flags win over the environment', () => {
    const env = { MODELFLEET_MODEL: IRIS, MODELFLEET_PORT: '9000', MODELFLEET_MAX_BATCH: '4', MODELFLEET_BATCH_DELAY_MS: '0.5', MODELFLEET_BATCHING: 'off', MODELFLEET_HOST: '0.0.0.0' };
    const c = parseConfig([], env, ctx);
    expect(c).toMatchObject({ modelPath: IRIS, port: 9000, maxBatch: 4, batchDelayMs: 0.5, batching: false, host: '0.0.0.0' });
    const d = parseConfig(['serve', '--port=9100', '--max-batch', '16', '--batching'], env, ctx);
    expect(d).toMatchObject({ port: 9100, maxBatch: 16, batching: true });
    expect(parseConfig(['serve', '--no-watch'], env, ctx).watch).toBe(false);
    for (const flag of Object.keys(FLAGS)) expect(flag).toMatch(/^[a-z][a-z0-9-]*$/);
  });

  test('with no --model, the single .onnx under MODELFLEET_MODEL_DIR is served', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.copyFileSync(IRIS, path.join(dir, 'sub', 'model.onnx'));
    fs.writeFileSync(path.join(dir, 'contract.json'), '{}');
    expect(parseConfig(['serve'], { MODELFLEET_MODEL_DIR: dir }, ctx).modelPath).toBe(path.join(dir, 'sub', 'model.onnx'));
    fs.copyFileSync(IRIS, path.join(dir, 'other.onnx'));
    expect(configError(['serve'], { MODELFLEET_MODEL_DIR: dir })).toBe('EDGE_ERR_CONFIG_MODEL_NOT_FOUND');
    expect(configError(['serve'], { MODELFLEET_MODEL_DIR: path.join(dir, 'missing') })).toBe('EDGE_ERR_CONFIG_MODEL_NOT_FOUND');
  });

  test.each([
    ['an unknown flag', ['serve', '--model', IRIS, '--bogus'], 'EDGE_ERR_CONFIG_UNKNOWN_FLAG'],
    ['an unknown command', ['train', '--model', IRIS], 'EDGE_ERR_CONFIG_UNKNOWN_COMMAND'],
    ['a port out of range', ['serve', '--model', IRIS, '--port', '70000'], 'EDGE_ERR_CONFIG_BAD_VALUE'],
    ['a port that is not a number', ['serve', '--model', IRIS, '--port', 'http'], 'EDGE_ERR_CONFIG_BAD_VALUE'],
    ['--max-batch 0', ['serve', '--model', IRIS, '--max-batch', '0'], 'EDGE_ERR_CONFIG_BAD_VALUE'],
    ['fractional threads', ['serve', '--model', IRIS, '--threads', '1.5'], 'EDGE_ERR_CONFIG_BAD_VALUE'],
    ['more workers than threads', ['serve', '--model', IRIS, '--threads', '1', '--workers', '2'], 'EDGE_ERR_CONFIG_BAD_VALUE'],
    ['an unknown log level', ['serve', '--model', IRIS, '--log-level', 'loud'], 'EDGE_ERR_CONFIG_BAD_VALUE'],
    ['a non-boolean --batching', ['serve', '--model', IRIS, '--batching', 'maybe'], 'EDGE_ERR_CONFIG_BAD_VALUE'],
    ['a name with a slash', ['serve', '--model', IRIS, '--name', 'a/b'], 'EDGE_ERR_CONFIG_BAD_VALUE'],
    ['a flag without its value', ['serve', '--model', IRIS, '--port'], 'EDGE_ERR_CONFIG_BAD_VALUE'],
    ['a missing model file', ['serve', '--model', '/nonexistent/model.onnx'], 'EDGE_ERR_CONFIG_MODEL_NOT_FOUND'],
    ['a missing token file', ['serve', '--model', IRIS, '--token-file', '/nonexistent/token'], 'EDGE_ERR_CONFIG_TOKEN_FILE'],
  ])('fails on %s with the code', (_what, argv, code) => {
    expect(configError(argv as string[])).toBe(code);
  });

  test('fails on a bad MODELFLEET_ variable naming the variable', () => {
    expect(() => parseConfig(['serve', '--model', IRIS], { MODELFLEET_MAX_QUEUE: '-3' }, ctx)).toThrow(/MODELFLEET_MAX_QUEUE has the value "-3"/);
  });

  test('an empty token file is refused', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 't'), '\n');
    expect(configError(['serve', '--model', IRIS, '--token-file', path.join(dir, 't')])).toBe('EDGE_ERR_CONFIG_TOKEN_FILE');
  });
});

describe('modelfleet-edge process', () => {
  test('fails before listening with exit status 2, the code and the fix on a bad flag', async () => {
    const p = spawnEdge(['serve', '--model', IRIS, '--max-batch', 'lots']);
    const { code } = await p.exit;
    expect(code).toBe(2);
    expect(p.stderr()).toMatch(/EDGE_ERR_CONFIG_BAD_VALUE: --max-batch has the value "lots".*fix:/);
    expect(p.stdout.some((l) => l.includes('"event":"listening"'))).toBe(false);
    expect(JSON.parse(p.stdout[0])).toMatchObject({ level: 'error', event: 'start_failed', code: 'EDGE_ERR_CONFIG_BAD_VALUE' });
  });

  test('--help lists every flag and exits 0', async () => {
    const p = spawnEdge(['--help']);
    expect((await p.exit).code).toBe(0);
    for (const flag of Object.keys(FLAGS)) expect(p.stdout.join('\n')).toContain(`--${flag}`);
  });

  test('--version prints package.json\'s version, also from a bundle with no package.json above it', () => {
    const want = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    // outside the repository: the version can only come from the bundle itself (esbuild define)
    const cli = path.join(tempDir(), 'cli.js');
    fs.copyFileSync(edgeBundle().cli, cli);
    const r = spawnSync(process.execPath, [cli, '--version'], { cwd: path.dirname(cli), encoding: 'utf8' });
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: `${want}\n` });
  });

  test('`serve` with MODELFLEET_* variables only: finds the model under MODELFLEET_MODEL_DIR and logs JSON lines', async () => {
    const dir = tempDir();
    fs.copyFileSync(IRIS, path.join(dir, 'flowers.onnx'));
    const p = spawnEdge(['serve'], { MODELFLEET_MODEL_DIR: dir, MODELFLEET_PORT: '0', MODELFLEET_NAME: 'petals' });
    try {
      const url = await p.url;
      expect((await getJson(`${url}/v2/models/petals`)).status).toBe(200);
      for (const line of p.stdout) expect(() => JSON.parse(line)).not.toThrow();
    } finally {
      p.child.kill('SIGTERM');
      expect((await p.exit).code).toBe(0);
    }
  });

  test('SIGHUP reloads the model file and swaps the version', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'iris.onnx');
    fs.copyFileSync(IRIS, file);
    const p = spawnEdge(['serve', '--model', file, '--port', '0', '--watch', 'false']);
    try {
      const url = await p.url;
      const before = ((await getJson(`${url}/v2/models/iris`)).json.versions as string[])[0];
      const text = Buffer.from('hup');
      fs.writeFileSync(`${file}.new`, Buffer.concat([fs.readFileSync(IRIS), Buffer.from([0x32, text.length]), text]));
      fs.renameSync(`${file}.new`, file);
      p.child.kill('SIGHUP');
      let after = before;
      for (let i = 0; i < 200 && after === before; i++) {
        await new Promise((r) => setTimeout(r, 25));
        after = ((await getJson(`${url}/v2/models/iris`)).json.versions as string[])[0];
      }
      expect(after).not.toBe(before);
    } finally {
      p.child.kill('SIGTERM');
      await p.exit;
    }
  });

  test('SIGTERM stops accepting, finishes the requests in flight and exits 0', async () => {
    const p = spawnEdge(['serve', '--model', MOBILENET, '--port', '0', '--batching', 'false', '--threads', '1']);
    const url = await p.url;
    const x = new Float32Array(4 * 3 * 224 * 224).fill(0.1);
    const requests = Array.from({ length: 4 }, () => inferBinary(url, 'mobilenet_v2', {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [4, 3, 224, 224], parameters: { binary_data_size: x.byteLength } }],
    }, [new Uint8Array(x.buffer)]));
    for (let i = 0; i < 400; i++) {
      const n = (await metric(url, 'modelfleet_edge_inflight_requests')) + (await metric(url, 'modelfleet_edge_queued_requests'));
      if (n >= 4) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    p.child.kill('SIGTERM');
    const results = await Promise.all(requests);
    for (const r of results) {
      expect(r.status).toBe(200);
      expect((r.json.outputs as { shape: number[] }[])[0].shape).toEqual([4, 1000]);
    }
    expect(await p.exit).toEqual({ code: 0, signal: null });
    await expect(fetch(`${url}/v2/health/live`)).rejects.toThrow();
    const events = p.stdout.map((l) => (JSON.parse(l) as { event: string }).event);
    expect(events).toEqual(expect.arrayContaining(['signal', 'draining', 'stopped']));
  });

  /** Policy (0 SCHED_OTHER, 3 SCHED_BATCH) and nice of every thread of a process, from /proc. */
  function threadsOf(pid: number): { tid: number; policy: number; nice: number }[] {
    return fs.readdirSync(`/proc/${pid}/task`).map((t) => {
      const stat = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
      return { tid: Number(t), nice: Number(f[19 - 3]), policy: Number(f[41 - 3]) };
    });
  }

  async function schedulingOf(args: string[], env: Record<string, string> = {}): Promise<{ logged: string; threads: { tid: number; policy: number; nice: number }[]; pid: number }> {
    const p = spawnEdge(['serve', '--model', IRIS, '--port', '0', '--threads', '2', ...args], env);
    try {
      await p.url;
      const loaded = p.stdout.map((l) => JSON.parse(l) as { event: string; scheduling?: string }).find((e) => e.event === 'model_loaded');
      return { logged: String(loaded?.scheduling), threads: threadsOf(p.child.pid!), pid: p.child.pid! };
    } finally {
      p.child.kill('SIGTERM');
      await p.exit;
    }
  }

  const linux = process.platform === 'linux' ? test : test.skip;

  linux('the inference threads run as SCHED_BATCH at nice 10 by default; the HTTP thread keeps its priority', async () => {
    const { logged, threads, pid } = await schedulingOf([]);
    expect(logged).toBe('batch, nice 10');
    const main = threads.find((t) => t.tid === pid)!;
    expect(main).toMatchObject({ policy: 0, nice: 0 });
    // the worker thread and onnxruntime's pool thread (2 intra-op threads: the caller and one pool thread)
    expect(threads.filter((t) => t.policy === 3 && t.nice === 10).length).toBeGreaterThanOrEqual(2);
    expect(threads.filter((t) => t.policy === 3 && t.nice !== 10)).toEqual([]);
  });

  linux('--worker-policy normal --worker-nice 0 leaves every thread at the default scheduling', async () => {
    const { logged, threads } = await schedulingOf(['--worker-policy', 'normal', '--worker-nice', '0']);
    expect(logged).toBe('normal, nice 0');
    expect(threads.every((t) => t.policy === 0 && t.nice === 0)).toBe(true);
  });

  linux('without chrt on PATH the runtime still serves, keeps the nice value and says why batch was not applied', async () => {
    const { logged, threads } = await schedulingOf([], { PATH: tempDir() });
    expect(logged).toBe('normal (batch not applied: chrt not found: install util-linux), nice 10');
    expect(threads.some((t) => t.policy === 3)).toBe(false);
    expect(threads.filter((t) => t.nice === 10).length).toBeGreaterThanOrEqual(2);
  });

  test('a bad --worker-policy is refused naming the value and the choices', () => {
    expect(() => parseConfig(['serve', '--model', IRIS, '--worker-policy', 'fifo'], {}, ctx)).toThrow(/--worker-policy has the value "fifo", expected batch \| normal/);
  });
});
