import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IDependable } from 'constructs';

/**
 * The fields of the model store's `StoredModel` (docs/design.md) that the SageMaker endpoint uses.
 * Replaced by an import of `StoredModel` once the model store lands.
 */
export interface StoredModel {
  readonly name: string;
  readonly version: string;
  readonly bucket: s3.IBucket;
  readonly prefix: string;
  readonly upload: IDependable;
  grantRead(grantee: iam.IGrantable): iam.Grant;
}
