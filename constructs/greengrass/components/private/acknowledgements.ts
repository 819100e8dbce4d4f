/**
 * cdk-nag (AwsSolutions) acknowledgements for what the components make the CDK create or grant, each with the reason
 * a reviewer needs. cdk-nag v3 matches finding ids exactly, so resources are spelled as it renders them.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { IConstruct } from 'constructs';

const READ_ACTIONS = ['s3:GetObject*', 's3:GetBucket*', 's3:List*'];

/** `<LogicalId.Arn>` for a bucket of this app, or undefined for an imported one. */
function renderedBucketArn(bucket: s3.IBucket): string | undefined {
  const cfn = bucket.node.defaultChild as s3.CfnBucket | undefined;
  if (!cfn) return undefined;
  return `<${Stack.of(bucket).resolve(cfn.logicalId)}.Arn>`;
}

/** The BucketDeployment upload function (a stack singleton) that copies the artifacts into the store. */
export function acknowledgeUploadFunction(deployment: s3deploy.BucketDeployment, bucket: s3.IBucket): void {
  const role = deployment.handlerRole;
  const stack = Stack.of(deployment);
  const reason = 'CDK BucketDeployment upload function for the Greengrass artifacts: it reads the staged artifact zips '
    + 'and syncs them into edge/<component>/<version>/ of the model store; the grants are the CDK\'s, scoped to the '
    + 'bootstrap asset bucket and the store bucket, and the keys it writes are content-addressed.';
  const ids = [
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    ...[...READ_ACTIONS, 's3:Abort*', 's3:DeleteObject*'].map((a) => `AwsSolutions-IAM5[Action::${a}]`),
  ];
  const account = stack.resolve(stack.account);
  const region = stack.resolve(stack.region);
  const qualifier = 'hnb659fds';
  const assets = typeof account === 'string' && typeof region === 'string'
    ? `arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-${account}-${region}/*`
    : `arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-<AWS::AccountId>-<AWS::Region>/*`;
  ids.push(`AwsSolutions-IAM5[Resource::${assets}]`);
  const arn = renderedBucketArn(bucket);
  if (arn) ids.push(`AwsSolutions-IAM5[Resource::${arn}/*]`);
  Validations.of(role).acknowledge(...ids.map((id) => ({ id, reason })));
  const fn = role.node.scope;
  if (fn) {
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'The BucketDeployment function and its runtime are provided and pinned by aws-cdk-lib; it is updated with aws-cdk-lib.',
    });
  }
}

/** The read grant a component gives the fleet's token exchange role on its own artifacts (`<prefix>*`). */
export function acknowledgeArtifactRead(grantee: iam.IGrantable, bucket: s3.IBucket, prefix: string): void {
  const principal = grantee.grantPrincipal as Partial<IConstruct>;
  if (!principal.node) return;
  const reason = 'Greengrass core devices (through the token exchange role) read this component\'s artifacts: read '
    + `actions of bucket.grantRead, on the ${prefix}* keys only.`;
  const ids = READ_ACTIONS.map((a) => `AwsSolutions-IAM5[Action::${a}]`);
  const arn = renderedBucketArn(bucket);
  if (arn) ids.push(`AwsSolutions-IAM5[Resource::${arn}/${prefix}*]`);
  Validations.of(principal as IConstruct).acknowledge(...ids.map((id) => ({ id, reason })));
}
