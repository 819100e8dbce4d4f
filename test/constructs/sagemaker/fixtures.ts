import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ServingImage } from '../../../constructs/serving-image';

export const IMAGE_URI = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/modelfleet:test';

/** A registry image, so that tests do not stage the Docker build context. */
export const TEST_IMAGE = ServingImage.fromRegistry(IMAGE_URI);

export interface TestModel {
  readonly name: string;
  readonly version: string;
  readonly bucket: s3.IBucket;
  readonly prefix: string;
  readonly upload: Construct;
  grantRead(grantee: iam.IGrantable): iam.Grant;
}

/** A stored model as the model store hands it out (docs/design.md), over a real bucket. */
export function storedModel(scope: Construct, name = 'iris', version = '3f2a9c1b7d4e'): TestModel {
  const bucket = new s3.Bucket(scope, 'Store', {
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
  });
  const prefix = `models/${name}/${version}/`;
  const upload = new Construct(scope, 'Upload');
  return {
    name, version, bucket, prefix, upload,
    grantRead: (grantee) => bucket.grantRead(grantee, `${prefix}*`),
  };
}

export function newStack(): { app: App; stack: Stack } {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  return { app, stack };
}
