import { Names, Reference, Stack, Tokenization } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { Acknowledgement, acknowledge, ownedBy } from '../../core/private/acknowledge';

/**
 * The acknowledgements of the Kubernetes workload (cdk-nag findings with the reason a reviewer reads). Every one goes
 * through core's `acknowledge(owner, resource, ...)`: only resources the `KubernetesModelService` created (or the CDK
 * created for it at the stack's root) are acknowledged, so a role the user passed in keeps its findings.
 */

/** Why the pods' role may read `<prefix>*`. */
export function podRoleReason(prefix: string): string {
  return `The pods may only read this model version: s3:GetObject (StoredModel.grantRead) on ${prefix}* of the model `
    + 'store; s3:ListBucket is conditioned on that s3:prefix.';
}

/**
 * Acknowledges the cdk-nag `AwsSolutions-IAM5` findings of a grant's wildcards (`Action::s3:GetObject*`,
 * `Resource::<Bucket.Arn>/models/...*`) on `resource`, when `owner` created it, with the reason a reviewer reads. The
 * finding ids are computed from the grant's statements the way cdk-nag writes them, so only these wildcards are
 * acknowledged.
 *
 * @returns whether `resource` is `owner`'s (and so gets the acknowledgements)
 */
export function acknowledgeGrantWildcards(owner: IConstruct, resource: IConstruct, grant: iam.Grant, reason: string): boolean {
  if (!ownedBy(owner, resource)) return false;
  const stack = Stack.of(resource);
  const crossStack = grant.principalStatements.some((statement) => statement.resources.some((r) => referencesOtherStack(stack, r)));
  const rules = (): Acknowledgement[] => wildcardIds(stack, grant).map((id) => ({ id, reason }));
  if (crossStack) {
    // A resource of another stack (the store bucket of a platform stack) is an import, named once the app is
    // prepared: computed when the tree is validated, after `prepare`, before the templates are written.
    resource.node.addValidation({
      validate: () => {
        acknowledge(owner, resource, ...rules());
        return [];
      },
    });
    return true;
  }
  return acknowledge(owner, resource, ...rules());
}

/**
 * The kubectl provider aws-eks creates at the stack's root for an imported cluster (`<cluster id>-KubectlProvider`,
 * shared by every manifest of that cluster in the stack); undefined for a cluster defined in the app, whose provider
 * is the cluster's own.
 */
export function kubectlProviderOf(scope: IConstruct, cluster: eks.ICluster): IConstruct | undefined {
  return Stack.of(scope).node.tryFindChild(`${Names.nodeUniqueId(cluster.node)}-KubectlProvider`);
}

const KUBECTL_MANAGED_POLICIES_REASON = 'aws-eks\'s kubectl provider: aws-cdk-lib attaches these AWS managed policies to '
  + 'its Lambda roles (logs, and pulling the kubectl layer image).';

/** The findings of aws-eks's kubectl provider that come from aws-cdk-lib's own choices, and why. */
export const KUBECTL_PROVIDER_ACKNOWLEDGEMENTS: readonly Acknowledgement[] = [
  ...['service-role/AWSLambdaBasicExecutionRole', 'AmazonEC2ContainerRegistryPullOnly'].map((name) => ({
    id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`,
    reason: KUBECTL_MANAGED_POLICIES_REASON,
  })),
  {
    id: 'AwsSolutions-IAM4[Policy::{"Fn::If":["HandlerHasEcrPublic195AF58A",{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},'
      + '":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"]]},{"Ref":"AWS::NoValue"}]}]',
    reason: KUBECTL_MANAGED_POLICIES_REASON,
  },
  {
    id: 'AwsSolutions-IAM5[Resource::<Handler886CB40B.Arn>:*]',
    reason: 'aws-eks\'s kubectl provider: the provider framework may invoke every version of its own handler function.',
  },
  {
    id: 'AwsSolutions-L1',
    reason: 'aws-eks\'s kubectl provider: aws-cdk-lib pins the handler runtime that its kubectl layer supports.',
  },
];

/**
 * Acknowledges the findings of aws-eks's kubectl provider that come from aws-cdk-lib's own choices, when `owner`
 * made aws-eks create it (the caller checks that the provider did not exist before): a stack-root singleton of the
 * CDK, like BucketDeployment's function.
 *
 * @returns whether core's `acknowledge` took the provider as `owner`'s
 */
export function acknowledgeKubectlProvider(owner: IConstruct, provider: IConstruct): boolean {
  return acknowledge(owner, provider, ...KUBECTL_PROVIDER_ACKNOWLEDGEMENTS);
}

/** True when the value holds a reference to a resource of another stack than `stack`. */
function referencesOtherStack(stack: Stack, value: string): boolean {
  return Tokenization.reverseString(value).tokens.some((token) => token instanceof Reference
    && Stack.of(token.target) !== stack);
}

function wildcardIds(stack: Stack, grant: iam.Grant): string[] {
  const ids = new Set<string>();
  for (const statement of grant.principalStatements) {
    for (const action of statement.actions.filter((a) => a.includes('*'))) {
      ids.add(`AwsSolutions-IAM5[Action::${action}]`);
    }
    for (const resource of statement.resources.map((r) => flatten(stack.resolve(r))).filter((r) => r.includes('*'))) {
      ids.add(`AwsSolutions-IAM5[Resource::${resource}]`);
    }
  }
  return [...ids];
}

/** A resolved CloudFormation value as one string: `<Logical.Attr>` for `Fn::GetAtt`, `<Name>` for `Ref`. */
function flatten(value: unknown): string {
  if (typeof value === 'string') {
    return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  }
  const v = (value ?? {}) as {
    'Fn::Join'?: [string, unknown[]]; 'Fn::Sub'?: unknown; 'Fn::GetAtt'?: unknown[]; 'Fn::ImportValue'?: unknown; Ref?: unknown;
  };
  if (v['Fn::Join']) {
    return v['Fn::Join'][1].map(flatten).join(v['Fn::Join'][0]);
  }
  if (v['Fn::Sub']) {
    return flatten(v['Fn::Sub']);
  }
  if (v['Fn::GetAtt']) {
    return `<${flatten(v['Fn::GetAtt'][0])}.${flatten(v['Fn::GetAtt'][1])}>`;
  }
  if (v['Fn::ImportValue']) {
    return flatten(v['Fn::ImportValue']);
  }
  if (v.Ref) {
    return `<${flatten(v.Ref)}>`;
  }
  return JSON.stringify(value);
}
