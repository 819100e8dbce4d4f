/**
 * One synth run of the benchmark, in its own process so that every fixed cost (loading aws-cdk-lib, onnxruntime)
 * counts: `node dist/bench/synth/app.js <models> <model dir> <outdir> [--no-edge] [--no-sagemaker]`.
 * Prints one JSON line with the phase times in milliseconds.
 */
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { ModelFleet, ModelFleetResources } from '../../constructs/fleet';
import { ModelSource } from '../../constructs/model';

/** Models per stack: about 13 resources each, so 25 stay well under the 500-resource limit. */
const MODELS_PER_STACK = 25;

function main(argv: string[]): void {
  const [countText, modelDir, outdir, ...flags] = argv;
  const count = Number(countText);
  // performance.now() counts from the process start: this is the cost of starting node and loading the modules.
  const loaded = performance.now();
  const app = new App({ outdir });
  // How a platform team declares dozens of models: the shared parts (store, edge fleet, runtime components, alarm
  // topic) in one stack, the models in stacks of MODELS_PER_STACK (a stack holds at most 500 resources).
  const platform = new Stack(app, 'Platform');
  const resources = new ModelFleetResources(platform, ModelFleetResources.ID);
  let stack: Stack | undefined;
  for (let i = 0; i < count; i++) {
    if (i % MODELS_PER_STACK === 0) stack = new Stack(app, `Models${i / MODELS_PER_STACK}`);
    new ModelFleet(stack!, `Model${i}`, {
      resources,
      model: ModelSource.fromAsset(path.join(modelDir, `model-${i}.onnx`)),
      modelName: `model-${i}`,
      historyDisabled: true,
      edge: { enabled: !flags.includes('--no-edge') },
      sagemaker: { enabled: !flags.includes('--no-sagemaker') },
    });
  }
  const constructed = performance.now();
  app.synth();
  const synthesized = performance.now();
  process.stdout.write(JSON.stringify({
    models: count,
    loadMs: Math.round(loaded),
    constructMs: Math.round(constructed - loaded),
    synthMs: Math.round(synthesized - constructed),
    totalMs: Math.round(synthesized),
  }) + '\n');
}

main(process.argv.slice(2));
