import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, ownedBy } from '../../../constructs/core/private/acknowledge';

/** Ids acknowledged on a construct (the metadata `Validations.acknowledge` writes). */
function acknowledged(c: Construct): string {
  return JSON.stringify(c.node.metadata) + JSON.stringify(c.node.defaultChild?.node.metadata ?? []);
}

describe('acknowledge', () => {
  const setup = () => {
    const stack = new Stack(new App(), 'S');
    const owner = new Construct(stack, 'Owner');
    const own = new iam.Role(owner, 'Own', { assumedBy: new iam.AccountRootPrincipal() });
    const users = new iam.Role(stack, 'Users', { assumedBy: new iam.AccountRootPrincipal() });
    return { stack, owner, own, users };
  };
  const finding = { id: 'AwsSolutions-IAM5[Action::s3:GetObject*]', reason: 'a reason a reviewer reads' };

  test('acknowledges a resource the owner created', () => {
    const { owner, own } = setup();
    expect(acknowledge(owner, own, finding)).toBe(true);
    expect(acknowledged(own)).toContain('AwsSolutions-IAM5[Action::s3:GetObject*]');
  });

  test('leaves a resource the user created alone, so its findings stay for the user to judge', () => {
    const { owner, users } = setup();
    expect(acknowledge(owner, users, finding)).toBe(false);
    expect(acknowledged(users)).not.toContain('AwsSolutions-IAM5');
  });

  test('counts the CDK singletons at the stack root as created for the owner, in the owner\'s stack only', () => {
    const { stack, owner } = setup();
    const singleton = new Construct(stack, 'Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C');
    const role = new Construct(singleton, 'ServiceRole');
    expect(ownedBy(owner, role)).toBe(true);
    const other = new Stack(stack.node.root as App, 'Other');
    const elsewhere = new Construct(new Construct(other, 'Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C'), 'Role');
    expect(ownedBy(owner, elsewhere)).toBe(false);
    expect(ownedBy(owner, new Construct(stack, 'SomethingElse'))).toBe(false);
  });
});
