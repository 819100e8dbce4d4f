import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { App, CfnResource, Lazy, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { tinyModelWeights, tinyOnnxModel } from '../../../bench/synth/tiny-model';
import { GoldenRequest, ModelFleet, ModelFleetResources } from '../../../constructs/fleet';
import { GoldenDocument, stopGoldenWorker } from '../../../constructs/fleet/private/golden';
import { resetHistoryCache } from '../../../constructs/fleet/private/history';
import { run as runHistory } from '../../../bin/commands/history';
import { ModelSource } from '../../../constructs/model';
import { ModelFleetError } from '../../../constructs/core/private/modelfleet-error';
import { ModelStore } from '../../../constructs/model-store';
import { ServingImage } from '../../../constructs/serving-image';

const IRIS = path.join(__dirname, '../../../models/iris.onnx');

let dir: string;
let tiny1: string;
let tiny2: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-fleet-'));
  tiny1 = path.join(dir, 'tiny-1.onnx');
  tiny2 = path.join(dir, 'tiny-2.onnx');
  fs.writeFileSync(tiny1, tinyOnnxModel({ seed: 1 }));
  fs.writeFileSync(tiny2, tinyOnnxModel({ seed: 2 }));
});
afterAll(async () => {
  await stopGoldenWorker();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => resetHistoryCache());

/** A new app: assets are not staged (a copy of every artifact per synth) unless `staging` is asked for. */
function newApp(staging = false): App {
  return new App({
    outdir: fs.mkdtempSync(path.join(dir, 'cdk.out-')),
    builtinCloudFormationValidation: false,
    context: staging ? {} : { 'aws:cdk:disable-asset-staging': true },
  });
}

function newStack(name = 'Fleet', staging = false): { app: App; stack: Stack } {
  const app = newApp(staging);
  return { app, stack: new Stack(app, name) };
}

function history(): string {
  return path.join(fs.mkdtempSync(path.join(dir, 'history-')), 'modelfleet.history.json');
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ModelFleetError) return err.message;
    throw err;
  }
  return undefined;
}

/** The template resource of the BucketDeployment that uploads the fleet's model. */
function uploadOf(fleet: ModelFleet, template: Template): { Properties: { SourceObjectKeys: unknown[] } } {
  const upload = fleet.storedModel.upload as Construct;
  const resource = upload.node.findAll().find((c) => c instanceof CfnResource && c.cfnResourceType === 'Custom::CDKBucketDeployment');
  return template.findResources('Custom::CDKBucketDeployment')[Stack.of(upload).getLogicalId(resource as CfnResource)] as
    { Properties: { SourceObjectKeys: unknown[] } };
}

/** Files named `name` in the assets staged in a cloud assembly (at any depth). */
function stagedCopies(outdir: string, name: string): string[] {
  return fs.readdirSync(outdir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.startsWith('asset.') && path.basename(f) === name)
    .map((f) => path.join(outdir, f));
}

