import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One finding acknowledged: the rule's finding id as the validator renders it, and the reason a reviewer reads. */
export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

/**
 * Ids of the singletons the CDK creates at a stack's root on behalf of a construct (BucketDeployment's upload function,
 * the bucket notifications handler, AwsCustomResource's function): a construct that made the CDK create them may
 * acknowledge their findings, since the user's code did not create them either.
 */
const CDK_SINGLETON_IDS = [
  /^Custom::CDKBucketDeployment/, /^BucketNotificationsHandler/, /^AWS679f53fac002430cb0da5b7982bd2287$/,
  // aws-eks's kubectl provider of an imported cluster (`<cluster id>-KubectlProvider`)
  /-KubectlProvider$/,
];

/** Whether `resource` is `owner` itself, inside `owner`, or a CDK singleton of `owner`'s stack. */
export function ownedBy(owner: IConstruct, resource: IConstruct): boolean {
  if (resource.node.scopes.includes(owner)) return true;
  const scopes = resource.node.scopes;
  const root = scopes.find((s) => Stack.isStack(s));
  const singleton = root !== undefined && root === Stack.of(owner)
    && scopes.some((s) => s.node.scope === root && CDK_SINGLETON_IDS.some((re) => re.test(s.node.id)));
  return singleton;
}

/**
 * The one place the constructs acknowledge validation findings (cdk-nag rules, CDK annotations). It acknowledges only
 * resources that `owner` created (or CDK singletons created for it): a role, bucket or function the user passed in
 * keeps every finding, for the user to judge. Returns whether it acknowledged.
 *
 * @param owner the modelfleet construct that created `resource`
 * @param resource the resource the findings are on
 * @param acknowledgements the findings and their reasons
 */
export function acknowledge(owner: IConstruct, resource: IConstruct, ...acknowledgements: Acknowledgement[]): boolean {
  if (!ownedBy(owner, resource) || acknowledgements.length === 0) return false;
  Validations.of(resource).acknowledge(...acknowledgements);
  return true;
}
