import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** Where SageMaker endpoints capture data by default, and what the store's `dataCaptureRetention` expires. */
export const DATA_CAPTURE_PREFIX = 'data-capture/';

/**
 * Read access to the objects under one key prefix and nothing else of the bucket: `s3:GetObject` on `<prefix>*`, and
 * `s3:ListBucket` (a bucket action) only for listings under that prefix, through the `s3:prefix` condition key
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html). SageMaker's `S3Prefix` model data
 * and `aws s3 cp --recursive` list the prefix, then get each object. `Bucket.grantRead` would give `s3:GetObject*`,
 * `s3:GetBucket*` and `s3:List*` on the whole bucket (every model, captured data, manifests). Plus decrypt on the
 * bucket's KMS key, when it has one.
 */
export function grantPrefixRead(bucket: s3.IBucket, grantee: iam.IGrantable, prefix: string): iam.Grant {
  let grant = iam.Grant.addToPrincipalOrResource({
    grantee,
    actions: ['s3:GetObject'],
    resourceArns: [bucket.arnForObjects(`${prefix}*`)],
    resource: bucket,
  }).combine(iam.Grant.addToPrincipalOrResource({
    grantee,
    actions: ['s3:ListBucket'],
    resourceArns: [bucket.bucketArn],
    resource: bucket,
    conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
  }));
  if (bucket.encryptionKey) {
    grant = grant.combine(bucket.encryptionKey.grantDecrypt(grantee));
  }
  return grant;
}
