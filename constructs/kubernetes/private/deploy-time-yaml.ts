import { Size, Token } from 'aws-cdk-lib';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as cdk8s from 'cdk8s';
import { Construct, Dependable, IDependable } from 'constructs';
import { StoredModel } from '../../model-store';
import { acknowledgeUploadFunction } from '../../model-store/private/acknowledgements';

/** Stands for one deploy-time value while the YAML is written; never part of a real manifest. */
const PLACEHOLDER = '__modelfleet_deploy_time_value_';

/**
 * Writes Kubernetes objects as multi-document YAML whose deploy-time values (CDK tokens) stay tokens, for
 * `s3deploy.Source.data(key, text, { jsonEscape: true })`: the BucketDeployment function substitutes them at
 * deployment with JSON escaping (`UNQUOTED_JSON_VALUE`).
 *
 * So that the substituted text is valid YAML whatever the value: a string holding a token is written as a JSON
 * (= YAML double-quoted) string, the token inside the quotes (its value gets JSON-escaped); a number token is written
 * bare (a number from a CloudFormation parameter is substituted unquoted). Every other value is written by cdk8s's
 * YAML writer exactly as in the synth-time file.
 */
export function deployTimeYaml(objects: readonly unknown[]): string {
  const values: string[] = [];
  const hold = (text: string): string => {
    values.push(text);
    return `${PLACEHOLDER}${values.length - 1}__`;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      return Token.isUnresolved(value) ? hold(JSON.stringify(value)) : value;
    }
    if (typeof value === 'number') {
      return Token.isUnresolved(value) ? hold(String(value)) : value;
    }
    if (Array.isArray(value)) {
      return value.map(walk);
    }
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [walk(key) as string, walk(item)]));
    }
    return value;
  };
  const held = objects.map(walk);
  return cdk8s.Yaml.stringify(...held)
    .replace(new RegExp(`${PLACEHOLDER}(\\d+)__`, 'g'), (_match, index: string) => values[Number(index)]);
}

/** A file written at deployment: its name under the prefix and its text from `deployTimeYaml`. */
export interface DeployTimeFile {
  readonly fileName: string;
  readonly text: string;
}

/**
 * Writes `files` at `<prefix><fileName>` into the model's bucket when the stack deploys, their deploy-time values
 * substituted with JSON escaping, after everything in `after` (undefined entries are skipped).
 *
 * A model in a `ModelStore` (`model.store`) has them written by the store's single upload (`store.publishFile`): no
 * `BucketDeployment` of its own, so no extra `aws-cdk:cr-owned` tag on the bucket (S3 allows 50). From a stack other
 * than the store's, by that stack's `ModelStorePublisher` (one per stack, shared by every service of the stack), so
 * that the YAML's values of this stack (the pods' role ARN) do not make the store's stack depend on this one. Otherwise (a
 * `StoredModel` made by hand, on any bucket) a `BucketDeployment` named `id` under `scope` writes them, as YAML
 * (`Content-Type: application/yaml`). Either way nothing is pruned and nothing is deleted with the stack.
 *
 * @returns the BucketDeployment that writes them
 */
export function publishDeployTimeFiles(scope: Construct, id: string, model: StoredModel, prefix: string,
  files: readonly DeployTimeFile[], after: ReadonlyArray<IDependable | undefined>): s3deploy.BucketDeployment {
  const store = model.store;
  const deployment = store
    ? files.map((file) => store.publishFile(`${prefix}${file.fileName}`, file.text, { jsonEscape: true, scope }))[0]
    : ownDeployment(scope, id, model, prefix, files);
  if (!deployment) throw new Error('internal: publishDeployTimeFiles needs at least one file');
  for (const dependable of after) {
    if (!dependable) continue;
    // The store's upload writes the model too (model.upload is that upload, or holds it): it cannot wait for itself.
    for (const root of Dependable.of(dependable).dependencyRoots) {
      if (!root.node.scopes.includes(deployment)) deployment.node.addDependency(root);
    }
  }
  return deployment;
}

function ownDeployment(scope: Construct, id: string, model: StoredModel, prefix: string,
  files: readonly DeployTimeFile[]): s3deploy.BucketDeployment {
  const deployment = new s3deploy.BucketDeployment(scope, id, {
    sources: files.map((file) => s3deploy.Source.data(file.fileName, file.text, { jsonEscape: true })),
    destinationBucket: model.bucket,
    destinationKeyPrefix: prefix,
    prune: false,
    retainOnDelete: true,
    extract: true,
    outputObjectKeys: false,
    contentType: 'application/yaml',
    // The settings of a model upload for models under 128 MiB: the stack then has one upload function.
    memoryLimit: 512,
    ephemeralStorageSize: Size.mebibytes(512),
  });
  const asset = deployment.node.tryFindChild('Asset1');
  acknowledgeUploadFunction(deployment, model.bucket, asset instanceof s3assets.Asset ? asset.bucket : undefined,
    model.bucket.encryptionKey !== undefined);
  return deployment;
}
