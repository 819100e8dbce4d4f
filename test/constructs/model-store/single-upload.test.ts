import { App, Lazy, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ModelContract, ModelSource } from '../../../constructs/model';
import { ModelStore } from '../../../constructs/model-store';
import { errorCodeOf as codeOf } from '../../helpers/construct-errors';
import { testStack } from '../../helpers/test-stack';
import { IRIS_MODEL } from '../../helpers/tmp-model';
import { uploadSourceFiles } from './upload-sources';

const IRIS_VERSION = ModelContract.fromFile(IRIS_MODEL).sha256!.slice(0, 12);

function setup() {
  const stack = testStack();
  const app = stack.node.root as App;
  const store = new ModelStore(stack, 'Store');
  return { app, stack, store };
}

/** The keys of the `aws-cdk:cr-owned:*` tags (one per BucketDeployment) on the store bucket. */
function crOwnedTags(stack: Stack): string[] {
  const [bucket] = Object.entries(Template.fromStack(stack).findResources('AWS::S3::Bucket'))
    .filter(([id]) => id.startsWith('StoreBucket')).map(([, r]) => r);
  return ((bucket.Properties.Tags ?? []) as Array<{ Key: string }>).map((t) => t.Key).filter((k) => k.startsWith('aws-cdk:cr-owned'));
}