describe('ModelFleet with only a model', () => {
  let fleet: ModelFleet;
  let template: Template;
  let app: App;

  beforeAll(() => {
    ({ app } = (() => {
      const s = newStack('Fleet', true); // staged: golden.json is checked among the store's upload assets
      fleet = new ModelFleet(s.stack, 'Iris', { model: ModelSource.fromAsset(IRIS), historyFile: history() });
      template = Template.fromStack(s.stack);
      return s;
    })());
  });

  test('creates the store with the model, named after the construct id', () => {
    expect(fleet.modelName).toBe('iris');
    expect(fleet.modelVersion).toMatch(/^[0-9a-f]{12}$/);
    expect(fleet.storedModel.prefix).toBe(`models/iris/${fleet.modelVersion}/`);
    expect(fleet.store).toBe(ModelFleetResources.of(fleet).store);
    template.hasResourceProperties('AWS::S3::Bucket', Match.objectLike({ VersioningConfiguration: { Status: 'Enabled' } }));
    expect(uploadOf(fleet, template)).toBeDefined();
  });

  test('creates the SageMaker endpoint serving the stored model with the shared alarm topic', () => {
    expect(fleet.endpoint).toBeDefined();
    template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    expect(fleet.endpoint!.alarmTopic).toBe(fleet.resources.alarmTopic);
    expect(JSON.stringify(template.findResources('AWS::SageMaker::Model'))).toContain(`models/iris/${fleet.modelVersion}/`);
  });

  test('creates the Greengrass components and deploys them to the edge fleet', () => {
    expect(fleet.modelComponent!.componentName).toMatch(/\.Model\.iris$/);
    expect(fleet.edgePort).toBe(8080);
    template.resourceCountIs('AWS::GreengrassV2::ComponentVersion', 3);
    template.resourceCountIs('AWS::GreengrassV2::Deployment', 1);
    const deployment = Object.values(template.findResources('AWS::GreengrassV2::Deployment'))[0];
    expect(Object.keys(deployment.Properties.Components)).toEqual(expect.arrayContaining([
      fleet.nodeRuntimeComponent!.componentName, fleet.modelServerComponent!.componentName, fleet.modelComponent!.componentName,
    ]));
  });

  test('registers the version in a model package group with its sha256 and contract', () => {
    template.hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupName: 'Fleet-iris' });
    template.hasResource('AWS::SageMaker::ModelPackage', Match.objectLike({
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        ModelPackageGroupName: 'Fleet-iris',
        ModelApprovalStatus: 'Approved',
        CustomerMetadataProperties: Match.objectLike({
          'modelfleet:sha256': fleet.storedModel.sha256,
          'modelfleet:version': fleet.modelVersion,
          'input:features': 'FP32 -1 4',
          'output:probabilities': 'FP32 -1 3',
          'output:label': 'INT64 -1',
        }),
        InferenceSpecification: Match.objectLike({
          SupportedContentTypes: ['application/json'],
          Containers: [Match.objectLike({
            ModelDataSource: { S3DataSource: Match.objectLike({ S3DataType: 'S3Prefix', CompressionType: 'None' }) },
          })],
        }),
      }),
    }));
  });

  test('keeps the logical ids of the package group and of a version\'s package', () => {
    expect(Object.keys(template.findResources('AWS::SageMaker::ModelPackageGroup'))).toEqual(['IrisModelPackageGroupDCB99EF6']);
    expect(Object.keys(template.findResources('AWS::SageMaker::ModelPackage'))[0]).toMatch(
      new RegExp(`^IrisModelPackage${fleet.modelVersion}[0-9A-F]{8}$`));
  });

  test('writes golden.json into the cloud assembly and stages it into the store', () => {
    const file = path.join(app.outdir, fleet.goldenAssemblyPath!);
    expect(fleet.goldenAssemblyPath).toBe(`modelfleet/iris/${fleet.modelVersion}/golden.json`);
    const golden = JSON.parse(fs.readFileSync(file, 'utf8')) as GoldenDocument;
    expect(golden.model).toBe('iris');
    expect(golden.version).toBe(fleet.modelVersion);
    expect(golden.tolerance).toBe(1e-5);
    expect(golden.request.inputs[0]).toMatchObject({ name: 'features', datatype: 'FP32', shape: [1, 4] });
    const probabilities = golden.response.outputs.find((o) => o.name === 'probabilities')!.data as number[];
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(fs.readFileSync(file, 'utf8')).toBe(fleet.goldenJson);
    // golden.json is a source of the model's upload: an asset staged in the assembly, next to the model's.
    expect(stagedCopies(app.outdir, 'golden.json').map((f) => fs.readFileSync(f, 'utf8'))).toEqual([fleet.goldenJson]);
    expect(uploadOf(fleet, template).Properties.SourceObjectKeys.length).toBeGreaterThanOrEqual(2);
  });

  test('outputs the verify target under a stable key', () => {
    const outputs = template.findOutputs('ModelFleetVerifyIris');
    const value = JSON.stringify(outputs.ModelFleetVerifyIris.Value);
    expect(value).toContain('\\"modelfleet\\":1');
    expect(value).toContain(`\\"version\\":\\"${fleet.modelVersion}\\"`);
    expect(value).toContain('\\"sagemakerEndpointName\\":\\"');
    expect(value).toContain(`\\"goldenAssemblyPath\\":\\"modelfleet/iris/${fleet.modelVersion}/golden.json\\"`);
  });
});

