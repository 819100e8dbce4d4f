import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
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
      model, kmsKey: key, vpc, dataCapture: true, dataCaptureSamplingPercentage: 20,
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