describe('ModelStore single upload', () => {
  test('a store with 60 models has one BucketDeployment, so one cr-owned tag on the bucket (S3 allows 50 tags)', () => {
    const { stack, store } = setup();
    const models = Array.from({ length: 60 }, (_, i) => store.addModel(`model-${i}`, ModelSource.fromAsset(IRIS_MODEL)));
    store.stageFile(models[0], 'golden.json', '{}');

    expect(crOwnedTags(stack)).toHaveLength(1);
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::CDKBucketDeployment', 1);
    expect(models.every((m) => m.upload === store.upload)).toBe(true);

    const sources = uploadSourceFiles(stack);
    expect(sources).toHaveLength(61);
    const keys = sources.flatMap((files) => Object.keys(files)).sort();
    const expected = models.flatMap((m) => [m.objectKey, m.contractKey]).concat(`${models[0].prefix}golden.json`).sort();
    expect(keys).toEqual(expected);
    // Each source is one model's folder: its model and its own contract.
    const contract = JSON.parse(sources[59][models[59].contractKey]);
    expect(contract).toEqual(expect.objectContaining({ name: 'model-59', version: IRIS_VERSION }));
  });

  test('the same file with the same bytes added twice adds one source; other bytes at the same key fail', () => {
    const { stack, store } = setup();
    const model = store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL));
    store.stageFile(model, 'golden.json', '{"a":1}');
    store.stageFile(model, 'golden.json', '{"a":1}');
    store.publishFile('kubernetes/default/iris/latest.yaml', 'kind: Service\n');
    store.publishFile('kubernetes/default/iris/latest.yaml', 'kind: Service\n');
    const [deployment] = Object.values(Template.fromStack(stack).findResources('Custom::CDKBucketDeployment'));
    expect(deployment.Properties.SourceObjectKeys).toHaveLength(3);
    expect(codeOf(() => store.stageFile(model, 'golden.json', '{"a":2}'))).toBe('StagedFileDuplicate');
    expect(codeOf(() => store.publishFile('kubernetes/default/iris/latest.yaml', 'kind: Pod\n'))).toBe('PublishedFileDuplicate');
  });

  test('publishFile writes a deploy-time file with the store upload, JSON-escaping its tokens when asked', () => {
    const { stack, store } = setup();
    const role = new iam.Role(stack, 'Pods', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    const upload = store.publishFile('kubernetes/ns/svc/latest.yaml', `role: ${JSON.stringify(role.roleArn)}\n`, { jsonEscape: true });
    expect(upload).toBe(store.upload);
    const [deployment] = Object.values(Template.fromStack(stack).findResources('Custom::CDKBucketDeployment'));
    expect(deployment.Properties.DestinationBucketKeyPrefix).toBeUndefined();
    expect(deployment.Properties.SourceMarkersConfig).toEqual([{ jsonEscape: true }]);
    expect(Object.values(deployment.Properties.SourceMarkers[0])).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^Pods/), 'Arn'] }]);
    expect(Object.keys(uploadSourceFiles(stack)[0])).toEqual(['kubernetes/ns/svc/latest.yaml']);
  });

  test('fails when publishFile gets a key that is empty, absolute, has dot parts, is under models/ or is a token', () => {
    const { store } = setup();
    for (const key of ['', '/a.yaml', 'a//b', 'a/../b', './a', 'models/iris/x.json', 'a b', 'a/']) {
      expect([key, codeOf(() => store.publishFile(key, 'x'))]).toEqual([key, 'PublishedFileKeyInvalid']);
    }
    expect(codeOf(() => store.publishFile(Lazy.string({ produce: () => 'a.yaml' }), 'x'))).toBe('PublishedFileKeyInvalid');
    expect(store.upload).toBeUndefined();
  });

  test('no upload and no cr-owned tag until something is added', () => {
    const { stack, store } = setup();
    expect(store.upload).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('Custom::CDKBucketDeployment', 0);
    expect(crOwnedTags(stack)).toEqual([]);
  });

  test('a KMS-less store with models, a companion and a published file has no unacknowledged cdk-nag finding', () => {
    const { app, stack, store } = setup();
    const model = store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL));
    store.stageFile(model, 'golden.json', '{}');
    store.publishFile('kubernetes/default/iris/latest.yaml', 'kind: Service\n');
    app.synth();
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`))).toEqual([]);
  });
});

describe('ModelStore single upload sizing', () => {
  const MIB = 1024 * 1024;
  /** iris.onnx, whose contract says it is `sizeBytes` long (the store sizes its upload from the contract). */
  function inflated(stack: Stack, sizeBytes: number): ModelSource {
    const source = ModelSource.fromAsset(IRIS_MODEL);
    const real = source.contract(stack)!;
    const contract: ModelContract = Object.assign(Object.create(Object.getPrototypeOf(real)), real, { sizeBytes });
    jest.spyOn(source, 'contract').mockReturnValue(contract);
    return source;
  }

  test('fails when the store upload function could not hold every model zipped and extracted, with the fix', () => {
    const stack = testStack();
    const store = new ModelStore(stack, 'Store', { uploadEphemeralStorageSize: Size.mebibytes(512) });
    // 2 × 100 MiB + 256 MiB fits in 512 MiB; 2 × 200 MiB + 256 MiB does not.
    expect(codeOf(() => store.addModel('first', inflated(stack, 100 * MIB)))).toBeUndefined();
    expect(() => store.addModel('second', inflated(stack, 100 * MIB))).toThrow(
      /ModelStoreUploadTooLarge: model 'second' brings the local models of this store to 200 MiB; .* needs 656 MiB .* more than 512 MiB; raise uploadEphemeralStorageSize/);
    // A copied model is not in the upload (only its contract.json is): its size does not count.
    const contract = ModelContract.of({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }] });
    const bucket = s3.Bucket.fromBucketName(stack, 'Src', 'team-models');
    expect(codeOf(() => store.addModel('copied', ModelSource.fromBucket(bucket, 'm.onnx', { contract, sha256: 'e'.repeat(64), sizeBytes: 4096 * MIB })))).toBeUndefined();
  });

  test('the upload function is sized by the store props (default 512 MiB memory, 10 GiB storage)', () => {
    const { stack, store } = setup();
    store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL));
    const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
      .filter((f) => f.Properties.Layers !== undefined);
    expect(functions.map((f) => [f.Properties.MemorySize, f.Properties.EphemeralStorage])).toEqual([[512, { Size: 10240 }]]);
  });

  test('warns that per-model upload sizes are ignored (the store upload is sized by the store props)', () => {
    const { stack, store } = setup();
    store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL), { uploadMemoryLimit: 1024 });
    Annotations.fromStack(stack).hasWarning('/Stack/Store', Match.stringLikeRegexp('modelStoreUploadOptionIgnored'));
  });
});
