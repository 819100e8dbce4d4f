import { CfnJson, Names, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** The IRSA role of a service account without an `eks.ICluster`, and the ARN to annotate the service account with. */
export interface IrsaRole {
  readonly role: iam.Role;
  /** A literal-able ARN (from the role's name) when the stack's account and region are known; else `role.roleArn`. */
  readonly annotationArn: string;
}

/**
 * Creates the role that pods of `system:serviceaccount:<namespace>:<serviceAccount>` assume through the cluster's
 * OIDC provider (IAM roles for service accounts), as aws-eks's `ServiceAccount` does: `sts:AssumeRoleWithWebIdentity`
 * for the provider, `StringEquals` on `<issuer>:sub` and on `<issuer>:aud` = `sts.amazonaws.com`. The issuer (the
 * provider's URL without `https://`) names the condition keys; when it is a token, a `CfnJson` resolves the keys
 * at deployment.
 *
 * In a stack with a concrete account and region, the role gets a physical name (unique per stack path and region,
 * as IAM names are global in an account), so its ARN is known at synth and GitOps YAML can hold it.
 */
export function createIrsaRole(scope: Construct, id: string, provider: iam.IOpenIdConnectProvider,
  namespaceName: string, serviceAccount: string): IrsaRole {
  const stack = Stack.of(scope);
  const issuer = provider.openIdConnectProviderIssuer;
  const claims = {
    [`${issuer}:aud`]: 'sts.amazonaws.com',
    [`${issuer}:sub`]: `system:serviceaccount:${namespaceName}:${serviceAccount}`,
  };
  const conditions = Token.isUnresolved(issuer)
    ? new CfnJson(scope, `${id}ConditionJson`, { value: claims })
    : claims;
  const concreteEnv = !Token.isUnresolved(stack.account) && !Token.isUnresolved(stack.region);
  const roleName = concreteEnv
    ? `${Names.uniqueResourceName(scope, { maxLength: 64 - 1 - stack.region.length })}-${stack.region}`
    : undefined;
  const role = new iam.Role(scope, id, {
    roleName,
    assumedBy: new iam.OpenIdConnectPrincipal(provider).withConditions({ StringEquals: conditions }),
    description: `Pods of service account ${namespaceName}/${serviceAccount} (IRSA): read the model they serve`,
  });
  const annotationArn = roleName === undefined
    ? role.roleArn
    : stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: roleName });
  return { role, annotationArn };
}
