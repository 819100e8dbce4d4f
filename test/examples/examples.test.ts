import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { stopGoldenWorker } from '../../constructs/fleet/private/golden';
import { EdgeOnlyStack } from '../../examples/edge-only';
import { GitOpsClusterStack } from '../../examples/gitops-cluster';
import { IrisFleetStack } from '../../examples/iris-fleet';

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'examples-')); });
afterAll(async () => {
  await stopGoldenWorker();
  fs.rmSync(dir, { recursive: true, force: true });
});

function newApp(): App {
  return new App({
    outdir: fs.mkdtempSync(path.join(dir, 'cdk.out-')),
    builtinCloudFormationValidation: false,
    context: { 'aws:cdk:disable-asset-staging': true },
  });
}

describe('examples', () => {
  test('iris-fleet puts the model on SageMaker, the EKS cluster and the Pis', () => {
    const app = newApp();
    const stack = new IrisFleetStack(app, 'IrisFleet', { historyFile: path.join(dir, 'h1.json') });
    app.synth();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    template.resourceCountIs('Custom::AWSCDK-EKS-KubernetesResource', 2);
    template.resourceCountIs('AWS::GreengrassV2::Deployment', 1);
    template.resourceCountIs('AWS::SageMaker::ModelPackage', 1);
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    expect(fs.existsSync(path.join(app.outdir, stack.fleet.goldenAssemblyPath!))).toBe(true);
    expect(Object.keys(template.findOutputs('ModelFleetVerifyIris'))).toHaveLength(1);
  });

  test('edge-only deploys the model to the Pis with the staged rollout and nothing in the cloud', () => {
    const app = newApp();
    const stack = new EdgeOnlyStack(app, 'EdgeOnly', { historyFile: path.join(dir, 'h2.json') });
    app.synth();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SageMaker::Endpoint', 0);
    template.resourceCountIs('AWS::GreengrassV2::ComponentVersion', 3);
    template.hasResourceProperties('AWS::IoT::ThingGroup', { ThingGroupName: 'shop-floor-pis' });
    const deployment = Object.values(template.findResources('AWS::GreengrassV2::Deployment'))[0];
    expect(deployment.Properties.DeploymentPolicies.FailureHandlingPolicy).toBe('ROLLBACK');
    expect(stack.models[0].edgeFleet).toBe(stack.edgeFleet);
  });

  test('gitops-cluster writes plain Kubernetes YAML with literal values', () => {
    const app = newApp();
    const stack = new GitOpsClusterStack(app, 'IrisGitOps', { historyFile: path.join(dir, 'h3.json') });
    app.synth();
    const yaml = fs.readFileSync(path.join(app.outdir, stack.fleet.kubernetes!.manifestFileName!), 'utf8');
    expect(yaml).toContain('kind: Deployment');
    expect(yaml).toContain('image: ghcr.io/acme/modelfleet-edge:0.1.0');
    expect(yaml).toContain(`s3://acme-models-111111111111-eu-west-1/models/iris/${stack.fleet.modelVersion}/`);
    expect(yaml).not.toMatch(/\$\{Token|AWS::/);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SageMaker::Endpoint', 0);
    template.resourceCountIs('AWS::GreengrassV2::ComponentVersion', 0);
  });
});