describe('ModelFleet with several models', () => {
  test('shares one store, one serving image, one alarm topic and one edge fleet, with a port per model', () => {
    const { app, stack } = newStack();
    const a = new ModelFleet(stack, 'Iris', { model: ModelSource.fromAsset(IRIS), historyFile: history() });
    const b = new ModelFleet(stack, 'TinyClassifier', { model: ModelSource.fromAsset(tiny1), historyFile: history() });
    expect(b.modelName).toBe('tiny-classifier');
    expect(b.store).toBe(a.store);
    expect(b.edgeFleet).toBe(a.edgeFleet);
    expect([a.edgePort, b.edgePort]).toEqual([8080, 8081]);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 2); // the store and its access log bucket
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::GreengrassV2::Deployment', 1);
    template.resourceCountIs('AWS::GreengrassV2::ComponentVersion', 4);
    template.resourceCountIs('AWS::SageMaker::Endpoint', 2);
    app.synth();
    const manifest = JSON.parse(fs.readFileSync(path.join(app.outdir, 'Fleet.assets.json'), 'utf8')) as {
      dockerImages: Record<string, { source: { dockerBuildTarget?: string } }>;
    };
    // one image per Dockerfile stage for the whole stack: root for the SageMaker endpoints, user 1000 for the pods
    expect(Object.values(manifest.dockerImages).map((i) => i.source.dockerBuildTarget).sort()).toEqual(['runtime', 'sagemaker']);
  });

  test('gives each model a free device port, and fails when two models ask for the same one', () => {
    const { stack } = newStack();
    const common = { historyDisabled: true, sagemaker: { enabled: false }, goldenRequest: GoldenRequest.none() };
    const a = new ModelFleet(stack, 'A', { ...common, model: ModelSource.fromAsset(tiny1), edge: { port: 8081 } });
    const b = new ModelFleet(stack, 'B', { ...common, model: ModelSource.fromAsset(tiny2) });
    const c = new ModelFleet(stack, 'C', { ...common, model: ModelSource.fromAsset(IRIS) });
    expect([a.edgePort, b.edgePort, c.edgePort]).toEqual([8081, 8080, 8082]);
    expect(codeOf(() => new ModelFleet(stack, 'D', { ...common, model: ModelSource.fromAsset(IRIS), modelName: 'iris-2', edge: { port: 8080 } })))
      .toMatch(/^EdgePortInUse: edge.port 8080 is already the port of model 'b' on the same fleet/);
  });

  test('uses the shared resources declared in the stack, whatever their id', () => {
    const { stack } = newStack();
    const resources = new ModelFleetResources(stack, 'Shared', { edgeFirstPort: 9000 });
    const fleet = new ModelFleet(stack, 'Tiny', {
      model: ModelSource.fromAsset(tiny1), historyDisabled: true, sagemaker: { enabled: false }, goldenRequest: GoldenRequest.none(),
    });
    expect(fleet.resources).toBe(resources);
    expect(fleet.edgePort).toBe(9000);
  });

  test('puts the model into an existing bucket with ModelStore.fromBucket, on every target', () => {
    const { stack } = newStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'Existing', 'platform-models');
    const fleet = new ModelFleet(stack, 'Tiny', {
      model: ModelSource.fromAsset(tiny1), historyDisabled: true, goldenRequest: GoldenRequest.none(),
      store: ModelStore.fromBucket(stack, 'PlatformStore', bucket),
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    expect(fleet.storedModel.bucket).toBe(bucket);
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: Match.objectLike({
        ModelDataSource: { S3DataSource: Match.objectLike({ S3Uri: `s3://platform-models/${fleet.storedModel.prefix}` }) },
      }),
    });
    template.hasResourceProperties('Custom::CDKBucketDeployment', { DestinationBucketName: 'platform-models' });
  });

  test('spreads models over stacks that share the resources of a platform stack', () => {
    const app = newApp();
    const platform = new Stack(app, 'Platform');
    const resources = new ModelFleetResources(platform, ModelFleetResources.ID);
    const models = new Stack(app, 'Models');
    const fleet = new ModelFleet(models, 'Tiny', {
      model: ModelSource.fromAsset(tiny1), resources, historyFile: history(),
    });
    expect(Stack.of(fleet.modelComponent!)).toBe(platform);
    expect(Stack.of(fleet.store)).toBe(platform);
    expect(Stack.of(fleet.endpoint!)).toBe(models);
    expect(Stack.of(fleet.kubernetes!)).toBe(models);
    const assembly = app.synth();
    expect(assembly.getStackByName('Models').dependencies.map((d) => d.id)).toContain('Platform');
    expect(assembly.getStackByName('Platform').dependencies.map((d) => d.id)).not.toContain('Models');
  });
});

