import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ModelFleet } from '../../../constructs/fleet';
import { stopGoldenWorker } from '../../../constructs/fleet/private/golden';
import { ModelSource } from '../../../constructs/model';

const IRIS = path.resolve(__dirname, '..', '..', '..', 'models', 'iris.onnx');

afterAll(() => stopGoldenWorker());

describe('ModelFleet cdk-nag AwsSolutions', () => {
  test('a fleet with only a model leaves no unacknowledged finding', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-nag-'));
    try {
      const app = new App({ outdir: dir, builtinCloudFormationValidation: false, context: { 'aws:cdk:disable-asset-staging': true } });
      const stack = new Stack(app, 'Stack');
      new ModelFleet(stack, 'Iris', { model: ModelSource.fromAsset(IRIS), historyFile: path.join(dir, 'history.json') });
      app.synth();
      const report = new AwsSolutionsChecks(app).validateScope(stack);
      const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
      expect(findings).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
