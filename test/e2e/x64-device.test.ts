/**
 * A native x86-64 core device (Greengrass `amd64`, no emulation): the amd64 manifests end to end, and the model
 * component's readiness gate. A server that cannot become ready (its port is taken) fails the `Install` step three
 * times, so the component is BROKEN and the deployment fails instead of reporting a RUNNING component that serves
 * nothing. After a reboot (every Install runs again) the model is checked no second time and serves.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { ModelSource } from '../../constructs/model';
import { ModelStore } from '../../constructs/model-store';
import { EdgePlatform, ModelComponent, ModelServerComponent, NodeRuntimeComponent } from '../../constructs/greengrass/components';
import { buildEdgeArtifacts } from '../../scripts/build-edge-artifacts';
import { PublishedStack } from './cloud-assembly';
import { arm64EmulationProblem, EmulatedDevice } from './emulated-device';

const IRIS = path.resolve(__dirname, '..', '..', 'models', 'iris.onnx');

describe('an x86-64 core device', () => {
  let work: string;
  let device: EmulatedDevice | undefined;
  let blocker: http.Server | undefined;

  beforeAll(async () => {
    // Same needs as the emulated Pi, except qemu: root for unshare and setpriv.
    const problem = arm64EmulationProblem();
    if (problem?.includes('root')) throw new Error(`the emulated device cannot run: ${problem}`);
    await buildEdgeArtifacts();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'modelfleet-x64-'));
    fs.chmodSync(work, 0o755);
  }, 300_000);

  afterAll(async () => {
    await device?.stopAll();
    blocker?.closeAllConnections();
    blocker?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('fails the deployment when the server cannot become ready, and serves once it can', async () => {
    // Something else holds the port and is not our server.
    blocker = http.createServer((_req, res) => { res.statusCode = 503; res.end(); });
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;

    const outdir = path.join(work, 'cdk.out');
    const app = new App({ outdir });
    const stack = new Stack(app, 'X64');
    const store = new ModelStore(stack, 'Store');
    const iris = store.addModel('iris', ModelSource.fromAsset(IRIS));
    const nodeRuntime = new NodeRuntimeComponent(stack, 'Node', { bucket: store.bucket, platforms: [EdgePlatform.LINUX_X64] });
    const modelServer = new ModelServerComponent(stack, 'Server', { bucket: store.bucket, nodeRuntime });
    const model = new ModelComponent(stack, 'Iris', { model: iris, modelServer, readinessTimeout: Duration.seconds(30) });
    app.synth();
    const published = PublishedStack.read(outdir, 'X64');
    device = new EmulatedDevice({ root: path.join(work, 'greengrass', 'v2'), architecture: 'amd64' });
    const targets = [{ name: model.componentName, version: model.componentVersion, merge: { port: String(port) } }];

    await expect(device.deploy(published, targets)).rejects.toThrow(`${model.componentName}@${model.componentVersion}: Install exited 1 3 times in a row: BROKEN`);
    expect(device.log(model.componentName)).toMatch(/exited before http:\/\/127\.0\.0\.1:\d+\/v2\/health\/ready answered 200/);

    blocker.closeAllConnections();
    await new Promise<void>((r) => blocker!.close(() => r()));
    blocker = undefined;
    const result = await device.deploy(published, targets);
    expect(result.started).toEqual([`${model.componentName}@${model.componentVersion}`]);
    let ready = 0;
    for (let i = 0; i < 240 && ready !== 200; i++) {
      ready = await fetch(`http://127.0.0.1:${port}/v2/health/ready`).then((r) => r.status, () => 0);
      if (ready !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(ready).toBe(200);
    const res = await fetch(`http://127.0.0.1:${port}/v2/models/iris/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] }),
    });
    const body = await res.json() as { model_version: string; outputs: { name: string; data: number[] }[] };
    expect(body.model_version).toBe(iris.version);
    expect(body.outputs.find((o) => o.name === 'label')?.data).toEqual([0]);

    // A reboot: the nucleus runs every Install again; the model's readiness check already passed for this version.
    const checks = (): number => device!.log(model.componentName).split('modelfleet: ready at').length - 1;
    expect(checks()).toBe(1);
    const rebooted = await device.restart();
    expect(rebooted.installed).toHaveLength(3);
    expect(rebooted.started).toEqual([`${model.componentName}@${model.componentVersion}`]);
    expect(device.log(model.componentName)).toContain('the readiness check already passed for this version');
    expect(checks()).toBe(1);
    ready = 0;
    for (let i = 0; i < 240 && ready !== 200; i++) {
      ready = await fetch(`http://127.0.0.1:${port}/v2/health/ready`).then((r) => r.status, () => 0);
      if (ready !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(ready).toBe(200);
  }, 180_000);
});
