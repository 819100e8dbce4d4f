import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { run, VerifyIo } from '../../bin/commands/verify';
import { GoldenDocument } from '../../constructs/fleet/private/golden';

const GOLDEN: GoldenDocument = {
  model: 'iris',
  version: 'abc123',
  request: { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] },
  response: {
    model_name: 'iris',
    model_version: 'abc123',
    outputs: [
      { name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: [0.9, 0.08, 0.02] },
      { name: 'label', datatype: 'INT64', shape: [1], data: [0] },
    ],
  },
  tolerance: 1e-5,
};

const sagemaker = mockClient(SageMakerClient);
const runtime = mockClient(SageMakerRuntimeClient);

let dir: string;
let outputsFile: string;

function capture(): VerifyIo & { lines: string[]; text(): string } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(l), text: () => lines.join('\n') };
}

function writeOutputs(target: Record<string, unknown>): void {
  fs.writeFileSync(outputsFile, JSON.stringify({
    IrisStack: {
      SomethingElse: 'x',
      ModelFleetVerifyIris: JSON.stringify({
        modelfleet: 1, model: 'iris', version: 'abc123', region: 'eu-west-1',
        goldenAssemblyPath: 'modelfleet/iris/abc123/golden.json', ...target,
      }),
    },
  }));
}

/** A response body as the SDK hands it over: bytes that can also turn themselves into a string. */
function blob(text: string): Buffer & { transformToString(): string } {
  return Object.assign(Buffer.from(text), { transformToString: () => text });
}

function answer(probabilities: number[]): Buffer & { transformToString(): string } {
  return blob(JSON.stringify({
    model_name: 'iris',
    outputs: [
      { name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: probabilities },
      { name: 'label', datatype: 'INT64', shape: [1], data: [0] },
    ],
  }));
}

beforeEach(() => {
  sagemaker.reset();
  runtime.reset();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-'));
  outputsFile = path.join(dir, 'outputs.json');
  fs.mkdirSync(path.join(dir, 'cdk.out/modelfleet/iris/abc123'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'cdk.out/modelfleet/iris/abc123/golden.json'), JSON.stringify(GOLDEN));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('modelfleet verify: SageMaker', () => {
  test('waits for InService, invokes the endpoint with the golden request and passes on a matching answer', async () => {
    writeOutputs({ sagemakerEndpointName: 'IrisEndpoint-1' });
    sagemaker.on(DescribeEndpointCommand)
      .resolvesOnce({ EndpointStatus: 'Creating' })
      .resolves({ EndpointStatus: 'InService' });
    runtime.on(InvokeEndpointCommand).resolves({ Body: answer([0.900003, 0.08, 0.02]) });
    const io = capture();
    const code = await run(['--outputs', outputsFile, '--assembly', path.join(dir, 'cdk.out'), '--poll-seconds', '0.01'], io);
    expect(io.text()).toContain('endpoint IrisEndpoint-1 is Creating');
    expect(io.text()).toContain('endpoint IrisEndpoint-1 is InService');
    expect(io.text()).toContain('ok    sagemaker (IrisEndpoint-1)');
    expect(code).toBe(0);
    const invoke = runtime.commandCalls(InvokeEndpointCommand)[0].args[0].input;
    expect(invoke.EndpointName).toBe('IrisEndpoint-1');
    expect(invoke.ContentType).toBe('application/json');
    expect(JSON.parse(Buffer.from(invoke.Body as Uint8Array).toString())).toEqual(GOLDEN.request);
  });

  test('fails with a diff naming the target when the endpoint answers differently', async () => {
    writeOutputs({ sagemakerEndpointName: 'IrisEndpoint-1' });
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService' });
    runtime.on(InvokeEndpointCommand).resolves({ Body: answer([0.5, 0.48, 0.02]) });
    const io = capture();
    const code = await run(['--outputs', outputsFile, '--assembly', path.join(dir, 'cdk.out')], io);
    expect(code).toBe(1);
    expect(io.text()).toContain('FAIL  sagemaker (IrisEndpoint-1)');
    expect(io.text()).toContain("output 'probabilities'[0]: got 0.5, expected 0.9");
    expect(io.text()).toContain('1 target(s) failed: iris/sagemaker');
  });

  test('fails with the failure reason when the endpoint is Failed', async () => {
    writeOutputs({ sagemakerEndpointName: 'IrisEndpoint-1' });
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'Failed', FailureReason: 'image not found' });
    const io = capture();
    const code = await run(['--outputs', outputsFile, '--assembly', path.join(dir, 'cdk.out'), '--poll-seconds', '0.01'], io);
    expect(code).toBe(1);
    expect(io.text()).toContain('endpoint IrisEndpoint-1 is Failed: image not found');
    expect(runtime.commandCalls(InvokeEndpointCommand)).toHaveLength(0);
  });

  test('fails when the endpoint is not InService within the timeout', async () => {
    writeOutputs({ sagemakerEndpointName: 'IrisEndpoint-1' });
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'Updating' });
    const io = capture();
    const code = await run(['--outputs', outputsFile, '--assembly', path.join(dir, 'cdk.out'),
      '--poll-seconds', '0.01', '--timeout-minutes', '0.002'], io);
    expect(code).toBe(1);
    expect(io.text()).toMatch(/endpoint IrisEndpoint-1 was not InService after [\d.]+ minutes \(last status: Updating\)/);
  });

  test('skips SageMaker when asked', async () => {
    writeOutputs({ sagemakerEndpointName: 'IrisEndpoint-1' });
    const io = capture();
    const code = await run(['--outputs', outputsFile, '--assembly', path.join(dir, 'cdk.out'), '--skip-sagemaker'], io);
    expect(code).toBe(0);
    expect(io.text()).toContain('no target to check');
    expect(sagemaker.calls()).toHaveLength(0);
  });
});

