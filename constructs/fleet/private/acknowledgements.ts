import * as s3 from 'aws-cdk-lib/aws-s3';
import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { acknowledge } from '../../core/private/acknowledge';

/**
 * cdk-nag AwsSolutions acknowledgements of the fleet's shared resources: the CDK's BucketDeployment upload function of
 * the runtime components (the token exchange role's artifact grants are the `EdgeFleet`'s own, acknowledged there).
 * cdk-nag v3 matches finding ids exactly, so resources are spelled as cdk-nag renders them.
 */

/** `<LogicalId.Arn>` of a bucket created in the same stack as `scope`, as cdk-nag renders it (else undefined). */
function renderedBucketArn(scope: IConstruct, bucket: s3.IBucket): string | undefined {
  const cfn = bucket.node.defaultChild;
  if (!(cfn instanceof s3.CfnBucket) || Stack.of(cfn) !== Stack.of(scope)) return undefined;
  return `<${Stack.of(scope).resolve(cfn.logicalId)}.Arn>`;
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
