import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stopGoldenWorker } from '../../constructs/fleet/private/golden';
import { ModelFleetStack } from '../../lib/modelfleet-stack';

const ROOT = path.resolve(__dirname, '..', '..');
const IRIS = path.join(ROOT, 'models', 'iris.onnx');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_CONTEXT = (require(path.join(ROOT, 'cdk.json')) as { context: Record<string, unknown> }).context;

let dir: string;
let app: App;
let stack: ModelFleetStack;
let template: Template;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelfleet-stack-'));
  // Asset staging is not what these tests look at (the CLI test below stages for real).
  app = new App({
    outdir: path.join(dir, 'cdk.out'),
    builtinCloudFormationValidation: false,
    context: { ...CDK_CONTEXT, 'aws:cdk:disable-asset-staging': true },
  });
  stack = new ModelFleetStack(app, 'ModelFleet', { modelPath: IRIS, historyFile: path.join(dir, 'history.json') });
  template = Template.fromJSON(app.synth().getStackByName('ModelFleet').template as Record<string, unknown>);
});
afterAll(async () => {
  await stopGoldenWorker();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('ModelFleetStack', () => {
  test('is environment-agnostic and stores the iris model once, in the stack\'s store', () => {
    expect(Token.isUnresolved(stack.account)).toBe(true);
    expect(Token.isUnresolved(stack.region)).toBe(true);
    expect(stack.model).toBe(stack.fleet.storedModel);
    expect(stack.model.prefix).toMatch(/^models\/iris\/[0-9a-f]{12}\/$/);
    expect(Object.keys(template.findResources('AWS::S3::Bucket')).sort())
      .toEqual(['ModelFleetResourcesStoreAccessLogsE949E926', 'ModelFleetResourcesStoreBucket6881EE46']);
  });

  test('serves the model from a SageMaker endpoint', () => {
    expect(stack.fleet.endpoint).toBeDefined();
    template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    expect(JSON.stringify(template.findResources('AWS::SageMaker::Model'))).toContain(stack.model.prefix);
  });

  test('publishes the Kubernetes workload as GitOps YAML into the store at deploy, with its URL as an output', () => {
    const k8s = stack.fleet.kubernetes!;
    expect(k8s.manifestObjectKey).toMatch(/^kubernetes\/default\/modelfleet-iris\/[0-9a-f]{16}\.yaml$/);
    const output = template.findOutputs(stack.getLogicalId(k8s.manifestUrlOutput!));
    expect(JSON.stringify(Object.values(output)[0].Value)).toContain(k8s.manifestObjectKey!);
    expect(JSON.stringify(template.findOutputs('ModelFleetVerifyIris'))).toContain('kubernetesManifestUrl');
  });

  test('deploys the Greengrass components to an edge fleet that Pis join by fleet provisioning', () => {
    template.resourceCountIs('AWS::GreengrassV2::ComponentVersion', 3);
    template.resourceCountIs('AWS::GreengrassV2::Deployment', 1);
    template.resourceCountIs('AWS::IoT::ProvisioningTemplate', 1);
    const deployment = Object.values(template.findResources('AWS::GreengrassV2::Deployment'))[0];
    expect(Object.keys(deployment.Properties.Components as object)).toContain(stack.fleet.modelComponent!.componentName);
  });

  test('registers the version in the model registry and writes the golden request into the assembly', () => {
    template.hasResourceProperties('AWS::SageMaker::ModelPackage', Match.objectLike({
      ModelPackageGroupName: 'ModelFleet-iris',
      CustomerMetadataProperties: Match.objectLike({ 'modelfleet:sha256': stack.model.sha256 }),
    }));
    const golden = JSON.parse(fs.readFileSync(path.join(app.outdir, stack.fleet.goldenAssemblyPath!), 'utf8')) as
      { model: string; version: string };
    expect(golden).toMatchObject({ model: 'iris', version: stack.model.version });
  });

  test('passes the cdk-nag AwsSolutions checks with no unacknowledged finding', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath ?? r.resourceLogicalId}: ${v.description.split('\n')[0]}`));
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  test('gives every acknowledged finding a reason that names what is granted and why', () => {
    const acknowledged = stack.node.findAll().flatMap((c) => c.node.metadata
      .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ at: c.node.path, id, reason }))));
    expect(acknowledged.length).toBeGreaterThan(0);
    const vague = acknowledged.filter((a) => a.reason.trim().split(/\s+/).length < 8);
    expect(vague).toEqual([]);
  });
});

describe('the default app (dist/bin/app.js, as `cdk synth` runs it)', () => {
  test('synthesizes offline into the given assembly directory, with the model, its contract and golden.json', () => {
    const appJs = path.join(ROOT, 'dist', 'bin', 'app.js');
    if (!fs.existsSync(appJs)) throw new Error(`${appJs} is missing: run npm run build first (npm test does)`);
    const outdir = path.join(dir, 'cli.out');
    const cwd = fs.mkdtempSync(path.join(dir, 'cwd-'));
    // What the CDK CLI passes to the app: the context of cdk.json and the output directory; no AWS credentials.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: cwd, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(CDK_CONTEXT) };
    execFileSync(process.execPath, [appJs], { cwd, env, stdio: 'pipe' });

    const cloudTemplate = JSON.parse(fs.readFileSync(path.join(outdir, 'ModelFleet.template.json'), 'utf8')) as
      { Resources: Record<string, { Type: string }> };
    const types = Object.values(cloudTemplate.Resources).map((r) => r.Type);
    for (const type of ['AWS::SageMaker::Endpoint', 'AWS::GreengrassV2::Deployment', 'AWS::SageMaker::ModelPackage']) {
      expect(types).toContain(type);
    }
    const versionDir = fs.readdirSync(path.join(outdir, 'modelfleet', 'iris'));
    expect(versionDir).toHaveLength(1);
    const golden = JSON.parse(fs.readFileSync(path.join(outdir, 'modelfleet', 'iris', versionDir[0], 'golden.json'), 'utf8')) as
      { version: string; response: { outputs: Array<{ name: string }> } };
    expect(golden.version).toBe(versionDir[0]);
    expect(golden.response.outputs.map((o) => o.name).sort()).toEqual(['label', 'probabilities']);
    // The model and its contract are staged as an asset of the store's upload.
    const staged = fs.readdirSync(outdir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.startsWith('asset.') && path.basename(f) === 'model.onnx');
    expect(staged).toHaveLength(1);
    expect(fs.readFileSync(path.join(outdir, staged[0])).equals(fs.readFileSync(IRIS))).toBe(true);
    expect(fs.existsSync(path.join(outdir, path.dirname(staged[0]), 'contract.json'))).toBe(true);
    // A synth writes no history file where the app runs: the version's entry goes into the assembly, for
    // `modelfleet history record` after a deploy.
    expect(fs.existsSync(path.join(cwd, 'modelfleet.history.json'))).toBe(false);
    const entry = JSON.parse(fs.readFileSync(path.join(outdir, 'modelfleet', 'iris', versionDir[0], 'history-entry.json'), 'utf8')) as
      { model: string; golden: unknown };
    expect(entry.model).toBe('iris');
    expect(entry.golden).toEqual(golden);
  });
});
