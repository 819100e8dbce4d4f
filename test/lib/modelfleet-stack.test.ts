import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ModelFleetStack } from '../../lib/modelfleet-stack';

const ROOT = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_CONTEXT = (require(path.join(ROOT, 'cdk.json')) as { context: Record<string, unknown> }).context;

function defaultApp(): { app: App; stack: ModelFleetStack } {
  const app = new App({ context: CDK_CONTEXT });
  const stack = new ModelFleetStack(app, 'ModelFleet', { modelPath: path.join(ROOT, 'models', 'iris.onnx') });
  return { app, stack };
}

describe('ModelFleetStack', () => {
  test('declares a model store holding the iris model, environment-agnostic', () => {
    const { stack } = defaultApp();
    const template = Template.fromStack(stack);
    expect(Token.isUnresolved(stack.account)).toBe(true);
    expect(Token.isUnresolved(stack.region)).toBe(true);
    template.hasResourceProperties('Custom::CDKBucketDeployment', { DestinationBucketKeyPrefix: Match.stringLikeRegexp('^models/iris/[0-9a-f]{12}/$') });
    expect(Object.keys(template.findResources('AWS::S3::Bucket')).sort()).toEqual(['StoreAccessLogs087BBF22', 'StoreBucket4FBDE984']);
  });

  test('passes the cdk-nag AwsSolutions checks with no unacknowledged finding', () => {
    const { app, stack } = defaultApp();
    app.synth();
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath ?? r.resourceLogicalId}: ${v.description.split('\n')[0]}`));
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  test('writes the model and its contract.json into the cloud assembly', () => {
    const { app, stack } = defaultApp();
    const assembly = app.synth();
    const model = stack.model;
    const staged = fs.readdirSync(assembly.directory)
      .map((entry) => path.join(assembly.directory, entry, 'contract.json'))
      .filter((file) => fs.existsSync(file));
    expect(staged).toHaveLength(1);
    expect(fs.readFileSync(staged[0], 'utf8')).toBe(fs.readFileSync(model.localContractPath!, 'utf8'));
    expect(JSON.parse(fs.readFileSync(staged[0], 'utf8'))).toEqual(expect.objectContaining({ name: 'iris', version: model.version }));
    expect(fs.readFileSync(path.join(path.dirname(staged[0]), 'model.onnx')).equals(fs.readFileSync(model.localPath!))).toBe(true);
  });
});
