import { Duration, Lazy, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModelStore, ModelStoreProps } from '../../../constructs/model-store';
import { errorCodeOf as codeOf } from '../../helpers/construct-errors';
import { testStack } from '../../helpers/test-stack';

function setup(props: ModelStoreProps = {}) {
  const stack = testStack();
  const store = new ModelStore(stack, 'Store', props);
  return { stack, store };
}

/** The store bucket's properties (the bucket whose logical id starts with StoreBucket). */
function storeBucket(template: Template): Record<string, unknown> {
  const buckets = template.findResources('AWS::S3::Bucket');
  const id = Object.keys(buckets).find((k) => k.startsWith('StoreBucket'));
  if (!id) throw new Error(`no store bucket among ${Object.keys(buckets).join(', ')}`);
  return buckets[id] as Record<string, unknown>;
}

describe('ModelStore', () => {
  test('creates a versioned, S3-managed-encrypted bucket with all public access blocked and owner-enforced ownership', () => {
    const { stack } = setup();
    const props = storeBucket(Template.fromStack(stack)).Properties as Record<string, unknown>;
    expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(props.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(props.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
    });
    expect(props.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
  });

  test('encrypts with the given KMS key and a bucket key', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'Key');
    new ModelStore(stack, 'Store', { encryptionKey: key });
    const props = storeBucket(Template.fromStack(stack)).Properties as Record<string, unknown>;
    expect(props.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{
        BucketKeyEnabled: true,
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] } },
      }],
    });
  });

  test('denies requests without TLS or below TLS 1.2', () => {
    const { stack } = setup();
    Template.fromStack(stack).hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^StoreBucket') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
  });

  test('logs server access to a TLS-only, private log bucket', () => {
    const { stack } = setup();
    const template = Template.fromStack(stack);
    const props = storeBucket(template).Properties as Record<string, unknown>;
    expect(props.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: expect.stringMatching(/^StoreAccessLogs/) },
      LogFilePrefix: 'model-store/',
    });
    template.hasResourceProperties('AWS::S3::Bucket', Match.objectLike({
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: Match.absent(),
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicPolicy: true }),
    }));
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^StoreAccessLogs') },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'logging.s3.amazonaws.com' } })]) },
    });
  });

  test('uses a given log bucket and prefix instead of creating one', () => {
    const stack = testStack();
    const logs = s3.Bucket.fromBucketName(stack, 'Logs', 'central-logs');
    new ModelStore(stack, 'Store', { accessLogsBucket: logs, accessLogsPrefix: 'models/' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    expect((storeBucket(template).Properties as Record<string, unknown>).LoggingConfiguration)
      .toEqual({ DestinationBucketName: 'central-logs', LogFilePrefix: 'models/' });
  });

  test('expires non-current versions after 90 days and aborts incomplete uploads by default', () => {
    const { stack } = setup();
    const props = storeBucket(Template.fromStack(stack)).Properties as Record<string, unknown>;
    expect(props.LifecycleConfiguration).toEqual({
      Rules: [{
        Id: 'ExpireNoncurrentVersionsAndAbortIncompleteUploads',
        Status: 'Enabled',
        NoncurrentVersionExpiration: { NoncurrentDays: 90 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      }, expect.objectContaining({ Id: 'ExpireDataCapture' })],
    });
  });

  test('takes the lifecycle durations from props', () => {
    const { stack } = setup({ noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(2) });
    const props = storeBucket(Template.fromStack(stack)).Properties as { LifecycleConfiguration: { Rules: unknown[] } };
    expect(props.LifecycleConfiguration.Rules[0]).toEqual(expect.objectContaining({
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 },
    }));
  });

  test('fails when a lifecycle duration is not a whole number of days', () => {
    expect(codeOf(() => setup({ noncurrentVersionExpiration: Duration.hours(5) }))).toBe('ModelStoreDurationInvalid');
    expect(codeOf(() => setup({ abortIncompleteMultipartUploadAfter: Duration.days(0) }))).toBe('ModelStoreDurationInvalid');
  });

  test('skips tokenized values in the lifecycle durations', () => {
    const { stack } = setup({ noncurrentVersionExpiration: Duration.days(Lazy.number({ produce: () => 45 })) });
    const props = storeBucket(Template.fromStack(stack)).Properties as { LifecycleConfiguration: { Rules: unknown[] } };
    expect(props.LifecycleConfiguration.Rules[0]).toEqual(expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 45 } }));
  });

  test('retains the buckets by default and destroys them when asked', () => {
    const retained = Template.fromStack(setup().stack);
    expect(Object.values(retained.findResources('AWS::S3::Bucket')).map((b) => b.DeletionPolicy)).toEqual(['Retain', 'Retain']);
    const destroyed = Template.fromStack(setup({ removalPolicy: RemovalPolicy.DESTROY }).stack);
    expect(Object.values(destroyed.findResources('AWS::S3::Bucket')).map((b) => b.DeletionPolicy)).toEqual(['Delete', 'Delete']);
  });

  test('sends events to EventBridge by default, and not when turned off', () => {
    Template.fromStack(setup().stack).hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
    Template.fromStack(setup({ eventBridgeEnabled: false }).stack).resourceCountIs('Custom::S3BucketNotifications', 0);
  });

  test('does not replicate unless asked', () => {
    const props = storeBucket(Template.fromStack(setup().stack)).Properties as Record<string, unknown>;
    expect(props.ReplicationConfiguration).toBeUndefined();
  });

  test('replicates to a bucket in another region when asked', () => {
    const stack = testStack({ env: { account: '111111111111', region: 'us-east-1' } });
    const destination = s3.Bucket.fromBucketAttributes(stack, 'Dest', { bucketName: 'dr-models', region: 'eu-west-1' });
    new ModelStore(stack, 'Store', { replicationDestinationBucket: destination });
    const template = Template.fromStack(stack);
    const props = storeBucket(template).Properties as Record<string, unknown>;
    expect(props.ReplicationConfiguration).toEqual({
      Role: { 'Fn::GetAtt': [expect.stringMatching(/ReplicationRole/), 'Arn'] },
      Rules: [expect.objectContaining({
        Destination: expect.objectContaining({ Bucket: { 'Fn::Join': ['', expect.arrayContaining([':s3:::dr-models'])] } }),
        DeleteMarkerReplication: { Status: 'Disabled' },
        Priority: 1,
        Status: 'Enabled',
      })],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('ReplicationRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['s3:ReplicateObject']) })]) },
    });
  });

  test('fails when a replication key is given without a destination bucket', () => {
    const stack = testStack();
    const key = kms.Key.fromKeyArn(stack, 'K', 'arn:aws:kms:eu-west-1:111111111111:key/abc');
    expect(codeOf(() => new ModelStore(stack, 'Store', { replicationDestinationKey: key }))).toBe('ModelStoreReplicationKeyWithoutBucket');
  });

  test('keeps the logical id of the store bucket', () => {
    const { stack } = setup();
    const ids = Object.keys(Template.fromStack(stack).findResources('AWS::S3::Bucket')).sort();
    expect(ids).toEqual(['StoreAccessLogs087BBF22', 'StoreBucket4FBDE984'].sort());
  });
});
