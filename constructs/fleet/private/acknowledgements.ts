import * as s3 from 'aws-cdk-lib/aws-s3';
import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { acknowledge } from '../../core/private/acknowledge';

/**
 * cdk-nag AwsSolutions acknowledgements for what a fleet adds to resources it does not create itself: the token
 * exchange role's read grants on the artifacts, and the CDK's BucketDeployment upload function of the runtime
 * components. cdk-nag v3 matches finding ids exactly, so resources are spelled as cdk-nag renders them.
 */

/** `<LogicalId.Arn>` of a bucket created in the same stack as `scope`, as cdk-nag renders it (else undefined). */
function renderedBucketArn(scope: IConstruct, bucket: s3.IBucket): string | undefined {
  const cfn = bucket.node.defaultChild;
  if (!(cfn instanceof s3.CfnBucket) || Stack.of(cfn) !== Stack.of(scope)) return undefined;
  return `<${Stack.of(scope).resolve(cfn.logicalId)}.Arn>`;
}

/**
 * The token exchange role may read the artifacts of the fleet's components: `Bucket.grantRead` on the runtime
 * components' prefixes (`s3:GetObject*`, `s3:GetBucket*`, `s3:List*` on `edge/<component>/*`) and the model's read
 * grant on its version (`s3:GetObject` on `models/<name>/<version>/*`).
 *
 * @param fleet the fleet whose role it is: only a role the fleet created is acknowledged (not a user's)
 * @param role the fleet's token exchange role
 * @param bucket the bucket holding the artifacts
 * @param prefixes the key prefixes granted (ending in `/`)
 */
export function acknowledgeArtifactRead(fleet: IConstruct, role: IConstruct, bucket: s3.IBucket, prefixes: string[]): void {
  const reason = 'Greengrass core devices read their component artifacts with the token exchange role: read actions '
    + 'only (Bucket.grantRead for the runtime components, s3:GetObject for a model version), scoped to the artifact '
    + 'prefixes of the deployed components in the model store.';
  const ids = ['s3:GetObject*', 's3:GetBucket*', 's3:List*'].map((a) => `AwsSolutions-IAM5[Action::${a}]`);
  const arn = renderedBucketArn(role, bucket);
  if (arn) ids.push(...prefixes.map((p) => `AwsSolutions-IAM5[Resource::${arn}/${p}*]`));
  acknowledge(fleet, role, ...ids.map((id) => ({ id, reason })));
}

/**
 * The CDK's BucketDeployment upload functions of a stack (singletons at the stack's root) that upload the runtime
 * components' artifacts into the store.
 *
 * @param owner the construct whose components the functions upload (the stack's `ModelFleetResources`)
 * @param stack the stack
 * @param bucket the store bucket the functions write to
 */
export function acknowledgeUploadFunctions(owner: IConstruct, stack: Stack, bucket: s3.IBucket): void {
  const arn = renderedBucketArn(stack, bucket);
  for (const child of stack.node.children) {
    if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
    const reason = 'CDK BucketDeployment upload function (read the staged artifact zips, sync them into the model store); '
      + 'the grants are the CDK\'s, scoped to the bootstrap asset bucket and the model store bucket.';
    const ids = [
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      ...['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*'].map((a) => `AwsSolutions-IAM5[Action::${a}]`),
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
      'AwsSolutions-L1',
    ];
    if (arn) ids.push(`AwsSolutions-IAM5[Resource::${arn}/*]`);
    acknowledge(owner, child, ...ids.map((id) => ({ id, reason })));
  }
}
