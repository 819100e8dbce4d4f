import * as fs from 'node:fs';
import * as path from 'node:path';
import { Lazy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModelContract, ModelSource } from '../../../constructs/model';
import { errorCodeOf as codeOf } from '../../helpers/construct-errors';
import { testStack } from '../../helpers/test-stack';
import { IRIS_MODEL, withTmpDir } from '../../helpers/tmp-model';


function setup() {
  const stack = testStack();
  const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  return { stack, role };
}

describe('ModelSource.fromAsset', () => {
  test('binds to an asset, reads the real contract and grants read to the grantee', () => {
    const { stack, role } = setup();
    const config = ModelSource.fromAsset(IRIS_MODEL).bind(stack, { grantee: role });

    expect(config.localPath).toBe(IRIS_MODEL);
    expect(config.contract?.inputs).toEqual([{ name: 'features', datatype: 'FP32', shape: [-1, 4] }]);
    expect(config.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(config.sizeBytes).toBe(fs.statSync(IRIS_MODEL).size);
    expect(stack.resolve(config.objectKey)).toMatch(/^[0-9a-f]{64}\.onnx$/);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['s3:GetObject*']), Effect: 'Allow' })]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('Reader') }],
    });
  });

  test('binding the same file twice in one scope makes one asset', () => {
    const { stack } = setup();
    const source = ModelSource.fromAsset(IRIS_MODEL);
    const a = source.bind(stack);
    const b = ModelSource.fromAsset(IRIS_MODEL).bind(stack);
    expect(stack.resolve(a.objectKey)).toEqual(stack.resolve(b.objectKey));
    expect(stack.node.children.filter((c) => c.node.id.startsWith('ModelAsset'))).toHaveLength(1);
  });

  test('fails synth when the declared contract differs from the file, naming the construct', () => {
    const { stack } = setup();
    const source = ModelSource.fromAsset(IRIS_MODEL, {
      contract: ModelContract.of({ inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 5] }], outputs: [] }),
    });
    expect(codeOf(() => source.bind(stack))).toBe('ModelContractMismatch');
    expect(() => source.bind(stack)).toThrow(/shape: declared \[-1, 5\], actual \[-1, 4\].*\(at Stack\)/);
  });

  test('fails when the file is missing or not ONNX', () => {
    const { stack } = setup();
    withTmpDir('model-source-', (dir) => {
      expect(codeOf(() => ModelSource.fromAsset(path.join(dir, 'missing.onnx')).bind(stack))).toBe('ModelFileNotFound');
      const junk = path.join(dir, 'junk.onnx');
      fs.writeFileSync(junk, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]));
      expect(codeOf(() => ModelSource.fromAsset(junk).bind(stack))).toBe('ModelFileInvalid');
    });
  });
});

describe('ModelSource.fromBucket', () => {
  const sha = 'a'.repeat(64);

  test('binds to the object and grants read on that key only', () => {
    const { stack, role } = setup();
    const bucket = s3.Bucket.fromBucketName(stack, 'Models', 'my-models');
    const contract = ModelContract.of({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }], outputs: [] });
    const config = ModelSource.fromBucket(bucket, 'team/model.onnx', { contract, sha256: sha, sizeBytes: 10 })
      .bind(stack, { grantee: role });

    expect(config.objectKey).toBe('team/model.onnx');
    expect(config.contract).toBe(contract);
    expect(config.sha256).toBe(sha);
    expect(config.sizeBytes).toBe(10);
    expect(config.localPath).toBeUndefined();
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Resource: Match.arrayWith([{ 'Fn::Join': ['', Match.arrayWith([':s3:::my-models/team/model.onnx'])] }]),
        })]),
      },
    });
  });

  test('skips tokenized values in the sha256 and the size', () => {
    const { stack } = setup();
    const bucket = s3.Bucket.fromBucketName(stack, 'Models', 'my-models');
    const sha256 = Lazy.string({ produce: () => 'not-hex' });
    const sizeBytes = Lazy.number({ produce: () => -5 });
    expect(ModelSource.fromBucket(bucket, 'm.onnx', { sha256, sizeBytes }).bind(stack).sha256).toBe(sha256);
  });

  test('fails when the sha256 or the size is malformed', () => {
    const { stack } = setup();
    const bucket = s3.Bucket.fromBucketName(stack, 'Models', 'my-models');
    expect(codeOf(() => ModelSource.fromBucket(bucket, 'm.onnx', { sha256: 'abc' }))).toBe('ModelSha256Invalid');
    expect(codeOf(() => ModelSource.fromBucket(bucket, 'm.onnx', { sizeBytes: -1 }))).toBe('ModelSizeInvalid');
  });
});