describe('ModelFleet targets', () => {
  test('each target and the registry can be turned off', () => {
    const { stack } = newStack();
    const fleet = new ModelFleet(stack, 'Iris', {
      model: ModelSource.fromAsset(IRIS),
      historyFile: history(),
      sagemaker: { enabled: false },
      kubernetes: { enabled: false },
      edge: { enabled: false },
      registryEnabled: false,
    });
    expect(fleet.endpoint).toBeUndefined();
    expect(fleet.kubernetes).toBeUndefined();
    expect(fleet.modelComponent).toBeUndefined();
    expect(fleet.modelPackageGroup).toBeUndefined();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SageMaker::Endpoint', 0);
    template.resourceCountIs('AWS::GreengrassV2::ComponentVersion', 0);
    template.resourceCountIs('AWS::IoT::ThingGroup', 0);
    template.resourceCountIs('AWS::SageMaker::ModelPackageGroup', 0);
    const verify = JSON.stringify(template.findOutputs('ModelFleetVerifyIris'));
    expect(verify).not.toContain('sagemakerEndpointName');
    expect(verify).not.toContain('kubernetes');
  });

  test('registers a version without an inference specification when there is no endpoint', () => {
    const { stack } = newStack();
    new ModelFleet(stack, 'Iris', {
      model: ModelSource.fromAsset(IRIS), historyFile: history(), sagemaker: { enabled: false }, edge: { enabled: false },
      registryGroupName: 'team-iris',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::ModelPackage', {
      ModelPackageGroupName: 'team-iris',
      InferenceSpecification: Match.absent(),
    });
  });

  test('passes SageMaker options to the endpoint and subscribes the alarm e-mail once', () => {
    const { stack } = newStack();
    const common = { historyFile: history(), edge: { enabled: false } };
    new ModelFleet(stack, 'A', { ...common, model: ModelSource.fromAsset(tiny1), sagemaker: { instanceCount: 2, alarmEmail: 'ml@example.com', dashboard: false } });
    new ModelFleet(stack, 'B', { ...common, model: ModelSource.fromAsset(tiny2), sagemaker: { alarmEmail: 'ml@example.com', dashboard: false } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', Match.objectLike({
      ProductionVariants: [Match.objectLike({ InitialInstanceCount: 2 })],
    }));
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });
});

