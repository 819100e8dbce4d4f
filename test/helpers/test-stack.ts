import { App, Stack, StackProps } from 'aws-cdk-lib';

/**
 * A stack `Stack` in a new app with CDK's built-in CloudFormation validation off: it costs about 5 s of CPU per test
 * file (test/lib/modelfleet-stack.test.ts keeps it on for the default app).
 */
export function testStack(props?: StackProps): Stack {
  return new Stack(new App({ builtinCloudFormationValidation: false }), 'Stack', props);
}
