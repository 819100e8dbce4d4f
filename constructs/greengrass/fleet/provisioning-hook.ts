import { Aws, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { acknowledge } from '../../core/private/acknowledge';
import { PROVISIONING_HOOK_SOURCE } from './provisioning-hook-source';

/**
 * The default pre-provisioning hook of a fleet: a small Lambda that refuses malformed and existing thing names (see
 * `provisioning-hook-source.ts`). It may only describe things of this account and Region.
 */
export function defaultProvisioningHook(scope: Construct): lambda.Function {
  const hook = new lambda.Function(scope, 'ProvisioningPreHook', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline(PROVISIONING_HOOK_SOURCE),
    timeout: Duration.seconds(5),
    description: `Fleet provisioning hook of ${scope.node.path}: refuses malformed and existing thing names`,
  });
  hook.addToRolePolicy(new iam.PolicyStatement({
    actions: ['iot:DescribeThing'],
    resources: [`arn:${Aws.PARTITION}:iot:${Aws.REGION}:${Aws.ACCOUNT_ID}:thing/*`],
  }));
  acknowledge(scope, hook, {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'AWSLambdaBasicExecutionRole only lets the function write its own logs.',
  }, {
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:thing/*]',
    reason: 'The hook must check any thing name a device asks for, so it describes this account\'s things (read only).',
  });
  return hook;
}