describe('ModelFleet Kubernetes target', () => {
  test('is on by default: without a cluster or a role, the YAML is published at deploy, with two warnings', () => {
    const { stack } = newStack();
    const fleet = new ModelFleet(stack, 'Iris', {
      model: ModelSource.fromAsset(IRIS), historyFile: history(), sagemaker: { enabled: false }, edge: { enabled: false },
    });
    expect(fleet.kubernetes).toBeDefined();
    expect(fleet.kubernetes!.role).toBeUndefined();
    expect(fleet.kubernetes!.manifestFileName).toBeUndefined();
    expect(fleet.kubernetes!.manifestPublication).toBeDefined();
    const warnings = fleet.kubernetes!.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warnings.filter((w) => w.includes('[ack: modelfleet:kubernetesManifestAtDeploy]'))).toHaveLength(1);
    expect(warnings.filter((w) => w.includes('[ack: modelfleet:kubernetesNoPodRole]'))).toHaveLength(1);
    const template = Template.fromStack(stack);
    const verify = JSON.stringify(template.findOutputs('ModelFleetVerifyIris'));
    expect(verify).toContain('\\"kubernetesManifestUrl\\":\\"s3://');
    expect(verify).toContain(fleet.kubernetes!.manifestObjectKey!);
    expect(verify).not.toContain('kubernetesServiceUrl');
  });

  test('creates the pods\' IAM role for the OIDC provider given', () => {
    const { stack } = newStack();
    const fleet = new ModelFleet(stack, 'Iris', {
      model: ModelSource.fromAsset(IRIS), historyDisabled: true, sagemaker: { enabled: false }, edge: { enabled: false },
      goldenRequest: GoldenRequest.none(),
      kubernetes: {
        openIdConnectProvider: iam.OpenIdConnectProvider.fromOpenIdConnectProviderArn(stack, 'Oidc',
          'arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC'),
      },
    });
    expect(fleet.kubernetes!.role).toBeDefined();
    const warnings = fleet.kubernetes!.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warnings.some((w) => w.includes('modelfleet:kubernetesNoPodRole'))).toBe(false);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', Match.objectLike({
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Action: 'sts:AssumeRoleWithWebIdentity' })],
      }),
    }));
  });

  test('can be turned off', () => {
    const { stack } = newStack();
    const fleet = new ModelFleet(stack, 'Iris', {
      model: ModelSource.fromAsset(IRIS), historyDisabled: true, sagemaker: { enabled: false }, edge: { enabled: false },
      goldenRequest: GoldenRequest.none(), kubernetes: { enabled: false },
    });
    expect(fleet.kubernetes).toBeUndefined();
    expect(fleet.node.findAll().some((c) => c.node.metadata.some((m) => m.type === 'aws:cdk:warning'))).toBe(false);
  });

  test('writes the chart as YAML into the cloud assembly for GitOps', () => {
    const app = newApp();
    const stack = new Stack(app, 'Gitops', { env: { account: '111111111111', region: 'eu-west-1' } });
    const store = new ModelStore(stack, 'Store', { bucketName: 'acme-models' });
    const fleet = new ModelFleet(stack, 'Iris', {
      model: ModelSource.fromAsset(IRIS), historyFile: history(), store,
      servingImage: ServingImage.fromRegistry('ghcr.io/acme/modelfleet-edge:1.0.0'),
      sagemaker: { enabled: false }, edge: { enabled: false },
      kubernetes: {
        serviceAccountRole: iam.Role.fromRoleArn(stack, 'PodRole', 'arn:aws:iam::111111111111:role/iris-pods'), replicas: 3, namespaceName: 'ml',
      },
    });
    app.synth();
    const yaml = fs.readFileSync(path.join(app.outdir, fleet.kubernetes!.manifestFileName!), 'utf8');
    expect(yaml).toContain('image: ghcr.io/acme/modelfleet-edge:1.0.0');
    expect(yaml).toContain(`s3://acme-models/models/iris/${fleet.modelVersion}/`);
    expect(yaml).toContain('eks.amazonaws.com/role-arn: arn:aws:iam::111111111111:role/iris-pods');
    expect(yaml).toContain('namespace: ml');
    expect(yaml).toContain('minReplicas: 3');
    expect(JSON.stringify(Template.fromStack(stack).findOutputs('ModelFleetVerifyIris'))).not.toContain('kubernetesServiceUrl');
  });

  test('applies the chart to a cluster and gives verify the service URL', () => {
    const { stack } = newStack();
    const cluster = eks.Cluster.fromClusterAttributes(stack, 'Cluster', {
      clusterName: 'fleet',
      kubectlRoleArn: 'arn:aws:iam::111111111111:role/fleet-kubectl',
      openIdConnectProvider: iam.OpenIdConnectProvider.fromOpenIdConnectProviderArn(stack, 'Oidc',
        'arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC'),
    });
    const fleet = new ModelFleet(stack, 'Iris', {
      model: ModelSource.fromAsset(IRIS), historyFile: history(), sagemaker: { enabled: false }, edge: { enabled: false },
      kubernetes: { cluster },
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::AWSCDK-EKS-KubernetesResource', 2); // the service account and the chart
    expect(JSON.stringify(template.findOutputs('ModelFleetVerifyIris'))).toContain(
      `\\"kubernetesServiceUrl\\":\\"${fleet.kubernetes!.url}\\"`);
  });
});

describe('ModelFleet golden request', () => {
  test('runs the generated request through the model: the golden response is the model\'s answer', () => {
    const { stack } = newStack();
    const fleet = new ModelFleet(stack, 'Tiny', {
      model: ModelSource.fromAsset(tiny1), historyFile: history(), sagemaker: { enabled: false }, edge: { enabled: false },
    });
    const golden = JSON.parse(fleet.goldenJson!) as GoldenDocument;
    const x = golden.request.inputs[0].data as number[];
    const { w, b } = tinyModelWeights({ seed: 1 });
    const scores = b.map((bias, c) => x.reduce((sum, xi, i) => sum + Math.fround(xi) * w[i * 3 + c], bias));
    (golden.response.outputs[0].data as number[]).forEach((v, i) => expect(v).toBeCloseTo(scores[i], 5));
  });

  test('uses a request the user gives, and its tolerance', () => {
    const { stack } = newStack();
    const request = { inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 4], data: [5.1, 3.5, 1.4, 0.2, 6.7, 3, 5.2, 2.3] }] };
    const fleet = new ModelFleet(stack, 'Iris', {
      model: ModelSource.fromAsset(IRIS), historyFile: history(), sagemaker: { enabled: false }, edge: { enabled: false },
      goldenRequest: GoldenRequest.fromJson(JSON.stringify(request)), goldenTolerance: 1e-3,
    });
    const golden = JSON.parse(fleet.goldenJson!) as GoldenDocument;
    expect(golden.request).toEqual(request);
    expect(golden.tolerance).toBe(1e-3);
    // A setosa and a virginica flower from the Iris data set.
    expect(golden.response.outputs.find((o) => o.name === 'label')!.data).toEqual([0, 2]);
  });

  test('fails when the given request does not fit the model, naming the problem', () => {
    const { stack } = newStack();
    expect(codeOf(() => new ModelFleet(stack, 'Iris', {
      model: ModelSource.fromAsset(IRIS), historyFile: history(), sagemaker: { enabled: false }, edge: { enabled: false },
      goldenRequest: GoldenRequest.fromJson('{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}]}'),
    }))).toMatch(/^GoldenRequestInvalid: .*input 'x' is not an input of the model .*the model's input 'features' is missing.*\(at Fleet\/Iris\)$/);
  });

  test('makes no golden request with GoldenRequest.none()', () => {
    const { stack } = newStack();
    const fleet = new ModelFleet(stack, 'Iris', {
      model: ModelSource.fromAsset(IRIS), historyFile: history(), sagemaker: { enabled: false }, edge: { enabled: false },
      goldenRequest: GoldenRequest.none(),
    });
    expect(fleet.goldenJson).toBeUndefined();
    expect(JSON.stringify(Template.fromStack(stack).findOutputs('ModelFleetVerifyIris'))).not.toContain('golden');
  });

  test('fails when a golden request file does not exist', () => {
    expect(codeOf(() => GoldenRequest.fromFile(path.join(dir, 'missing.json')))).toMatch(/^GoldenRequestFileNotFound: /);
  });
});

