import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run, VerifyIo } from '../../bin/commands/verify';
import { GoldenDocument, runGoldenInferences, sampleRequest, stopGoldenWorker } from '../../constructs/fleet/private/golden';
import { freePort } from '../helpers/free-port';
import { stopChild, waitForHttp200 } from '../helpers/spawn-runtime';
import { makeTmpDir, removeTmpDir } from '../helpers/tmp-model';

// `modelfleet verify` against the real runtime (`npm run build` first: the test starts dist/edge/cli.js).
const ROOT = path.join(__dirname, '../..');
const IRIS = path.join(ROOT, 'models/iris.onnx');
const CLI = path.join(ROOT, 'dist/edge/cli.js');

let dir: string;
let runtime: ChildProcess;
let base: string;
let golden: GoldenDocument;

function capture(): VerifyIo & { text(): string } {
  const lines: string[] = [];
  return { out: (l) => lines.push(l), err: (l) => lines.push(l), text: () => lines.join('\n') };
}

function writeTarget(doc: GoldenDocument): string {
  const assembly = fs.mkdtempSync(path.join(dir, 'cdk.out-'));
  fs.mkdirSync(path.join(assembly, 'modelfleet/iris/v1'), { recursive: true });
  fs.writeFileSync(path.join(assembly, 'modelfleet/iris/v1/golden.json'), JSON.stringify(doc));
  fs.writeFileSync(path.join(assembly, 'outputs.json'), JSON.stringify({
    Fleet: { ModelFleetVerifyIris: JSON.stringify({ modelfleet: 1, model: 'iris', version: 'v1', goldenAssemblyPath: 'modelfleet/iris/v1/golden.json' }) },
  }));
  return assembly;
}

beforeAll(async () => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  dir = makeTmpDir('verify-runtime-');
  // The golden response, computed the way synth computes it.
  const request = sampleRequest([{ name: 'features', datatype: 'FP32', shape: [-1, 4] }]);
  const [result] = runGoldenInferences([{ name: 'iris', version: 'v1', modelPath: IRIS, sha256: 'iris-test', request }]);
  golden = { model: 'iris', version: 'v1', request, response: result.response!, tolerance: 1e-5 };
  const port = await freePort();
  runtime = spawn(process.execPath, [CLI, 'serve', '--model', IRIS, '--port', String(port), '--threads', '1', '--log-level', 'error'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  base = `http://127.0.0.1:${port}`;
  await waitForHttp200(`${base}/v2/health/ready`, runtime);
});

afterAll(async () => {
  await stopGoldenWorker();
  await stopChild(runtime);
  removeTmpDir(dir);
});

describe('modelfleet verify against the edge runtime', () => {
  test('passes when the runtime answers the golden request with the golden response', async () => {
    const assembly = writeTarget(golden);
    const io = capture();
    const code = await run(['--outputs', path.join(assembly, 'outputs.json'), '--assembly', assembly, '--url', `pi-01=${base}`], io);
    expect(io.text()).toContain(`ok    pi-01 (${base}/v2/models/iris/infer) matches the golden response`);
    expect(code).toBe(0);
  });

  test('runs as `modelfleet verify` from the built command line', () => {
    const file = path.join(dir, 'golden-cli.json');
    fs.writeFileSync(file, JSON.stringify(golden));
    const result = spawnSync(process.execPath, [path.join(ROOT, 'dist/bin/modelfleet.js'), 'verify', '--golden', file,
      '--url', `pi-01=${base}`], { encoding: 'utf8', timeout: 30_000 });
    expect(result.stdout).toContain('ok    pi-01');
    expect(result.status).toBe(0);
    const failing = spawnSync(process.execPath, [path.join(ROOT, 'dist/bin/modelfleet.js'), 'verify', '--golden', file,
      '--url', 'gone=http://127.0.0.1:1'], { encoding: 'utf8', timeout: 30_000 });
    expect(failing.status).toBe(1);
    expect(failing.stderr).toContain('1 target(s) failed: iris/gone');
  });

  test('checks HTTP targets from a golden.json alone, with no stack outputs', async () => {
    const file = path.join(dir, 'golden.json');
    fs.writeFileSync(file, JSON.stringify(golden));
    const io = capture();
    expect(await run(['--golden', file, '--url', `laptop=${base}`], io)).toBe(0);
    expect(io.text()).toContain('local: model iris version v1');
    expect(io.text()).toContain('ok    laptop');
  });

  test('fails with a diff naming the target when the answer is off by more than the tolerance', async () => {
    const outputs = golden.response.outputs.map((o) => (o.name === 'probabilities'
      ? { ...o, data: (o.data as number[]).map((v, i) => (i === 1 ? v + 0.01 : v)) }
      : o));
    const assembly = writeTarget({ ...golden, response: { ...golden.response, outputs } });
    const io = capture();
    const code = await run(['--outputs', path.join(assembly, 'outputs.json'), '--assembly', assembly, '--url', `pi-01=${base}`], io);
    expect(code).toBe(1);
    expect(io.text()).toContain(`FAIL  pi-01 (${base}/v2/models/iris/infer):`);
    expect(io.text()).toMatch(/output 'probabilities'\[1\]: got [-\d.e]+, expected [-\d.e]+ \(off by 1\.00e-2\)/);
    expect(io.text()).toContain('1 target(s) failed: iris/pi-01');
  });

  test('fails naming the target when the runtime refuses the request', async () => {
    const bad = { ...golden, request: { inputs: [{ ...golden.request.inputs[0], shape: [1, 3], data: [1, 2, 3] }] } };
    const assembly = writeTarget(bad);
    const io = capture();
    const code = await run(['--outputs', path.join(assembly, 'outputs.json'), '--assembly', assembly, '--url', `pi-01=${base}`], io);
    expect(code).toBe(1);
    expect(io.text()).toMatch(/FAIL {2}pi-01 .*\n.*HTTP 400 .*EDGE_ERR_/);
  });
});
