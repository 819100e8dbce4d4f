/**
 * Greengrass recipes as data: artifacts, manifests, content-derived versions, and the artifact upload.
 * @see https://docs.aws.amazon.com/greengrass/v2/developerguide/component-recipe-reference.html
 */
import { createHash } from 'node:crypto';
import { AssetHashType, Size, Token } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { acknowledgeUploadFunction } from './acknowledgements';

export const RECIPE_FORMAT_VERSION = '2020-01-25';

/** Greengrass artifact permission values. */
export type ArtifactPermissionValue = 'NONE' | 'OWNER' | 'ALL';

/** One artifact of a manifest, before its URI is known. */
export interface ArtifactSpec {
  /** The object key in the bucket, or a function of the component version for keys under `edge/<name>/<version>/`. */
  readonly key: string | ((version: string) => string);
  /** Lower-case hex SHA-256 of the object. */
  readonly sha256: string;
  readonly unarchive?: 'ZIP';
  /** Who may read the file (default OWNER: the user the owning component runs as). */
  readonly read?: ArtifactPermissionValue;
  /** Who may execute the file (default NONE). */
  readonly execute?: ArtifactPermissionValue;
}

/** One manifest: a platform, its artifacts and its lifecycle. */
export interface ManifestSpec {
  /** Greengrass `os`. */
  readonly os: string;
  /** Greengrass `architecture` (`aarch64`, `amd64`). */
  readonly architecture: string;
  readonly artifacts: readonly ArtifactSpec[];
  /** Lifecycle steps (`Install`, `Run`...), as the recipe wants them. */
  readonly lifecycle: Record<string, unknown>;
}

/** Everything a recipe holds except its version and the bucket's name. */
export interface RecipeSpec {
  readonly componentName: string;
  readonly description: string;
  readonly publisher: string;
  /** Dependency name to exact version. */
  readonly dependencies: Readonly<Record<string, string>>;
  /** `DefaultConfiguration`, values as strings. */
  readonly defaultConfiguration?: Readonly<Record<string, string>>;
  readonly manifests: readonly ManifestSpec[];
}

function keyOf(a: ArtifactSpec, version: string): string {
  return typeof a.key === 'string' ? a.key : a.key(version);
}

/** The recipe object, with `bucketName` (possibly a token) in every artifact URI. */
export function renderRecipe(spec: RecipeSpec, version: string, bucketName: string): Record<string, unknown> {
  const deps = Object.keys(spec.dependencies).sort();
  return {
    RecipeFormatVersion: RECIPE_FORMAT_VERSION,
    ComponentName: spec.componentName,
    ComponentVersion: version,
    ComponentDescription: spec.description,
    ComponentPublisher: spec.publisher,
    ...(deps.length > 0 ? {
      ComponentDependencies: Object.fromEntries(deps.map((d) => [d, {
        VersionRequirement: `=${spec.dependencies[d]}`,
        DependencyType: 'HARD',
      }])),
    } : {}),
    ...(spec.defaultConfiguration ? { ComponentConfiguration: { DefaultConfiguration: spec.defaultConfiguration } } : {}),
    Manifests: spec.manifests.map((m) => ({
      // No `runtime` key: the classic nucleus matches a manifest without one, and Greengrass nucleus lite (which
      // requires the key) then finds no manifest and fails the deployment at once. That is the right answer: lite
      // does not resolve `{<dependency>:artifacts:...}` variables, which the model component's lifecycle needs.
      Platform: { os: m.os, architecture: m.architecture },
      Lifecycle: m.lifecycle,
      Artifacts: m.artifacts.map((a) => ({
        Uri: `s3://${bucketName}/${keyOf(a, version)}`,
        // The service replaces Digest and Algorithm with what it computes from the S3 object when it creates the
        // component version (component recipe reference): they are not a check of ours. What keeps the bytes right
        // is content-addressed keys, uploaded before the version is created and never overwritten. Kept because
        // they put the artifact's digest into the rendered recipe, hence into its content-derived version.
        Digest: Buffer.from(a.sha256, 'hex').toString('base64'),
        Algorithm: 'SHA-256',
        ...(a.unarchive ? { Unarchive: a.unarchive } : {}),
        Permission: { Read: a.read ?? 'OWNER', Execute: a.execute ?? 'NONE' },
      })),
    })),
  };
}

/**
 * The component version for a recipe: `1.<a>.<b>` from the SHA-256 of the recipe rendered with a placeholder version
 * (so it covers the lifecycle, the configuration, the dependencies' versions and every artifact's digest) and of the
 * bucket's identity. Same content, same version; any change, a new one. Each part stays below 2^31 (the nucleus parses
 * versions into Java ints).
 */
export function contentVersion(spec: RecipeSpec, bucketIdentity: string): string {
  const hash = createHash('sha256').update(JSON.stringify(renderRecipe(spec, '0.0.0', bucketIdentity))).digest('hex');
  return `1.${parseInt(hash.slice(0, 7), 16)}.${parseInt(hash.slice(7, 14), 16)}`;
}

/** A stable name for a bucket that survives synth: its name when known, else its construct path. */
export function bucketIdentity(bucket: s3.IBucket): string {
  return Token.isUnresolved(bucket.bucketName) ? `path:${bucket.node.path}` : `name:${bucket.bucketName}`;
}

/** The upload source of a local folder that holds one artifact file of digest `sha256`. */
export function folderSource(directory: string, sha256: string): s3deploy.ISource {
  // The folder holds one file whose digest is known: no need to hash it again at every synth.
  return s3deploy.Source.asset(directory, { assetHash: sha256, assetHashType: AssetHashType.CUSTOM });
}

/**
 * Uploads one artifact (a source whose zip holds one file) to `bucket/prefix`. Objects are kept when the deployment
 * is removed or replaced (a rollback needs the previous version's artifacts), and never pruned.
 */
export function uploadArtifact(scope: Construct, id: string, bucket: s3.IBucket, source: s3deploy.ISource,
  prefix: string): s3deploy.BucketDeployment {
  const deployment = new s3deploy.BucketDeployment(scope, id, {
    sources: [source],
    destinationBucket: bucket,
    destinationKeyPrefix: prefix,
    prune: false,
    retainOnDelete: true,
    // Node's binary is 120 MB unpacked: room to unzip it (one shared handler for every artifact upload).
    memoryLimit: 1024,
    ephemeralStorageSize: Size.gibibytes(2),
  });
  acknowledgeUploadFunction(scope, deployment, bucket);
  return deployment;
}

/** Component names: `^[a-zA-Z0-9-_.]+$`, and never the reserved `aws.greengrass` prefix. */
export function componentNameProblem(name: string): string | undefined {
  if (!/^[a-zA-Z0-9_.-]+$/.test(name)) return `'${name}' may only hold letters, digits, '-', '_' and '.'`;
  if (name.toLowerCase().startsWith('aws.greengrass')) return `'${name}' uses the reserved prefix aws.greengrass`;
  if (name.length > 128) return `'${name}' is longer than 128 characters`;
  return undefined;
}
