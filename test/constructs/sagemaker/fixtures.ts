import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ModelContract } from '../../../constructs/model';
import { StoredModel } from '../../../constructs/model-store';
import { ServingImage } from '../../../constructs/serving-image';

export const IMAGE_URI = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/modelfleet:test';

/** A registry image, so that tests do not stage the Docker build context. */
export const TEST_IMAGE = ServingImage.fromRegistry(IMAGE_URI);

const IRIS = path.resolve(__dirname, '..', '..', '..', 'models', 'iris.onnx');

/**
 * A stored model as `ModelStore.addModel` hands it out (docs/design.md), over a plain bucket: the contract is read
 * from models/iris.onnx, the upload is an empty construct (tests that need the real store use ModelStore).
 */
export function storedModel(scope: Construct, name = 'iris', version = '3f2a9c1b7d4e'): StoredModel {
  const bucket = new s3.Bucket(scope, 'Store', {
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
  });
  const contract = ModelContract.fromFile(IRIS);
  return new StoredModel({
    name, version, bucket, contract,
    sha256: contract.sha256!,
    sizeBytes: contract.sizeBytes!,
    upload: new Construct(scope, 'Upload'),
  });
}

export function newStack(): { app: App; stack: Stack } {
  // the built-in CloudFormation validation costs about 15 s on a worker's first synth and only warns
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  return { app, stack };
}
