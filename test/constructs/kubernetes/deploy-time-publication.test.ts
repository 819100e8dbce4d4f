import * as path from 'path';
import { App, CfnWaitConditionHandle, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { KubernetesModelService } from '../../../constructs/kubernetes';
import { deployTimeYaml, publishDeployTimeFiles } from '../../../constructs/kubernetes/private/deploy-time-yaml';
import { ModelSource } from '../../../constructs/model';
import { ModelStore, StoredModel } from '../../../constructs/model-store';
import { ServingImage } from '../../../constructs/serving-image';
import { uploadSourceFiles } from '../model-store/upload-sources';

const IRIS = path.resolve(__dirname, '..', '..', '..', 'models', 'iris.onnx');
const OIDC_ARN = 'arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';

/** Template.fromStack fails on resources that reference each other in a loop (CloudFormation would reject them). */
function cycleError(stack: Stack): string | undefined {
  try {
    Template.fromStack(stack);
  } catch (e) {
    return String(e);
  }
  return undefined;
}

/** The keys of the `aws-cdk:cr-owned:*` tags (one per BucketDeployment) on the bucket whose logical id starts with `prefix`. */
function crOwnedTags(stack: Stack, prefix: string): string[] {
  const buckets = Object.entries(Template.fromStack(stack).findResources('AWS::S3::Bucket')).filter(([id]) => id.startsWith(prefix));
  expect(buckets).toHaveLength(1);
  return ((buckets[0][1].Properties.Tags ?? []) as Array<{ Key: string }>).map((t) => t.Key).filter((k) => k.startsWith('aws-cdk:cr-owned'));
}

function nagFindings(app: App, stack: Stack): string[] {
  const report = new AwsSolutionsChecks(app).validateScope(stack);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

/** A store with a model, and a pods' role that reads it (its policy references the bucket). */
function storeWithReader() {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Stack');
  const store = new ModelStore(stack, 'Store');
  const model = store.addModel('iris', ModelSource.fromAsset(IRIS));
  const role = new iam.Role(stack, 'Pods', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  model.grantRead(role);
  const text = deployTimeYaml([{
    apiVersion: 'v1', kind: 'ServiceAccount',
    metadata: { name: 'iris', annotations: { 'eks.amazonaws.com/role-arn': role.roleArn } },
  }]);
  return { app, stack, store, model, role, text };
}

describe('publishDeployTimeFiles', () => {
  test('a model of a ModelStore: the files go into the store upload (no BucketDeployment of its own), after the role', () => {
    const { stack, store, model, role, text } = storeWithReader();
    const published = publishDeployTimeFiles(new Construct(stack, 'Svc'), 'ManifestPublication', model, 'kubernetes/default/iris/',
      [{ fileName: 'abc.yaml', text }, { fileName: 'latest.yaml', text }], [role, model.upload, undefined]);

    expect(published).toBe(store.upload);
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::CDKBucketDeployment', 1);
    expect(crOwnedTags(stack, 'StoreBucket')).toHaveLength(1);
    const [id, deployment] = Object.entries(template.findResources('Custom::CDKBucketDeployment'))[0];
    expect(deployment.DependsOn).toEqual(expect.arrayContaining([stack.getLogicalId(role.node.defaultChild as iam.CfnRole)]));
    expect(deployment.DependsOn ?? []).not.toContain(id);
    expect(deployment.Properties.SourceMarkersConfig).toEqual([{}, { jsonEscape: true }, { jsonEscape: true }]);
    const files = uploadSourceFiles(stack);
    expect(files.map((f) => Object.keys(f))).toEqual([
      [model.contractKey, model.objectKey], ['kubernetes/default/iris/abc.yaml'], ['kubernetes/default/iris/latest.yaml'],
    ]);
    expect(files[2]['kubernetes/default/iris/latest.yaml']).toMatch(/eks\.amazonaws\.com\/role-arn: "<<marker:0xbaba:0>>"/);
  });

  test('the store upload waiting for the pods role whose policy names the bucket makes no dependency cycle', () => {
    const { stack, model, role, text } = storeWithReader();
    publishDeployTimeFiles(new Construct(stack, 'Svc'), 'ManifestPublication', model, 'kubernetes/default/iris/',
      [{ fileName: 'latest.yaml', text }], [role, model.upload]);
    expect(cycleError(stack)).toBeUndefined();
  });

  test('the cycle check finds a loop (the role waiting for the upload that waits for the role)', () => {
    const { stack, model, role, text } = storeWithReader();
    publishDeployTimeFiles(new Construct(stack, 'Svc'), 'ManifestPublication', model, 'kubernetes/default/iris/',
      [{ fileName: 'latest.yaml', text }], [role]);
    role.node.addDependency(model.upload);
    expect(cycleError(stack)).toMatch(/dependency cycle: .*PodsDefaultPolicy/);
  });

  test('a StoredModel made by hand on another bucket gets a YAML BucketDeployment of its own under the prefix', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Stack');
    const bucket = new s3.Bucket(stack, 'Plain');
    const upload = new CfnWaitConditionHandle(stack, 'Upload');
    const iris = new ModelStore(new Stack(), 'Elsewhere').addModel('iris', ModelSource.fromAsset(IRIS));
    const model = new StoredModel({ ...iris, bucket, upload, store: undefined });
    const published = publishDeployTimeFiles(new Construct(stack, 'Svc'), 'ManifestPublication', model, 'kubernetes/x/',
      [{ fileName: 'latest.yaml', text: 'kind: Service\n' }], [upload]);

    expect(published.node.path).toBe('Stack/Svc/ManifestPublication');
    const [deployment] = Object.values(Template.fromStack(stack).findResources('Custom::CDKBucketDeployment'));
    expect(deployment.Properties).toMatchObject({
      DestinationBucketKeyPrefix: 'kubernetes/x/', Prune: false, RetainOnDelete: true,
      SystemMetadata: { 'content-type': 'application/yaml' }, SourceMarkersConfig: [{ jsonEscape: true }],
    });
    expect(deployment.DependsOn).toEqual(['Upload']);
  });
});

describe('KubernetesModelService on a ModelStore model, YAML published at deployment', () => {
  test('synthesizes with no dependency cycle and no unacknowledged cdk-nag finding', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Serving');
    const store = new ModelStore(stack, 'Store');
    const model = store.addModel('iris', ModelSource.fromAsset(IRIS));
    const service = new KubernetesModelService(stack, 'Iris', {
      model,
      image: ServingImage.fromAsset(),
      openIdConnectProvider: iam.OpenIdConnectProvider.fromOpenIdConnectProviderArn(stack, 'Oidc', OIDC_ARN),
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();

    expect(service.manifestPublication).toBe(store.upload);
    expect(crOwnedTags(stack, 'StoreBucket')).toHaveLength(1);
    Template.fromStack(stack).resourceCountIs('Custom::CDKBucketDeployment', 1);
    expect(cycleError(stack)).toBeUndefined();
    expect(nagFindings(app, stack)).toEqual([]);
    const keys = uploadSourceFiles(stack).flatMap((f) => Object.keys(f));
    expect(keys).toEqual(expect.arrayContaining([model.objectKey, model.contractKey, service.manifestObjectKey, service.manifestLatestObjectKey]));
  });
});
