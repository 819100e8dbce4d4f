import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiObject, JsonPatch } from 'cdk8s';
import { tinyOnnxModel } from '../../../bench/synth/tiny-model';
import { ModelFleet, ModelFleetResources } from '../../../constructs/fleet';
import { stopGoldenWorker } from '../../../constructs/fleet/private/golden';
import { resetHistoryCache } from '../../../constructs/fleet/private/history';
import { KubernetesModelService } from '../../../constructs/kubernetes';
import { ModelSource } from '../../../constructs/model';
import { ModelFleetError } from '../../../constructs/core/private/modelfleet-error';
import { IModelStore, ModelStore, ModelStorePublisher } from '../../../constructs/model-store';
import { ServingImage } from '../../../constructs/serving-image';

const OIDC_ARN = 'arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const IMAGE = 'public.ecr.aws/example/modelfleet-edge:1.0.0';

let dir: string;
const models: string[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-cross-stack-'));
  for (let i = 0; i < 4; i++) {
    models.push(path.join(dir, `tiny-${i}.onnx`));
    fs.writeFileSync(models[i], tinyOnnxModel({ seed: i + 1 }));
  }
});
afterAll(async () => {
  await stopGoldenWorker();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => resetHistoryCache());

function newApp(): App {
  return new App({
    outdir: fs.mkdtempSync(path.join(dir, 'cdk.out-')),
    builtinCloudFormationValidation: false,
    context: { 'aws:cdk:disable-asset-staging': true },
  });
}

/** The keys of the `aws-cdk:cr-owned:*` tags (one per BucketDeployment) on the store bucket. */
function crOwnedTags(stack: Stack, store: IModelStore): string[] {
  const bucket = Template.fromStack(stack).findResources('AWS::S3::Bucket')[stack.getLogicalId(store.bucket.node.defaultChild as never)];
  return ((bucket.Properties.Tags ?? []) as Array<{ Key: string }>).map((t) => t.Key).filter((k) => k.startsWith('aws-cdk:cr-owned'));
}

/** The keys that a stack's BucketDeployments write from `Source.data` (their `SourceMarkersConfig` entries with jsonEscape). */
function dataSourceCount(stack: Stack): number {
  return Object.values(Template.fromStack(stack).findResources('Custom::CDKBucketDeployment'))
    .flatMap((d) => (d.Properties.SourceMarkersConfig ?? []) as Array<{ jsonEscape?: boolean }>)
    .filter((c) => c.jsonEscape === true).length;
}

function nagFindings(app: App, stack: Stack): string[] {
  const report = new AwsSolutionsChecks(app).validateScope(stack);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

/** Stack names each stack depends on, and a check that none depends on itself through the others. */
function dependencyCycle(assembly: ReturnType<App['synth']>): string | undefined {
  const deps = new Map(assembly.stacks.map((s) => [s.id, s.dependencies.map((d) => d.id)]));
  const visiting = new Set<string>();
  const visit = (id: string, trail: string[]): string | undefined => {
    if (trail.includes(id)) return [...trail, id].join(' -> ');
    if (visiting.has(id)) return undefined;
    visiting.add(id);
    for (const next of deps.get(id) ?? []) {
      const cycle = visit(next, [...trail, id]);
      if (cycle) return cycle;
    }
    return undefined;
  };
  for (const id of deps.keys()) {
    const cycle = visit(id, []);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('KubernetesModelService in another stack than its model store', () => {
  /** A platform stack with the store and its models; `stacks` model stacks with `perStack` services each. */
  function platformApp(stacks: number, perStack: number) {
    const app = newApp();
    const platform = new Stack(app, 'Platform');
    const store = new ModelStore(platform, 'Store');
    const modelStacks: Stack[] = [];
    const services: KubernetesModelService[] = [];
    for (let s = 0; s < stacks; s++) {
      const stack = new Stack(app, `Models${s}`);
      modelStacks.push(stack);
      const oidc = iam.OpenIdConnectProvider.fromOpenIdConnectProviderArn(stack, 'Oidc', OIDC_ARN);
      for (let m = 0; m < perStack; m++) {
        const i = s * perStack + m;
        const model = store.addModel(`model-${i}`, ModelSource.fromAsset(models[i]));
        services.push(new KubernetesModelService(stack, `Model${i}`, {
          model, image: ServingImage.fromRegistry(IMAGE), openIdConnectProvider: oidc,
        }));
      }
    }
    return { app, platform, store, modelStacks, services };
  }

  test('synthesizes with one publisher per model stack: one bucket tag per stack, no cycle, cdk-nag clean', () => {
    const { app, platform, store, modelStacks, services } = platformApp(2, 2);
    const assembly = app.synth();

    expect(dependencyCycle(assembly)).toBeUndefined();
    for (const stack of modelStacks) {
      expect(assembly.getStackByName(stack.stackName).dependencies.map((d) => d.id)).toContain('Platform');
    }
    expect(assembly.getStackByName('Platform').dependencies.map((d) => d.id).filter((id) => !id.endsWith('.assets'))).toEqual([]);
    // The store's upload and one publisher per model stack.
    expect(crOwnedTags(platform, store)).toHaveLength(1 + modelStacks.length);
    for (const [s, stack] of modelStacks.entries()) {
      const publishers = stack.node.children.filter((c) => c instanceof ModelStorePublisher);
      expect(publishers).toHaveLength(1);
      Template.fromStack(stack).resourceCountIs('Custom::CDKBucketDeployment', 1);
      // Each service writes <hash>.yaml and latest.yaml through its own stack's publisher.
      expect(dataSourceCount(stack)).toBe(2 * 2);
      for (const service of services.slice(2 * s, 2 * s + 2)) {
        expect(service.manifestPublication).toBe((publishers[0] as ModelStorePublisher).upload);
      }
    }
    expect(dataSourceCount(platform)).toBe(0);
    for (const stack of [platform, ...modelStacks]) {
      expect(nagFindings(app, stack)).toEqual([]);
    }
  });

  test('the YAML published from a model stack holds that stack\'s role ARN, and the stack exports nothing to the platform', () => {
    const { app, platform, modelStacks } = platformApp(1, 1);
    app.synth();
    const [deployment] = Object.values(Template.fromStack(modelStacks[0]).findResources('Custom::CDKBucketDeployment'));
    const markers = JSON.stringify(deployment.Properties.SourceMarkers);
    expect(markers).toMatch(/"Fn::GetAtt":\["Model0ServiceAccountRole[A-Z0-9]+","Arn"\]/);
    expect(Object.keys(Template.fromStack(modelStacks[0]).toJSON().Outputs ?? {}).filter((k) => k.startsWith('Exports'))).toEqual([]);
    expect(JSON.stringify(Template.fromStack(platform).toJSON())).not.toContain('Models0');
  });

  test('still fails when the chart is patched after the construct took it for publication', () => {
    const { app, services } = platformApp(1, 1);
    ApiObject.of(services[0].deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/priorityClassName', 'inference'));
    let error: unknown;
    try {
      app.synth();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelFleetError);
    expect((error as ModelFleetError).code).toBe('KubernetesChartChangedAfterCreation');
  });
});

describe('ModelFleet with Kubernetes on, models spread over stacks', () => {
  test('a platform stack and two model stacks of two models each synthesize, cdk-nag clean', () => {
    const app = newApp();
    const platform = new Stack(app, 'Platform');
    const resources = new ModelFleetResources(platform, ModelFleetResources.ID);
    const modelStacks = [new Stack(app, 'ModelsA'), new Stack(app, 'ModelsB')];
    const fleets = models.map((file, i) => new ModelFleet(modelStacks[Math.floor(i / 2)], `Model${i}`, {
      resources, model: ModelSource.fromAsset(file), modelName: `model-${i}`, historyDisabled: true,
    }));
    const assembly = app.synth();

    expect(fleets.every((f) => f.kubernetes !== undefined)).toBe(true);
    expect(dependencyCycle(assembly)).toBeUndefined();
    // The edge runtime components have uploads of their own (one per component and platform, whatever the number of
    // models): the store's upload and the model stacks' publishers are the rest.
    const tags = crOwnedTags(platform, resources.store);
    expect(tags.filter((k) => !k.startsWith('aws-cdk:cr-owned:edge/'))).toHaveLength(1 + modelStacks.length);
    for (const stack of modelStacks) {
      expect(stack.node.children.filter((c) => c instanceof ModelStorePublisher)).toHaveLength(1);
      expect(dataSourceCount(stack)).toBe(2 * 2);
    }
    expect(dataSourceCount(platform)).toBe(0);
    for (const stack of [platform, ...modelStacks]) {
      expect(nagFindings(app, stack)).toEqual([]);
    }
  });
});
