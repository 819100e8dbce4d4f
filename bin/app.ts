#!/usr/bin/env node
/**
 * The default modelfleet CDK app (`cdk.json`: `node dist/bin/app.js`). The only place that reads CDK context or the
 * environment. Context: `modelPath` (default: the repo's models/iris.onnx), `modelName` (default: iris),
 * `stackName` (default: ModelFleet), `modelVersion` (roll back to a recorded version), `historyFile` (default:
 * modelfleet.history.json in the current directory, which `cdk` runs the app from: the repo's root).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { ModelFleetStack } from '../lib/modelfleet-stack';

/** models/iris.onnx of the repo, found from this file (run from bin/ or from dist/bin/). */
function defaultModelPath(): string {
  for (let dir = __dirname, i = 0; i < 5; dir = path.dirname(dir), i++) {
    const candidate = path.join(dir, 'models', 'iris.onnx');
    if (fs.existsSync(candidate)) return candidate;
  }
  return path.resolve('models', 'iris.onnx');
}

const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
};

new ModelFleetStack(app, context('stackName') ?? 'ModelFleet', {
  modelPath: context('modelPath') ?? defaultModelPath(),
  modelName: context('modelName'),
  modelVersion: context('modelVersion'),
  historyFile: context('historyFile'),
  description: 'modelfleet default app: the iris model on SageMaker, Kubernetes (GitOps YAML) and a Greengrass fleet',
});

app.synth();
