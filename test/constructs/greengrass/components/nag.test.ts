import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ModelSource } from '../../../../constructs/model';
import { ModelStore } from '../../../../constructs/model-store';
import { ModelComponent, ModelServerComponent, NodeRuntimeComponent } from '../../../../constructs/greengrass/components';
import { EdgeFleet } from '../../../../constructs/greengrass/edge-fleet';
import { buildEdgeArtifacts } from '../../../../scripts/build-edge-artifacts';
import { IRIS } from './helpers';

beforeAll(async () => {
  await buildEdgeArtifacts();
}, 300_000);

describe('Greengrass components cdk-nag AwsSolutions', () => {
  test('the three components, used without EdgeFleet, leave no finding on what they create; a role they are granted to keeps its own', () => {
    const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:disable-asset-staging': true } });
    const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const store = new ModelStore(stack, 'Store');
    const iris = store.addModel('iris', ModelSource.fromAsset(IRIS));
    const nodeRuntime = new NodeRuntimeComponent(stack, 'Node', { bucket: store.bucket });
    const modelServer = new ModelServerComponent(stack, 'Server', { bucket: store.bucket, nodeRuntime });
    const model = new ModelComponent(stack, 'Iris', { model: iris, modelServer });
    model.grantArtifactRead(new iam.Role(stack, 'Devices', { assumedBy: new iam.ServicePrincipal('credentials.iot.amazonaws.com') }));
    app.synth();
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
    // the user's role: its findings are the user's to judge (the components did not create it)
    expect(findings.filter((f) => !f.includes(' at Stack/Devices/'))).toEqual([]);
    expect(findings.filter((f) => f.includes(' at Stack/Devices/'))).toEqual(expect.arrayContaining([
      expect.stringMatching(/^AwsSolutions-IAM5\[Action::s3:GetObject\*\] at Stack\/Devices\/DefaultPolicy/),
    ]));
  });

  test('deployed to an EdgeFleet, their artifact reads on the fleet\'s own token exchange role are acknowledged', () => {
    const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:disable-asset-staging': true } });
    const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const store = new ModelStore(stack, 'Store');
    const iris = store.addModel('iris', ModelSource.fromAsset(IRIS));
    const nodeRuntime = new NodeRuntimeComponent(stack, 'Node', { bucket: store.bucket });
    const modelServer = new ModelServerComponent(stack, 'Server', { bucket: store.bucket, nodeRuntime });
    const fleet = new EdgeFleet(stack, 'Fleet');
    for (const c of [nodeRuntime, modelServer, new ModelComponent(stack, 'Iris', { model: iris, modelServer })]) fleet.addEdgeComponent(c);
    app.synth();
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
    expect(findings).toEqual([]);
  });
});