/** What CI does after a successful `cdk deploy`: `modelfleet history record` of the deployed assembly. */
async function recordHistory(app: App, historyFile: string): Promise<void> {
  app.synth();
  const out: string[] = [];
  const code = await runHistory(['record', '--assembly', app.outdir, '--history', historyFile], { out: (l) => out.push(l), err: (l) => out.push(l) });
  if (code !== 0) throw new Error(`modelfleet history record failed (${code}): ${out.join('\n')}`);
}

describe('ModelFleetResources declared by the app', () => {
  test('fails when declared after a ModelFleet made the stack\'s defaults, naming both and the fix', () => {
    const { stack } = newStack();
    new ModelFleet(stack, 'Tiny', { model: ModelSource.fromAsset(tiny1), historyDisabled: true, sagemaker: { enabled: false }, edge: { enabled: false } });
    expect(codeOf(() => new ModelFleetResources(stack, 'Shared', { edgeFirstPort: 9000 }))).toBe(
      'ModelFleetResourcesAlreadyDefined: ModelFleetResources Shared would be ignored: a ModelFleet already created the '
      + 'stack\'s defaults at Fleet/ModelFleetResources; declare Shared before the stack\'s first ModelFleet (at Fleet)');
  });

  test('fails when a stack declares them twice', () => {
    const { stack } = newStack();
    new ModelFleetResources(stack, 'One');
    expect(codeOf(() => new ModelFleetResources(stack, 'Two'))).toContain(
      'ModelFleetResources Two would be ignored: the stack already declares them at Fleet/One');
  });

  test('declared first, they are the ones every ModelFleet of the stack uses', () => {
    const { stack } = newStack();
    const shared = new ModelFleetResources(stack, 'Shared', { edgeFirstPort: 9000 });
    const fleet = new ModelFleet(stack, 'Tiny', { model: ModelSource.fromAsset(tiny1), historyDisabled: true, sagemaker: { enabled: false } });
    expect(ModelFleetResources.of(fleet)).toBe(shared);
    expect(fleet.edgePort).toBe(9000);
  });
});

