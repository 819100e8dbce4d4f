import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ModelContract, ModelSource } from '../../../constructs/model';
import { ModelStore } from '../../../constructs/model-store';

// Unit tests turn off CDK's built-in CloudFormation validation (about 5 s of CPU per test file);
// test/lib/modelfleet-stack.test.ts keeps it on for the default app.

const IRIS = path.resolve(__dirname, '..', '..', '..', 'models', 'iris.onnx');

describe('ModelStore acknowledgements', () => {
  test('a KMS store with replication, a local and a copied model has no unacknowledged cdk-nag AwsSolutions finding', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Stack');
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const store = new ModelStore(stack, 'Store', {
      encryptionKey: key,
      replicationDestinationBucket: s3.Bucket.fromBucketName(stack, 'Dr', 'dr-models'),
    });
    store.addModel('iris', ModelSource.fromAsset(IRIS));
    const contract = ModelContract.of({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }] });
    store.addModel('copied', ModelSource.fromBucket(s3.Bucket.fromBucketName(stack, 'Src', 'team-models'), 'm.onnx',
      { contract, sha256: 'd'.repeat(64), sizeBytes: 10 }));
    app.synth();

    const report = new AwsSolutionsChecks(app).validateScope(stack);
    const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
    expect(findings).toEqual([]);
  });

  test('leaves findings on other resources of the stack alone', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Stack');
    const store = new ModelStore(stack, 'Store');
    store.addModel('iris', ModelSource.fromAsset(IRIS));
    const role = new iam.Role(stack, 'Wide', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    store.bucket.grantReadWrite(role);
    app.synth();

    const report = new AwsSolutionsChecks(app).validateScope(stack);
    const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
    expect(findings).toEqual(expect.arrayContaining([
      'AwsSolutions-IAM5[Action::s3:GetObject*] at Stack/Wide/DefaultPolicy/Resource',
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<StoreBucket\w+\.Arn>\/\*\] at Stack\/Wide\/DefaultPolicy\/Resource$/),
    ]));
    expect(findings.every((f) => f.includes('Stack/Wide/'))).toBe(true);
  });
});
