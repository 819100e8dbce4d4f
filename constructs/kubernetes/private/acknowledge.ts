import { Reference, Stack, Tokenization, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { acknowledgeAfterPrepare } from '../../model-store/private/acknowledgements';

/**
 * Acknowledges the cdk-nag `AwsSolutions-IAM5` findings of a grant's wildcards (`Action::s3:GetObject*`,
 * `Resource::<Bucket.Arn>/models/...*`) on `scope`, with the reason a reviewer reads. The finding ids are computed
 * from the grant's statements the way cdk-nag writes them, so only these wildcards are acknowledged.
 */
export function acknowledgeGrantWildcards(scope: IConstruct, grant: iam.Grant, reason: string): void {
  const stack = Stack.of(scope);
  const crossStack = grant.principalStatements.some((statement) => statement.resources.some((r) => referencesOtherStack(stack, r)));
  if (crossStack) {
    // A resource of another stack (the store bucket of a platform stack) is an import, named once the app is prepared.
    acknowledgeAfterPrepare(scope, scope, () => wildcardIds(stack, grant).map((id) => ({ id, reason })));
    return;
  }
  for (const id of wildcardIds(stack, grant)) {
    Validations.of(scope).acknowledge({ id, reason });
  }
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
