/**
 * The SageMaker container contract, exercised for real: /app is what edge/Dockerfile's unpack stage makes of the
 * package's prebuilt linux-x64 runtime zip (dist/edge-artifacts, with the image context's own unzip.js: cli.js and
 * worker.js side by side, onnxruntime-node for linux-x64 beside them), started the way SageMaker starts the image
 * (`node /app/cli.js serve`, the environment of the synthesized AWS::SageMaker::Model, the store's model prefix under a
 * stand-in for /opt/ml/model), and called on GET /ping and POST /invocations.
 *
 * Two deviations from the real container, both forced by this sandbox: the host is 127.0.0.1 and the port a free
 * one (flags, which win over the MODELFLEET_* environment); the template's own values (0.0.0.0:8080) are asserted.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ModelSource } from '../../../constructs/model';
import { ModelStore } from '../../../constructs/model-store';
import { SageMakerEndpoint } from '../../../constructs/sagemaker';
import { freePort } from '../../helpers/free-port';
import { stopChild, waitForHttp200 } from '../../helpers/spawn-runtime';
import { makeTmpDir, removeTmpDir } from '../../helpers/tmp-model';
import { buildEdgeArtifacts } from '../../../scripts/build-edge-artifacts';
import { TEST_IMAGE } from './fixtures';

const REPO = path.resolve(__dirname, '..', '..', '..');
const SAMPLE = [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3];

interface V2Output { name: string; datatype: string; shape: number[]; data: number[] }
interface V2Response { model_name: string; model_version: string; outputs: V2Output[] }

let work: string;
let child: ChildProcess | undefined;
let exited: Promise<number | null>;
let base: string;
let environment: Record<string, string>;
let stdout = '';
let appFiles: string[];

/** Every path under the app directory. */
function listTree(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}

/**
 * The baseline: the same model run by onnxruntime-node directly, in a child process (inside Jest's sandbox the
 * binding's typed arrays come from another realm and fail onnxruntime-common's instanceof checks).
 */
function inProcess(data: number[], shape: number[]): { probabilities: number[]; label: number[] } {
  const script = `
    const ort = require('onnxruntime-node');
    (async () => {
      const s = await ort.InferenceSession.create(process.argv[1]);
      const r = await s.run({ features: new ort.Tensor('float32', Float32Array.from(JSON.parse(process.argv[2])), JSON.parse(process.argv[3])) });
      process.stdout.write(JSON.stringify({ probabilities: Array.from(r.probabilities.data), label: Array.from(r.label.data, Number) }));
    })();`;
  const out = execFileSync(process.execPath, ['-e', script, path.join(REPO, 'models', 'iris.onnx'), JSON.stringify(data),
    JSON.stringify(shape)], { cwd: REPO, encoding: 'utf8' });
  return JSON.parse(out) as { probabilities: number[]; label: number[] };
}

/** Lays out /app as edge/Dockerfile's unpack stage does: `node unzip.js <x64 runtime zip> /app`. */
async function bundleApp(app: string): Promise<string> {
  const artifacts = path.join(REPO, 'dist', 'edge-artifacts');
  execFileSync(process.execPath, [path.join(artifacts, 'serving-image', 'unzip.js'),
    path.join(artifacts, 'runtime-linux-x64', 'modelfleet-edge-linux-x64.zip'), app], { stdio: 'pipe' });
  return path.join(app, 'cli.js');
}

/** Synthesizes the endpoint over a real model store; returns the Model's environment and the staged model prefix. */
function synthesize(): { env: Record<string, string>; prefixDir: string; version: string } {
  // no asset copies into cdk.out (the store's upload Lambda layer is large): templates are all this test reads
  const app = new App({
    outdir: path.join(work, 'cdk.out'),
    context: { 'aws:cdk:disable-asset-staging': true },
    builtinCloudFormationValidation: false,
  });
  const stack = new Stack(app, 'Serving', { env: { account: '123456789012', region: 'eu-west-1' } });
  const store = new ModelStore(stack, 'Store');
  const model = store.addModel('iris', ModelSource.fromAsset(path.join(REPO, 'models', 'iris.onnx')));
  new SageMakerEndpoint(stack, 'Endpoint', { model, image: TEST_IMAGE, maxBatch: 4 });
  const models = Object.values(Template.fromStack(stack).findResources('AWS::SageMaker::Model'));
  expect(models).toHaveLength(1);
  const env = models[0].Properties.PrimaryContainer.Environment as Record<string, string>;
  return { env, prefixDir: path.dirname(model.localContractPath!), version: model.version };
}

