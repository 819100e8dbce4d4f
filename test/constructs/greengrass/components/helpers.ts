import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ModelSource } from '../../../../constructs/model';
import { ModelStore } from '../../../../constructs/model-store';
import {
  ModelComponent, ModelComponentProps, ModelServerComponent, NodeRuntimeComponent,
} from '../../../../constructs/greengrass/components';
import { Recipe, resolveIntrinsics } from '../../../e2e/cloud-assembly';
import { IRIS_MODEL } from '../../../helpers/tmp-model';

export const IRIS = IRIS_MODEL;

/** An app that does not copy assets into a cloud assembly (the Node binaries are 120 MB each). */
export function newStack(): Stack {
  return new Stack(new App({ context: { 'aws:cdk:disable-asset-staging': true } }), 'Stack');
}

export interface EdgeStack {
  readonly stack: Stack;
  readonly store: ModelStore;
  readonly node: NodeRuntimeComponent;
  readonly server: ModelServerComponent;
  readonly model: ModelComponent;
}

let defaultStack: EdgeStack | undefined;

/** The default edge stack, built once per test file: for tests that only read it. */
export function sharedEdgeStack(): EdgeStack {
  defaultStack ??= edgeStack();
  return defaultStack;
}

/** A store with the iris model, the two runtime components and the iris model component. */
export function edgeStack(modelProps: Partial<Omit<ModelComponentProps, 'model' | 'modelServer'>> = {}, modelFile = IRIS): EdgeStack {
  const stack = newStack();
  const store = new ModelStore(stack, 'Store');
  const stored = store.addModel('iris', ModelSource.fromAsset(modelFile));
  const node = new NodeRuntimeComponent(stack, 'NodeRuntime', { bucket: store.bucket });
  const server = new ModelServerComponent(stack, 'ModelServer', { bucket: store.bucket, nodeRuntime: node });
  const model = new ModelComponent(stack, 'Iris', { model: stored, modelServer: server, ...modelProps });
  return { stack, store, node, server, model };
}

/** Every recipe in the stack's template, parsed, by component name. */
const recipeCache = new WeakMap<Stack, Map<string, Recipe>>();

export function recipes(stack: Stack): Map<string, Recipe> {
  const cached = recipeCache.get(stack);
  if (cached) return cached;
  const out = new Map<string, Recipe>();
  recipeCache.set(stack, out);
  const resources = Template.fromStack(stack).findResources('AWS::GreengrassV2::ComponentVersion');
  for (const r of Object.values(resources)) {
    const recipe = JSON.parse(resolveIntrinsics(r.Properties.InlineRecipe) as string) as Recipe;
    out.set(recipe.ComponentName, recipe);
  }
  return out;
}
