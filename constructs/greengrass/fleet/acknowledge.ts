import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag findings (exact ids, e.g. `AwsSolutions-IAM5[Resource::*]`) on a construct and everything
 * under it, with the reason a reviewer reads.
 */
export function acknowledgeFindings(scope: IConstruct, ids: string[], reason: string): void {
  for (const id of ids) {
    Validations.of(scope).acknowledge({ id, reason });
  }
}