describe('ModelFleet history', () => {
  test('a synth (cdk ls, cdk diff) writes no history file: the version entry goes into the cloud assembly', () => {
    const historyFile = history();
    const { app, stack } = newStack();
    const fleet = new ModelFleet(stack, 'Tiny', { model: ModelSource.fromAsset(tiny1), historyFile, sagemaker: { enabled: false }, edge: { enabled: false } });
    app.synth();
    expect(fs.existsSync(historyFile)).toBe(false);
    const entry = JSON.parse(fs.readFileSync(path.join(app.outdir, 'modelfleet', 'tiny', fleet.modelVersion, 'history-entry.json'), 'utf8'));
    expect(entry).toMatchObject({ modelfleetHistoryEntry: 1, model: 'tiny', version: fleet.modelVersion, sha256: fleet.storedModel.sha256 });
  });

  test('modelfleet history record adds the assembly\'s versions once; historyRecordAtSynth writes at synth', async () => {
    const historyFile = history();
    const { app, stack } = newStack();
    const fleet = new ModelFleet(stack, 'Tiny', { model: ModelSource.fromAsset(tiny1), historyFile, sagemaker: { enabled: false }, edge: { enabled: false } });
    await recordHistory(app, historyFile);
    const recorded = fs.readFileSync(historyFile, 'utf8');
    expect(Object.keys(JSON.parse(recorded).models.tiny)).toEqual([fleet.modelVersion]);
    const lines: string[] = [];
    expect(await runHistory(['record', '--assembly', app.outdir, '--history', historyFile], { out: (l) => lines.push(l), err: (l) => lines.push(l) })).toBe(0);
    expect(lines[0]).toBe(`  already recorded  tiny ${fleet.modelVersion}`);

    const atSynth = history();
    resetHistoryCache();
    new ModelFleet(newStack().stack, 'Tiny', {
      model: ModelSource.fromAsset(tiny1), historyFile: atSynth, historyRecordAtSynth: true, sagemaker: { enabled: false }, edge: { enabled: false },
    });
    expect(fs.readFileSync(atSynth, 'utf8')).toBe(recorded);
  });

  test('modelfleet history record fails with a usage error on a folder that is not a cloud assembly', async () => {
    const lines: string[] = [];
    expect(await runHistory(['record', '--assembly', dir], { out: (l) => lines.push(l), err: (l) => lines.push(l) })).toBe(2);
    expect(lines.join('\n')).toContain(`${dir} is not a cloud assembly (no manifest.json)`);
    expect(await runHistory(['forget'], { out: (l) => lines.push(l), err: (l) => lines.push(l) })).toBe(2);
  });
});

describe('ModelFleet rollback with modelVersion', () => {
  function deploy(file: string, historyFile: string, modelVersion?: string, record = true): { fleet: ModelFleet; template: Template; app: App; recorded: Promise<void> } {
    const { app, stack } = newStack();
    const fleet = new ModelFleet(stack, 'Tiny', {
      model: ModelSource.fromAsset(file), historyFile, modelVersion, edge: { enabled: false }, kubernetes: { enabled: false },
    });
    const template = Template.fromStack(stack);
    return { fleet, template, app, recorded: record ? recordHistory(app, historyFile) : Promise.resolve() };
  }

  test('serves an earlier version from the store without uploading it, and registers it again', async () => {
    const historyFile = history();
    const d1 = deploy(tiny1, historyFile);
    await d1.recorded;
    const v1 = d1.fleet;
    const d2 = deploy(tiny2, historyFile);
    await d2.recorded;
    expect(d2.fleet.modelVersion).not.toBe(v1.modelVersion);
    resetHistoryCache(); // a later synth, in a new process, reads the file
    const { fleet, template, app } = deploy(tiny2, historyFile, v1.modelVersion, false);
    expect(fleet.rolledBack).toBe(true);
    expect(fleet.modelVersion).toBe(v1.modelVersion);
    expect(fleet.storedModel.sha256).toBe(v1.storedModel.sha256);
    expect(JSON.stringify(template.findResources('AWS::SageMaker::Model'))).toContain(`models/tiny/${v1.modelVersion}/`);
    template.resourceCountIs('Custom::CDKBucketDeployment', 0);
    expect(Object.keys(template.findResources('AWS::SageMaker::ModelPackage'))[0]).toContain(`ModelPackage${v1.modelVersion}`);
    // verify checks the rolled-back version against its own golden response
    expect(JSON.parse(fs.readFileSync(path.join(app.outdir, fleet.goldenAssemblyPath!), 'utf8'))).toEqual(JSON.parse(v1.goldenJson!));
  });

  test('brings back the very Greengrass component version of the earlier deploy', async () => {
    const historyFile = history();
    const edgeDeploy = async (file: string, modelVersion?: string) => {
      const { app, stack } = newStack();
      const fleet = new ModelFleet(stack, 'Tiny', {
        model: ModelSource.fromAsset(file), historyFile, modelVersion, sagemaker: { enabled: false }, registryEnabled: false,
      });
      if (!modelVersion) await recordHistory(app, historyFile);
      return fleet;
    };
    const v1 = await edgeDeploy(tiny1);
    const v2 = await edgeDeploy(tiny2);
    expect(v2.modelComponent!.componentVersion).not.toBe(v1.modelComponent!.componentVersion);
    resetHistoryCache();
    const back = await edgeDeploy(tiny2, v1.modelVersion);
    expect(back.modelComponent!.componentVersion).toBe(v1.modelComponent!.componentVersion);
    expect(Stack.of(back).resolve(back.modelComponent!.resource.inlineRecipe))
      .toEqual(Stack.of(v1).resolve(v1.modelComponent!.resource.inlineRecipe));
  });

  test('deploys normally when modelVersion is the version of the model file', async () => {
    const historyFile = history();
    const d1 = deploy(tiny1, historyFile);
    await d1.recorded;
    const v1 = d1.fleet;
    const again = deploy(tiny1, historyFile, v1.modelVersion, false);
    expect(again.fleet.rolledBack).toBe(false);
    again.template.resourceCountIs('Custom::CDKBucketDeployment', 1);
  });

  test('fails for a version the history does not hold, listing the recorded ones', async () => {
    const historyFile = history();
    const d1 = deploy(tiny1, historyFile);
    await d1.recorded;
    const v1 = d1.fleet;
    expect(codeOf(() => deploy(tiny2, historyFile, '0123456789ab', false))).toContain(
      `ModelVersionUnknown: modelVersion '0123456789ab' of model 'tiny' is neither the version of the model file `
      + `(${v2Version()}) nor a version recorded in ${historyFile} (recorded: ${v1.modelVersion})`);
  });

  function v2Version(): string {
    return new ModelFleet(newStack().stack, 'Tiny', {
      model: ModelSource.fromAsset(tiny2), historyDisabled: true, sagemaker: { enabled: false }, edge: { enabled: false },
      registryEnabled: false, goldenRequest: GoldenRequest.none(),
    }).modelVersion;
  }

  test('records each deployed version once, in a stable order', async () => {
    const historyFile = history();
    await deploy(tiny2, historyFile).recorded;
    await deploy(tiny1, historyFile).recorded;
    const first = fs.readFileSync(historyFile, 'utf8');
    resetHistoryCache();
    await deploy(tiny1, historyFile).recorded;
    expect(fs.readFileSync(historyFile, 'utf8')).toBe(first);
    const recorded = JSON.parse(first) as { models: Record<string, Record<string, { sha256: string; contract: { name: string } }>> };
    const versions = Object.keys(recorded.models.tiny);
    expect(versions).toEqual([...versions].sort());
    expect(versions).toHaveLength(2);
    expect(recorded.models.tiny[versions[0]].contract.name).toBe('tiny');
  });
});

