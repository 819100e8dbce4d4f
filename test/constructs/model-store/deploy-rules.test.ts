import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModelSource } from '../../../constructs/model';
import { ModelStore, ModelStoreProps } from '../../../constructs/model-store';
import { errorCodeOf as codeOf } from '../../helpers/construct-errors';
import { testStack } from '../../helpers/test-stack';
import { IRIS_MODEL } from '../../helpers/tmp-model';

/** What a first real deploy of the model store meets (issue 13). */
interface Statement { Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> }

function statementsOf(stack: Stack, roleId: string): Statement[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

function bucketProps(stack: Stack, idPrefix: string): Record<string, unknown> {
  const buckets = Template.fromStack(stack).findResources('AWS::S3::Bucket');
  const id = Object.keys(buckets).find((k) => k.startsWith(idPrefix));
  if (!id) throw new Error(`no bucket ${idPrefix}* among ${Object.keys(buckets).join(', ')}`);
  return buckets[id].Properties as Record<string, unknown>;
}

function reader(stack: Stack): iam.Role {
  return new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
}

const storeArn = { 'Fn::GetAtt': [expect.stringMatching(/^StoreBucket/), 'Arn'] };

describe('ModelStore on a first real deploy', () => {
  describe('read grants', () => {
    // s3:ListBucket is a bucket action: the s3:prefix condition key limits the keys it lists
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html)
    test('StoredModel.grantRead gives s3:GetObject on the version prefix and s3:ListBucket only for that s3:prefix', () => {
      const stack = testStack();
      const model = new ModelStore(stack, 'Store').addModel('iris', ModelSource.fromAsset(IRIS_MODEL));
      model.grantRead(reader(stack));
      expect(statementsOf(stack, 'Reader')).toEqual([
        {
          Action: 's3:GetObject', Effect: 'Allow',
          Resource: { 'Fn::Join': ['', [storeArn, `/${model.prefix}*`]] },
        },
        {
          Action: 's3:ListBucket', Effect: 'Allow', Resource: storeArn,
          Condition: { StringLike: { 's3:prefix': [`${model.prefix}*`] } },
        },
      ]);
    });

    test('grantReadModel gives the same on models/<name>/', () => {
      const stack = testStack();
      new ModelStore(stack, 'Store').grantReadModel(reader(stack), 'iris');
      const statements = statementsOf(stack, 'Reader');
      expect(statements.flatMap((s) => ([] as string[]).concat(s.Action)).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
      expect(JSON.stringify(statements)).toContain('"s3:prefix":["models/iris/*"]');
      expect(JSON.stringify(statements)).not.toMatch(/s3:List\*|s3:GetBucket\*|s3:GetObject\*/);
    });
  });

  describe('replication', () => {
    function replicated(props: ModelStoreProps = {}): Stack {
      // no feature flags: a user's app need not have cdk.json's @aws-cdk/aws-s3:setUniqueReplicationRoleName
      const stack = testStack({ env: { account: '111111111111', region: 'us-east-1' } });
      const destination = s3.Bucket.fromBucketAttributes(stack, 'Dest', { bucketName: 'dr-models', region: 'eu-west-1' });
      new ModelStore(stack, 'Store', { replicationDestinationBucket: destination, ...props });
      new ModelStore(stack, 'Other', { replicationDestinationBucket: destination });
      return stack;
    }

    test('names no replication role CDKReplicationRole, so that two replicated stores fit in one account', () => {
      const roles = Object.values(Template.fromStack(replicated()).findResources('AWS::IAM::Role'))
        .filter((r) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('s3.amazonaws.com'));
      expect(roles).toHaveLength(2);
      for (const role of roles) expect(role.Properties.RoleName).toBeUndefined();
    });

    test('replicates only the models/ prefix (not captured requests, manifests or other files)', () => {
      const config = bucketProps(replicated(), 'StoreBucket').ReplicationConfiguration as { Rules: Array<Record<string, unknown>> };
      expect(config.Rules).toHaveLength(1);
      expect(config.Rules[0].Filter).toEqual({ Prefix: 'models/' });
    });
  });

  describe('retention', () => {
    test('expires captured data after 30 days by default, its old versions a day later', () => {
      const stack = testStack();
      new ModelStore(stack, 'Store');
      const rules = (bucketProps(stack, 'StoreBucket').LifecycleConfiguration as { Rules: Array<Record<string, unknown>> }).Rules;
      expect(rules).toContainEqual({
        Id: 'ExpireDataCapture', Status: 'Enabled', Prefix: 'data-capture/', ExpirationInDays: 30,
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
      });
    });

    test('expires its own access logs after 90 days by default', () => {
      const stack = testStack();
      new ModelStore(stack, 'Store');
      expect(bucketProps(stack, 'StoreAccessLogs').LifecycleConfiguration).toEqual({
        Rules: [{ Id: 'ExpireAccessLogs', Status: 'Enabled', ExpirationInDays: 90 }],
      });
    });

    test('takes both retentions from props', () => {
      const stack = testStack();
      new ModelStore(stack, 'Store', { dataCaptureRetention: Duration.days(7), accessLogsRetention: Duration.days(400) });
      const rules = (bucketProps(stack, 'StoreBucket').LifecycleConfiguration as { Rules: Array<Record<string, unknown>> }).Rules;
      expect(rules).toContainEqual(expect.objectContaining({ Id: 'ExpireDataCapture', ExpirationInDays: 7 }));
      expect(JSON.stringify(bucketProps(stack, 'StoreAccessLogs').LifecycleConfiguration)).toContain('"ExpirationInDays":400');
    });

    test('fails on a retention that is not a whole number of days', () => {
      expect(codeOf(() => new ModelStore(testStack(), 'Store', { dataCaptureRetention: Duration.hours(3) })))
        .toBe('ModelStoreDurationInvalid');
    });
  });
});
