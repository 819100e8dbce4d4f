import * as fs from 'node:fs';
import * as path from 'node:path';
import { Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModelContract, ModelSource } from '../../../constructs/model';
import { ModelStore, StoredModel } from '../../../constructs/model-store';
import { onnxReadCount } from '../../../constructs/model/private/onnx-reader';
import { errorCodeOf as codeOf } from '../../helpers/construct-errors';
import { testStack } from '../../helpers/test-stack';
import { copyModel, IRIS_MODEL, withTmpDir } from '../../helpers/tmp-model';
import { uploadSourceFiles } from './upload-sources';

const IRIS_SHA = ModelContract.fromFile(IRIS_MODEL).sha256!;

function setup() {
  const stack = testStack();
  const store = new ModelStore(stack, 'Store');
  const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  return { stack, store, role };
}

/** Statements of the IAM policies attached to the role whose logical id starts with `roleId`. */
function statementsOf(stack: Stack, roleId: string): Array<{ Action: unknown; Resource: unknown }> {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('ModelStore.addModel', () => {
  test('returns a StoredModel at models/<name>/<sha256 prefix>/ with the real contract', () => {
    const { store } = setup();
    const model = store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL));

    expect(model).toBeInstanceOf(StoredModel);
    expect(model.name).toBe('iris');
    expect(model.version).toBe(IRIS_SHA.slice(0, 12));
    expect(model.bucket).toBe(store.bucket);
    expect(model.prefix).toBe(`models/iris/${model.version}/`);
    expect(model.objectKey).toBe(`models/iris/${model.version}/model.onnx`);
    expect(model.contractKey).toBe(`models/iris/${model.version}/contract.json`);
    expect(model.sha256).toBe(IRIS_SHA);
    expect(model.sizeBytes).toBe(fs.statSync(IRIS_MODEL).size);
    expect(model.contract.inputs).toEqual([{ name: 'features', datatype: 'FP32', shape: [-1, 4] }]);
    expect(model.localPath).toBe(IRIS_MODEL);
    expect(store.model('iris')).toBe(model);
    expect(store.models).toEqual([model]);
  });

  test('writes contract.json next to the staged model, as docs/design.md specifies', () => {
    const { store } = setup();
    const model = store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL));
    const contract = JSON.parse(fs.readFileSync(model.localContractPath!, 'utf8'));
    expect(contract).toEqual({
      schemaVersion: 1,
      name: 'iris',
      version: model.version,
      sha256: IRIS_SHA,
      sizeBytes: fs.statSync(IRIS_MODEL).size,
      opset: 13,
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
        { name: 'label', datatype: 'INT64', shape: [-1] },
      ],
    });
    const staged = path.dirname(model.localContractPath!);
    expect(fs.readdirSync(staged).sort()).toEqual(['contract.json', 'model.onnx']);
    expect(fs.readFileSync(path.join(staged, 'model.onnx')).equals(fs.readFileSync(IRIS_MODEL))).toBe(true);
  });

  test('uploads with the store\'s BucketDeployment, that never prunes, a zip laid out as the content-addressed prefix', () => {
    const { stack, store } = setup();
    const model = store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL));
    Template.fromStack(stack).hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: { Ref: Match.stringLikeRegexp('^StoreBucket') },
      DestinationBucketKeyPrefix: Match.absent(),
      Prune: false,
      Extract: true,
      RetainOnDelete: true,
      SourceObjectKeys: [Match.stringLikeRegexp('\\.zip$')],
    });
    expect(model.upload).toBe(store.upload);
    expect(model.store).toBe(store);
    // The staged asset holds models/<name>/<version>/{model.onnx,contract.json}: the zip's paths are the keys.
    expect(model.localContractPath!.endsWith(path.join(model.prefix, 'contract.json'))).toBe(true);
    const root = model.localContractPath!.slice(0, -path.join(model.prefix, 'contract.json').length);
    expect(fs.readdirSync(root)).toEqual(['models']);
  });

  test('the same bytes give the same version and the same upload, a custom version a new prefix', () => {
    const first = setup();
    const second = setup();
    const a = first.store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL));
    const b = second.store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL));
    expect(b.version).toBe(a.version);
    const deployment = (stack: Stack) => Object.values(Template.fromStack(stack).findResources('Custom::CDKBucketDeployment'))[0];
    expect(deployment(second.stack).Properties.SourceObjectKeys).toEqual(deployment(first.stack).Properties.SourceObjectKeys);

    const custom = setup().store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL), { version: 'v2' });
    expect(custom.prefix).toBe('models/iris/v2/');
  });

  test('stageFile adds a companion file to the model upload', () => {
    const { stack, store } = setup();
    const model = store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL));
    store.stageFile(model, 'golden.json', JSON.stringify({ model: 'iris', version: model.version }));
    const deployment = Object.values(Template.fromStack(stack).findResources('Custom::CDKBucketDeployment'))[0];
    expect(deployment.Properties.SourceObjectKeys).toHaveLength(2);
    expect(deployment.Properties.DestinationBucketKeyPrefix).toBeUndefined();
    expect(uploadSourceFiles(stack)[1]).toEqual({ [`${model.prefix}golden.json`]: JSON.stringify({ model: 'iris', version: model.version }) });
  });

  test('fails when stageFile gets a reserved or nested name, or a model of another store', () => {
    const { store } = setup();
    const model = store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL));
    expect(codeOf(() => store.stageFile(model, 'model.onnx', 'x'))).toBe('StagedFileNameInvalid');
    expect(codeOf(() => store.stageFile(model, 'a/b.json', 'x'))).toBe('StagedFileNameInvalid');
    const other = setup().store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL));
    expect(codeOf(() => store.stageFile(other, 'golden.json', 'x'))).toBe('ModelNotInStore');
  });

  test('grantRead is scoped to the model version prefix', () => {
    const { stack, store, role } = setup();
    const model = store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL));
    model.grantRead(role);
    const resources = JSON.stringify(statementsOf(stack, 'Reader').map((s) => s.Resource));
    expect(resources).toContain(`/${model.prefix}*`);
    expect(resources).not.toMatch(/"\/\*"/);
  });

  test('grantReadModel is scoped to models/<name>/*', () => {
    const { stack, store, role } = setup();
    store.grantReadModel(role, 'iris');
    const statements = statementsOf(stack, 'Reader');
    expect(statements).toHaveLength(2);
    expect(statements.map((s) => s.Resource)).toEqual([
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^StoreBucket/), 'Arn'] }, '/models/iris/*']] },
      { 'Fn::GetAtt': [expect.stringMatching(/^StoreBucket/), 'Arn'] },
    ]);
  });

  test('grants decrypt on the store key when the store uses KMS', () => {
    const stack = testStack();
    const store = new ModelStore(stack, 'Store', { encryptionKey: new kms.Key(stack, 'Key') });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL)).grantRead(role);
    expect(JSON.stringify(statementsOf(stack, 'Reader').map((s) => s.Action))).toContain('kms:Decrypt');
  });

  test('fails synth when the declared contract does not match the file', () => {
    const { store } = setup();
    const source = ModelSource.fromAsset(IRIS_MODEL, {
      contract: ModelContract.of({ inputs: [{ name: 'features', datatype: 'INT64', shape: [-1, 4] }], outputs: [] }),
    });
    expect(() => store.addModel('iris', source)).toThrow(
      /ModelContractMismatch: model file .*iris\.onnx .*input 'features' datatype: declared INT64, actual FP32.*\(at Stack\/Store\)/);
  });

  test('fails when the name is invalid or taken, or the version is invalid', () => {
    const { store } = setup();
    expect(codeOf(() => store.addModel('Iris_Model', ModelSource.fromAsset(IRIS_MODEL)))).toBe('ModelNameInvalid');
    expect(codeOf(() => store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL), { version: 'a/b' }))).toBe('ModelVersionInvalid');
    store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL));
    expect(codeOf(() => store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL)))).toBe('ModelNameDuplicate');
  });

  test('copies a model from another bucket, with its declared contract', () => {
    const { stack, store } = setup();
    const source = s3.Bucket.fromBucketName(stack, 'Src', 'team-models');
    const contract = ModelContract.of({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }] });
    const sha256 = 'b'.repeat(64);
    const model = store.addModel('other', ModelSource.fromBucket(source, 'a/model.onnx', { contract, sha256, sizeBytes: 42 }));

    expect(model.version).toBe('bbbbbbbbbbbb');
    expect(model.objectKey).toBe('models/other/bbbbbbbbbbbb/model.onnx');
    expect(model.localPath).toBeUndefined();
    expect(JSON.parse(fs.readFileSync(model.localContractPath!, 'utf8'))).toEqual(expect.objectContaining({
      name: 'other', version: 'bbbbbbbbbbbb', sha256, sizeBytes: 42, inputs: contract.inputs, outputs: contract.outputs,
    }));
    const template = Template.fromStack(stack);
    const copy = Object.values(template.findResources('Custom::AWS'));
    expect(copy).toHaveLength(1);
    const call = JSON.stringify(copy[0].Properties.Update);
    expect(call).toContain('\\"action\\":\\"copyObject\\"');
    expect(call).toContain('\\"Key\\":\\"models/other/bbbbbbbbbbbb/model.onnx\\"');
    expect(call).toContain('\\"CopySource\\":\\"team-models/a/model.onnx\\"');
    template.resourceCountIs('Custom::CDKBucketDeployment', 1);
    expect(model.store).toBe(store);
    expect(model.localContractPath!.endsWith(path.join('models', 'other', 'bbbbbbbbbbbb', 'contract.json'))).toBe(true);
  });

  test('skips tokenized values in the version', () => {
    const { stack, store } = setup();
    const version = Lazy.string({ produce: () => 'from-a-token' });
    const model = store.addModel('iris', ModelSource.fromAsset(IRIS_MODEL), { version });
    expect(stack.resolve(model.prefix)).toBe('models/iris/from-a-token/');
    // Its key is not known at synth, so it cannot be a path in the shared zip: it has its own upload, with the prefix.
    expect(model.upload).not.toBe(store.upload);
    Template.fromStack(stack).hasResourceProperties('Custom::CDKBucketDeployment', { DestinationBucketKeyPrefix: 'models/iris/from-a-token/' });
  });

  test('a 50-model app opens and hashes each model file once', () => {
    const { store } = setup();
    const before = onnxReadCount();
    withTmpDir('fifty-', (dir) => {
      const fresh = copyModel(dir);
      for (let i = 0; i < 50; i++) store.addModel(`model-${i}`, ModelSource.fromAsset(fresh));
    });
    expect(onnxReadCount() - before).toBe(1);
    expect(new Set(store.models.map((m) => m.version)).size).toBe(1);
  });

  test('fails when a bucket model lacks a contract or a sha256', () => {
    const { stack, store } = setup();
    const source = s3.Bucket.fromBucketName(stack, 'Src', 'team-models');
    const contract = ModelContract.of({ inputs: [], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }] });
    expect(codeOf(() => store.addModel('a', ModelSource.fromBucket(source, 'm.onnx', { sha256: 'c'.repeat(64), sizeBytes: 1 }))))
      .toBe('ModelContractRequired');
    expect(codeOf(() => store.addModel('b', ModelSource.fromBucket(source, 'm.onnx', { contract, sizeBytes: 1 }))))
      .toBe('ModelSha256Required');
  });
});
