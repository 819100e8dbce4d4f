import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModelSource } from '../../../constructs/model';
import { IModelStore, ModelStore } from '../../../constructs/model-store';
import { testStack } from '../../helpers/test-stack';
import { IRIS_MODEL } from '../../helpers/tmp-model';

function setup(withKey = false) {
  const stack = testStack();
  const key = withKey ? kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:111111111111:key/abcd') : undefined;
  const bucket = s3.Bucket.fromBucketAttributes(stack, 'Existing', { bucketName: 'platform-models', encryptionKey: key });
  const store: IModelStore = ModelStore.fromBucket(stack, 'Store', bucket);
  return { stack, bucket, store };
}

describe('ModelStore.fromBucket', () => {
  test('uploads models into the existing bucket at models/<name>/<version>/ and creates no bucket', () => {
    const { stack, store } = setup();
    const model = store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL));
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: 'platform-models',
      Prune: false,
      RetainOnDelete: true,
    });
    expect(model.bucket.bucketName).toBe('platform-models');
    expect(model.objectKey).toBe(`models/iris/${model.version}/model.onnx`);
    expect(store.models).toEqual([model]);
    expect(model.store).toBe(store);
  });

  test('grantReadModel takes the grantee first and reads only the model prefix of the existing bucket', () => {
    const { stack, store } = setup();
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    store.grantReadModel(role, 'iris');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::platform-models/models/iris/*']] },
        })]),
      },
    });
  });

  test('uses the KMS key the bucket was imported with', () => {
    const { store } = setup(true);
    expect(store.encryptionKey?.keyArn).toBe('arn:aws:kms:eu-west-1:111111111111:key/abcd');
  });

  test('refuses a second model of the same name, as a ModelStore does', () => {
    const { store } = setup();
    store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL));
    expect(() => store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL))).toThrow(/^ModelNameDuplicate: /);
  });
});