describe('ModelFleet validation', () => {
  test('skips tokenized values where a deploy-time value is fine', () => {
    const { stack } = newStack();
    const fleet = new ModelFleet(stack, 'Iris', {
      model: ModelSource.fromAsset(IRIS), historyDisabled: true, sagemaker: { enabled: false }, edge: { enabled: false },
      registryGroupName: Lazy.string({ produce: () => 'from-a-token' }),
    });
    expect(Stack.of(fleet).resolve(fleet.modelPackageGroup!.modelPackageGroupName)).toBe('from-a-token');
  });

  test('fails when a value needed at synth is a token', () => {
    const { stack } = newStack();
    expect(codeOf(() => new ModelFleet(stack, 'Iris', {
      model: ModelSource.fromAsset(IRIS), historyDisabled: true,
      goldenTolerance: Token.asNumber(Lazy.number({ produce: () => 1 })),
      modelVersion: Lazy.string({ produce: () => 'abc' }),
    }))).toMatch(/^GoldenToleranceInvalid: goldenTolerance must be a literal number[^]*ModelVersionUnresolved: modelVersion must be a literal version/);
  });

  test('fails with every bad prop at once, naming the construct', () => {
    const { stack } = newStack();
    const message = codeOf(() => new ModelFleet(stack, 'Bad', {
      model: ModelSource.fromAsset(IRIS), modelName: 'Iris_Model', goldenTolerance: -1, modelVersion: 'v 1',
      registryGroupName: '-bad-', historyDisabled: true,
    }));
    expect(message).toMatch(/^ModelFleetNameInvalid: /);
    expect(message).toContain("modelName 'Iris_Model' must be 1 to 63 lower-case letters");
    expect(message).toContain('GoldenToleranceInvalid: goldenTolerance must be a finite number >= 0, got -1');
    expect(message).toContain("ModelVersionInvalid: modelVersion 'v 1' must be 1 to 64 letters");
    expect(message).toContain("RegistryGroupNameInvalid: registryGroupName '-bad-' must be");
    expect(message).toContain('(at Fleet/Bad)');
  });
});
