/**
 * cdk-nag (AwsSolutions) acknowledgements for what the components make the CDK create or grant, each with the reason
 * a reviewer needs, through core's `acknowledge` (only resources the acknowledging construct created). cdk-nag v3
 * matches finding ids exactly, so resources are spelled as it renders them.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { IConstruct } from 'constructs';
import { acknowledge } from '../../../core/private/acknowledge';
import { flattenReference } from '../../../model-store/private/acknowledgements';

const READ_ACTIONS = ['s3:GetObject*', 's3:GetBucket*', 's3:List*'];

/** `<LogicalId.Arn>` for a bucket of this app, or undefined for an imported one. */
function renderedBucketArn(bucket: s3.IBucket): string | undefined {
  const cfn = bucket.node.defaultChild as s3.CfnBucket | undefined;
  if (!cfn) return undefined;
  return `<${Stack.of(bucket).resolve(cfn.logicalId)}.Arn>`;
}

/**
 * The BucketDeployment upload function (a stack singleton the CDK creates for `owner`'s upload) that copies the
 * artifacts into the store.
 */
export function acknowledgeUploadFunction(owner: IConstruct, deployment: s3deploy.BucketDeployment, bucket: s3.IBucket): void {
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
  acknowledge(owner, role, ...ids.map((id) => ({ id, reason })));
  const fn = role.node.scope;
  if (fn) {
    acknowledge(owner, fn, {
      id: 'AwsSolutions-L1',
      reason: 'The BucketDeployment function and its runtime are provided and pinned by aws-cdk-lib; it is updated with aws-cdk-lib.',
    });
  }
}

/**
 * The wildcards of the artifact reads a component granted `grantee` (read actions of `bucket.grantRead` on the
 * components' own key prefixes), acknowledged on the grantee only when `owner` created it: the fleet's own token
 * exchange role is, a role the user passed in keeps its findings. The ids are rendered from the grant's statements
 * once the app is prepared (a bucket of another stack is an import named then).
 */
export function acknowledgeArtifactRead(owner: IConstruct, grantee: iam.IGrantable, grant: iam.Grant): void {
  const principal = grantee.grantPrincipal as Partial<IConstruct>;
  if (!principal.node) return;
  const resource = principal as IConstruct;
  const reason = 'Greengrass core devices (through the token exchange role) read the artifacts of the components deployed '
    + 'to them: the read actions of bucket.grantRead, on the components\' own key prefixes (edge/<component>/, '
    + 'models/<name>/<version>/) only.';
  resource.node.addValidation({
    validate: () => {
      acknowledge(owner, resource, ...wildcardIds(Stack.of(resource), grant).map((id) => ({ id, reason })));
      return [];
    },
  });
}

/** The `AwsSolutions-IAM5` finding ids of a grant's wildcard actions and resources, as cdk-nag writes them. */
function wildcardIds(stack: Stack, grant: iam.Grant): string[] {
  const ids = new Set<string>();
  for (const statement of grant.principalStatements) {
    for (const action of statement.actions.filter((a) => a.includes('*'))) ids.add(`AwsSolutions-IAM5[Action::${action}]`);
    for (const r of statement.resources.map((x) => flattenReference(stack.resolve(x))).filter((x) => x.includes('*'))) {
      ids.add(`AwsSolutions-IAM5[Resource::${r}]`);
    }
  }
  return [...ids];
}
