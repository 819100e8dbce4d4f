import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ModelSource } from '../../../constructs/model';
import { ModelStore } from '../../../constructs/model-store';
import { SageMakerEndpoint, TrafficShift } from '../../../constructs/sagemaker';
import { TEST_IMAGE } from './fixtures';

const IRIS = path.resolve(__dirname, '..', '..', '..', 'models', 'iris.onnx');

function findings(stack: Stack, app: App): string[] {
  app.synth();
  const report = new AwsSolutionsChecks(app).validateScope(stack);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

describe('SageMakerEndpoint cdk-nag AwsSolutions', () => {
  test('endpoints with every feature, and the minimal one, leave no unacknowledged finding', () => {
    const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:disable-asset-staging': true } });
    const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const store = new ModelStore(stack, 'Store', { encryptionKey: key });
    const model = store.addModel('iris', ModelSource.fromAsset(IRIS));
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    // the test's own VPC, not the endpoint's concern
    Validations.of(vpc).acknowledge({ id: 'AwsSolutions-VPC7', reason: 'Test fixture VPC; flow logs are the VPC owner\'s choice.' });

    new SageMakerEndpoint(stack, 'Minimal', { model });
    new SageMakerEndpoint(stack, 'Full', {
      model, encryptionKey: key, vpc, dataCapture: true, dataCaptureSamplingPercentage: 20,
      autoscalingMaxCapacity: 4, deploymentTrafficShift: TrafficShift.canary(25), alarmEmail: 'ops@example.com',
    });
    new SageMakerEndpoint(stack, 'Serverless', { model, image: TEST_IMAGE, serverlessMaxConcurrency: 10 });

    expect(findings(stack, app)).toEqual([]);
  });

  test('leaves the findings on a user-given role to its owner (the construct acknowledges only its own role)', () => {
    const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:disable-asset-staging': true } });
    const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const store = new ModelStore(stack, 'Store');
    const model = store.addModel('iris', ModelSource.fromAsset(IRIS));
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    new SageMakerEndpoint(stack, 'Endpoint', { model, image: TEST_IMAGE, role });
    expect(findings(stack, app)).toEqual(expect.arrayContaining([
      'AwsSolutions-IAM5[Resource::*] at Stack/Role/DefaultPolicy/Resource',
    ]));
  });
});

describe('SageMakerEndpoint in another stack than its model store', () => {
  /** A platform stack with the store, a model stack with an endpoint (data capture on: a second grant on the store). */
  function platformApp(role?: boolean) {
    const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:disable-asset-staging': true } });
    const env = { account: '123456789012', region: 'eu-west-1' };
    const platform = new Stack(app, 'Platform', { env });
    const store = new ModelStore(platform, 'Store');
    const model = store.addModel('iris', ModelSource.fromAsset(IRIS));
    const models = new Stack(app, 'Models', { env });
    const endpoint = new SageMakerEndpoint(models, 'Endpoint', {
      model, image: TEST_IMAGE, dataCapture: true,
      role: role ? new iam.Role(models, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') }) : undefined,
    });
    return { app, platform, models, model, endpoint };
  }

  test('both stacks are cdk-nag clean: the store grants are acknowledged by their import-based ids', () => {
    const { app, platform, models, model, endpoint } = platformApp();
    expect(findings(platform, app)).toEqual([]);
    expect(findings(models, app)).toEqual([]);

    // The ids acknowledged on the role are exactly the ones the import of the bucket ARN makes.
    const policy = Object.values(Template.fromStack(models).findResources('AWS::IAM::Policy'))
      .find((p) => JSON.stringify(p).includes('Fn::ImportValue'));
    const imported = JSON.stringify(policy).match(/"Fn::ImportValue":"(Platform:ExportsOutputFnGetAtt[A-Za-z0-9]*StoreBucket[A-Za-z0-9]*Arn[A-Za-z0-9]*)"/);
    expect(imported).not.toBeNull();
    const acknowledged = endpoint.role.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules')
      .flatMap((m) => Object.keys(m.data as Record<string, string>));
    expect(acknowledged).toEqual(expect.arrayContaining([
      `Annotation::AwsSolutions-IAM5[Resource::${imported![1]}/${model.prefix}*]`,
      `Annotation::AwsSolutions-IAM5[Resource::${imported![1]}/data-capture/iris/*]`,
    ]));
    // The spelling of a same-stack bucket (`<StoreBucket….Arn>`) is not acknowledged: it matches nothing here.
    expect(acknowledged.filter((id) => /<StoreBucket\w*\.Arn>/.test(id))).toEqual([]);
  });

  test('control: on a role the endpoint does not own, cdk-nag names the store grant by the import', () => {
    const { app, models, model, endpoint } = platformApp(true);
    // cdk-nag v3 names a finding by its id: the grant on the store is spelled with the export of the platform stack.
    expect(findings(models, app)).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(
      `^AwsSolutions-IAM5\\[Resource::Platform:ExportsOutputFnGetAtt\\w*StoreBucket\\w*Arn\\w*/${model.prefix}\\*\\] `
      + 'at Models/Role/DefaultPolicy/Resource$'))]));
    // nor is anything acknowledged on it, now or after the app is prepared (the deferred import-based ids)
    expect(endpoint.role.node.findAll().flatMap((c) => c.node.metadata)
      .filter((m) => m.type === 'aws:cdk:acknowledged-rules')).toEqual([]);
  });
});