describe('modelfleet verify: HTTP targets', () => {
  let server: http.Server;
  let base: string;
  let reply: (body: string) => [number, string];
  const seen: Array<{ url?: string; auth?: string; body: string }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        seen.push({ url: req.url, auth: req.headers.authorization, body });
        const [status, text] = reply(body);
        res.writeHead(status, { 'content-type': 'application/json' }).end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => { await new Promise((resolve) => server.close(resolve)); });
  beforeEach(() => { seen.length = 0; });

  test('posts the golden request to /v2/models/<model>/infer of every --url, with the bearer token', async () => {
    writeOutputs({});
    reply = () => [200, answer([0.9, 0.08, 0.02]).toString()];
    fs.writeFileSync(path.join(dir, 'token'), 'secret\n');
    const io = capture();
    const code = await run(['--outputs', outputsFile, '--assembly', path.join(dir, 'cdk.out'),
      '--url', `pi-01=${base}`, '--url', `pi-02=${base}/`, '--token-file', path.join(dir, 'token')], io);
    expect(code).toBe(0);
    expect(seen.map((s) => s.url)).toEqual(['/v2/models/iris/infer', '/v2/models/iris/infer']);
    expect(seen[0].auth).toBe('Bearer secret');
    expect(JSON.parse(seen[0].body)).toEqual(GOLDEN.request);
    expect(io.text()).toContain('ok    pi-01');
    expect(io.text()).toContain('ok    pi-02');
  });

  test('calls the Kubernetes service URL from the outputs, or the one given', async () => {
    writeOutputs({ kubernetesServiceUrl: `${base}/v2/models/iris/versions/abc123/infer` });
    reply = () => [200, answer([0.9, 0.08, 0.02]).toString()];
    const io = capture();
    expect(await run(['--outputs', outputsFile, '--assembly', path.join(dir, 'cdk.out')], io)).toBe(0);
    expect(seen[0].url).toBe('/v2/models/iris/versions/abc123/infer');
    expect(await run(['--outputs', outputsFile, '--assembly', path.join(dir, 'cdk.out'), '--kubernetes-url', base], io)).toBe(0);
    expect(seen[1].url).toBe('/v2/models/iris/infer');
    expect(io.text()).toContain('ok    kubernetes');
  });

  test('fails naming the target and quoting the error when a target answers with an error', async () => {
    writeOutputs({});
    reply = () => [400, '{"error":"input features has shape [1, 4]","code":"EDGE_ERR_X"}'];
    const io = capture();
    const code = await run(['--outputs', outputsFile, '--assembly', path.join(dir, 'cdk.out'), '--url', `pi-07=${base}`], io);
    expect(code).toBe(1);
    expect(io.text()).toContain('FAIL  pi-07');
    expect(io.text()).toContain('HTTP 400');
    expect(io.text()).toContain('EDGE_ERR_X');
    expect(io.text()).toContain('failed: iris/pi-07');
  });

  test('on a 404 says the local runtime names the model after its file and how to match the fleet\'s name', async () => {
    writeOutputs({});
    reply = () => [404, '{"error":"no model named iris","code":"EDGE_ERR_MODEL_NOT_FOUND"}'];
    const io = capture();
    expect(await run(['--outputs', outputsFile, '--assembly', path.join(dir, 'cdk.out'), '--url', `laptop=${base}`], io)).toBe(1);
    expect(io.text()).toContain('The target serves no model named \'iris\'');
    expect(io.text()).toContain('start the runtime with --name iris (or MODELFLEET_NAME=iris)');
  });

  test('fails when a target cannot be reached', async () => {
    writeOutputs({});
    const io = capture();
    const code = await run(['--outputs', outputsFile, '--assembly', path.join(dir, 'cdk.out'),
      '--url', 'gone=http://127.0.0.1:1', '--http-timeout-seconds', '5'], io);
    expect(code).toBe(1);
    expect(io.text()).toContain('FAIL  gone');
  });
});

