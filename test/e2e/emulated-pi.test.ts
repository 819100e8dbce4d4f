/**
 * The emulated Pi: a 64-bit Raspberry Pi (arm64, Cortex-A72) under qemu plays a Greengrass core device. The recipes
 * come from the synthesized cloud assembly and the artifacts from its staged assets; the device lays them out, runs
 * the lifecycle and serves the iris model, whose answers must equal the x86-64 answers. Then a model update is
 * synthesized and redeployed: only the model component changes, and the device serves the new version.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { ModelSource } from '../../constructs/model';
import { ModelStore } from '../../constructs/model-store';
import { EdgePlatform, ModelComponent, ModelServerComponent, NodeRuntimeComponent } from '../../constructs/greengrass/components';
import { buildEdgeArtifacts } from '../../scripts/build-edge-artifacts';
import { irisToOnnx, trainIris } from '../../scripts/iris-model';
import { PublishedStack } from './cloud-assembly';
import { arm64EmulationProblem, EmulatedDevice } from './emulated-device';

const ROOT = path.resolve(__dirname, '..', '..');
const IRIS = path.join(ROOT, 'models', 'iris.onnx');
const STACK = 'EdgeE2E';
const ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5], [4.9, 2.4, 3.3, 1.0]];

interface Synthesized {
  readonly published: PublishedStack;
  readonly names: { readonly node: string; readonly server: string; readonly model: string };
  readonly modelVersion: string;
}

function synthesize(outdir: string, modelFile: string): Synthesized {
  const app = new App({ outdir });
  const stack = new Stack(app, STACK);
  const store = new ModelStore(stack, 'Store');
  const model = store.addModel('iris', ModelSource.fromAsset(modelFile));
  // A Pi fleet: arm64 only (the x86-64 manifests are covered by the component tests).
  const node = new NodeRuntimeComponent(stack, 'NodeRuntime', { bucket: store.bucket, platforms: [EdgePlatform.LINUX_ARM64] });
  const server = new ModelServerComponent(stack, 'ModelServer', { bucket: store.bucket, nodeRuntime: node });
  const component = new ModelComponent(stack, 'IrisOnPi', { model, modelServer: server });
  app.synth();
  return {
    published: PublishedStack.read(outdir, STACK),
    names: { node: node.componentName, server: server.componentName, model: component.componentName },
    modelVersion: model.version,
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitReady(port: number, seconds: number, device: EmulatedDevice, component: string): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v2/health/ready`);
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the emulated Pi's server on port ${port} was not ready within ${seconds} s (${last}); `
    + `its log:\n${device.log(component).slice(-4000)}`);
}

interface V2Output { name: string; datatype: string; shape: number[]; data: number[] }

async function inferOnDevice(port: number): Promise<{ model_version: string; outputs: V2Output[] }> {
  const res = await fetch(`http://127.0.0.1:${port}/v2/models/iris/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [ROWS.length, 4], data: ROWS.flat() }] }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`inference on the emulated Pi answered ${res.status}: ${text}`);
  return JSON.parse(text) as { model_version: string; outputs: V2Output[] };
}

/**
 * The x86-64 answer: onnxruntime-node on the same model file, in a plain Node child process (onnxruntime's typed-array
 * checks fail across jest's realms).
 */
function inferHere(modelFile: string): { probabilities: number[]; label: number[] } {
  const script = `
    const ort = require('onnxruntime-node');
    const [file, rows] = [process.argv[1], JSON.parse(process.argv[2])];
    ort.InferenceSession.create(file).then(async (s) => {
      const out = await s.run({ features: new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 4]) });
      process.stdout.write(JSON.stringify({
        probabilities: Array.from(out.probabilities.data),
        label: Array.from(out.label.data, Number),
      }));
    });`;
  const res = spawnSync(process.execPath, ['-e', script, modelFile, JSON.stringify(ROWS)], { cwd: ROOT, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`onnxruntime on x86-64 failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as { probabilities: number[]; label: number[] };
}

function expectSameAnswer(device: { outputs: V2Output[] }, here: { probabilities: number[]; label: number[] }): void {
  const probabilities = device.outputs.find((o) => o.name === 'probabilities');
  const label = device.outputs.find((o) => o.name === 'label');
  expect(probabilities?.shape).toEqual([ROWS.length, 3]);
  expect(label?.data).toEqual(here.label);
  expect(probabilities?.data).toHaveLength(here.probabilities.length);
  probabilities!.data.forEach((v, i) => expect(Math.abs(v - here.probabilities[i])).toBeLessThanOrEqual(1e-5));
}

describe('the emulated Pi (arm64 under qemu, Cortex-A72)', () => {
  const problem = arm64EmulationProblem();
  let work: string;
  let device: EmulatedDevice | undefined;

  beforeAll(async () => {
    if (problem) {
      throw new Error(`arm64 emulation is not available: ${problem}. Run \`sudo scripts/setup-arm64-emulation.sh\` `
        + '(CI does it in .ci/run) and run the tests as root.');
    }
    await buildEdgeArtifacts();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'modelfleet-e2e-'));
    fs.chmodSync(work, 0o755);
  }, 300_000);

  afterAll(async () => {
    await device?.stopAll();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('serves the iris model with the x86-64 answer, then receives a model update that changes only the model component', async () => {
    const port = await freePort();
    const v1 = synthesize(path.join(work, 'cdk.out.v1'), IRIS);
    device = new EmulatedDevice({ root: path.join(work, 'greengrass', 'v2'), architecture: 'aarch64' });
    const targets = (s: Synthesized) => [
      { name: s.names.node, version: s.published.component(s.names.node).version },
      { name: s.names.server, version: s.published.component(s.names.server).version },
      { name: s.names.model, version: s.published.component(s.names.model).version, merge: { port: String(port) } },
    ];

    const first = await device.deploy(v1.published, targets(v1));
    expect(first.installed).toHaveLength(3);
    expect(first.started).toEqual([`${v1.names.model}@${v1.published.component(v1.names.model).version}`]);
    await waitReady(port, 120, device, v1.names.model);
    const answer1 = await inferOnDevice(port);
    expect(answer1.model_version).toBe(v1.modelVersion);
    expectSameAnswer(answer1, inferHere(IRIS));

    // A model update: the same contract, other weights (a retrained model).
    const weights = trainIris();
    const updated = path.join(work, 'iris-retrained.onnx');
    fs.writeFileSync(updated, irisToOnnx({ ...weights, weights: weights.weights.map((row) => row.map((w) => w * 0.5)) }));
    const v2 = synthesize(path.join(work, 'cdk.out.v2'), updated);
    expect(v2.modelVersion).not.toBe(v1.modelVersion);
    expect(v2.published.component(v2.names.node).version).toBe(v1.published.component(v1.names.node).version);
    expect(v2.published.component(v2.names.server).version).toBe(v1.published.component(v1.names.server).version);
    expect(v2.published.component(v2.names.model).version).not.toBe(v1.published.component(v1.names.model).version);

    const second = await device.deploy(v2.published, targets(v2));
    expect(second.installed).toEqual([`${v2.names.model}@${v2.published.component(v2.names.model).version}`]);
    await waitReady(port, 120, device, v2.names.model);
    const answer2 = await inferOnDevice(port);
    expect(answer2.model_version).toBe(v2.modelVersion);
    const here2 = inferHere(updated);
    expectSameAnswer(answer2, here2);
    expect(here2.probabilities).not.toEqual((inferHere(IRIS)).probabilities);
  }, 240_000);
});