beforeAll(async () => {
  work = makeTmpDir('modelfleet-sagemaker-contract-');
  await buildEdgeArtifacts();
  const cli = await bundleApp(path.join(work, 'app'));
  const synth = synthesize();
  environment = synth.env;

  // the stand-in for /opt/ml/model: exactly the files under the store prefix (model.onnx, contract.json)
  const modelDir = path.join(work, 'opt', 'ml', 'model');
  fs.mkdirSync(modelDir, { recursive: true });
  for (const f of fs.readdirSync(synth.prefixDir)) fs.copyFileSync(path.join(synth.prefixDir, f), path.join(modelDir, f));

  appFiles = listTree(path.join(work, 'app'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [cli, 'serve', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: path.join(work, 'app'),
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOME: '/tmp', ...environment, MODELFLEET_MODEL_DIR: modelDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stdout += d.toString(); });
  exited = new Promise((resolve) => child!.once('exit', (code) => resolve(code)));
  await waitForHttp200(`${base}/ping`, child, { attempts: 150, intervalMs: 200, output: () => stdout });
});

afterAll(async () => {
  await stopChild(child, 'SIGKILL');
  removeTmpDir(work);
});

describe('SageMaker container contract', () => {
  test('the synthesized model environment serves on 0.0.0.0:8080 with the store\'s name and version', () => {
    expect(environment).toMatchObject({
      MODELFLEET_HOST: '0.0.0.0',
      MODELFLEET_PORT: '8080',
      MODELFLEET_NAME: 'iris',
      MODELFLEET_MAX_BATCH: '4',
    });
    expect(environment.MODELFLEET_MODEL_VERSION).toMatch(/^[0-9a-f]{12}$/);
  });

  test('GET /ping answers 200', async () => {
    const res = await fetch(`${base}/ping`);
    expect(res.status).toBe(200);
  });

  test('POST /invocations with a V2 JSON body answers what onnxruntime answers in-process', async () => {
    const res = await fetch(`${base}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 4], data: SAMPLE }] }),
    });
    expect(res.status).toBe(200);
    const body = await res.json() as V2Response;
    expect(body.model_name).toBe('iris');
    expect(body.model_version).toBe(environment.MODELFLEET_MODEL_VERSION);

    const expected = inProcess(SAMPLE, [2, 4]);
    const probabilities = body.outputs.find((o) => o.name === 'probabilities')!;
    const label = body.outputs.find((o) => o.name === 'label')!;
    expect(probabilities).toMatchObject({ datatype: 'FP32', shape: [2, 3] });
    const want = expected.probabilities;
    probabilities.data.forEach((p, i) => expect(p).toBeCloseTo(want[i], 5));
    expect(label).toMatchObject({ datatype: 'INT64', shape: [2] });
    expect(label.data.map(Number)).toEqual(expected.label);
    expect(label.data.map(Number)).toEqual([0, 2]); // setosa, virginica
  });

  test('POST /invocations takes binary tensors as SageMaker passes them (json-header-size in the content type)', async () => {
    const header = Buffer.from(JSON.stringify({
      inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 4], parameters: { binary_data_size: 32 } }],
    }));
    const tensor = Buffer.from(Float32Array.from(SAMPLE).buffer);
    const res = await fetch(`${base}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': `application/vnd.sagemaker-triton.binary+json;json-header-size=${header.length}` },
      body: Buffer.concat([header, tensor]),
    });
    expect(res.status).toBe(200);
    const text = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type') ?? '';
    const size = /json-header-size=(\d+)/.exec(type);
    const json = JSON.parse(text.subarray(0, size ? Number(size[1]) : text.length).toString()) as V2Response;
    expect(json.model_name).toBe('iris');
    expect(json.outputs.map((o) => o.name).sort()).toEqual(['label', 'probabilities']);
  });

  test('a malformed request gets a 400 with an error code, not a crash', async () => {
    const res = await fetch(`${base}/invocations`, { method: 'POST', body: '{"inputs": 3}' });
    expect(res.status).toBe(400);
    const body = await res.json() as { code: string };
    expect(body.code).toMatch(/^EDGE_ERR_REQ_/);
    expect((await fetch(`${base}/ping`)).status).toBe(200);
  });

  test('SIGTERM stops the runtime cleanly (SageMaker sends SIGKILL 30 s later)', async () => {
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  test('wrote nothing into the application or model directories (a read-only root file system suffices)', () => {
    expect(listTree(path.join(work, 'app'))).toEqual(appFiles);
    expect(fs.readdirSync(path.join(work, 'opt', 'ml', 'model')).sort()).toEqual(['contract.json', 'model.onnx']);
  });
});