describe('modelfleet verify: inputs', () => {
  test('uses a --golden file when the assembly has none', async () => {
    writeOutputs({ goldenAssemblyPath: 'nowhere/golden.json', sagemakerEndpointName: 'E' });
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService' });
    runtime.on(InvokeEndpointCommand).resolves({ Body: answer([0.9, 0.08, 0.02]) });
    const goldenFile = path.join(dir, 'g.json');
    fs.writeFileSync(goldenFile, JSON.stringify(GOLDEN));
    const io = capture();
    expect(await run(['--outputs', outputsFile, '--assembly', path.join(dir, 'cdk.out')], io)).toBe(1);
    expect(io.text()).toContain('no golden request for model \'iris\'');
    expect(await run(['--outputs', outputsFile, '--golden', goldenFile], io)).toBe(0);
  });

  test('fails with usage errors: no --outputs, no model in the outputs, a bad --url, an unknown option', async () => {
    writeOutputs({});
    const cases = [
      [],
      ['--outputs', outputsFile, '--model', 'resnet'],
      ['--outputs', outputsFile, '--url', 'pi-01'],
      ['--outputs', outputsFile, '--frobnicate'],
      ['--outputs', path.join(dir, 'missing.json')],
      ['--outputs', outputsFile, '--timeout-minutes', '0'],
    ];
    const messages: string[] = [];
    for (const argv of cases) {
      const io = capture();
      expect(await run(argv, io)).toBe(2);
      messages.push(io.lines[0]);
    }
    expect(messages[0]).toContain('--outputs is required');
    expect(messages[1]).toContain('no modelfleet model in');
    expect(messages[1]).toContain('named resnet');
    expect(messages[2]).toContain("--url must be NAME=http(s)://HOST:PORT, got 'pi-01'");
    expect(messages[3]).toContain('frobnicate');
    expect(messages[4]).toContain('cannot read the outputs file');
    expect(messages[5]).toContain('--timeout-minutes must be a positive number');
  });

  test('prints the usage with --help', async () => {
    const io = capture();
    expect(await run(['--help'], io)).toBe(0);
    expect(io.text()).toContain('usage: modelfleet verify');
  });
});
