import { Stack } from 'aws-cdk-lib';
import * as greengrassv2 from 'aws-cdk-lib/aws-greengrassv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct, IDependable } from 'constructs';
import { FieldErrors } from '../../../core/private/field-errors';
import { EdgePlatform } from '../edge-platform';
import { PlatformId } from './artifacts';
import { ArtifactSpec, bucketIdentity, componentNameProblem, contentVersion, renderRecipe, RecipeSpec, uploadArtifact } from './recipe';

/** One file a component ships per platform: its name on the device, its digest, and where the upload reads it. */
export interface PlatformFile {
  readonly fileName: string;
  /** Lower-case hex SHA-256 (the recipe's digest). */
  readonly sha256: string;
  /** The upload's source: a zip that holds only this file. */
  readonly source: () => s3deploy.ISource;
}

export const DEFAULT_COMPONENT_NAME_PREFIX = 'modelfleet';

export function checkPrefix(prefix: string, problems: FieldErrors): void {
  const problem = componentNameProblem(`${prefix}.X`);
  if (problem || prefix.length === 0) {
    problems.add('EdgeComponentNamePrefixInvalid',
      `componentNamePrefix ${problem ?? "'' is empty"}: use letters, digits, '-', '_' and '.', not starting with aws.greengrass`);
  }
}

export function checkPlatforms(platforms: readonly EdgePlatform[], problems: FieldErrors): void {
  if (platforms.length === 0) {
    problems.add('EdgeComponentNoPlatform', 'platforms is empty: give at least one, e.g. [EdgePlatform.LINUX_ARM64]');
  }
  const ids = platforms.map((p) => p.nodePlatform);
  if (new Set(ids).size !== ids.length) {
    problems.add('EdgeComponentDuplicatePlatform', `platforms lists a platform twice (${ids.join(', ')}): list each once`);
  }
}

/** The S3 key prefix of a component version's own artifacts. */
export function edgeKeyPrefix(componentName: string, version: string, platform: PlatformId): string {
  return `edge/${componentName}/${version}/${platform}/`;
}

export interface ComponentResources {
  readonly version: string;
  readonly resource: greengrassv2.CfnComponentVersion;
}

/**
 * Creates the component version (id `Resource`) from a recipe spec: the version comes from the content, the uploads
 * (made by `uploads(version)`) must finish before the service reads the artifacts.
 */
export function createComponentVersion(scope: Construct, spec: RecipeSpec, bucket: s3.IBucket,
  uploads: (version: string) => IDependable[]): ComponentResources {
  const version = contentVersion(spec, bucketIdentity(bucket));
  const deployments = uploads(version);
  const resource = new greengrassv2.CfnComponentVersion(scope, 'Resource', {
    inlineRecipe: Stack.of(scope).toJsonString(renderRecipe(spec, version, bucket.bucketName)),
  });
  for (const d of deployments) resource.node.addDependency(d);
  return { version, resource };
}

/** One upload per platform of a file to `edge/<name>/<version>/<platform>/`. */
export function uploadPerPlatform(scope: Construct, idPrefix: string, bucket: s3.IBucket, componentName: string,
  version: string, platforms: readonly EdgePlatform[], artifactOf: (p: PlatformId) => PlatformFile): Construct[] {
  return platforms.map((p) => {
    const artifact = artifactOf(p.nodePlatform as PlatformId);
    return uploadArtifact(scope, `${idPrefix}${p.nodePlatform}`, bucket, artifact.source(),
      edgeKeyPrefix(componentName, version, p.nodePlatform as PlatformId));
  });
}

/** Checks a component's name prefix and platforms and throws all problems found (with those `extra` adds). */
export function validateComponentProps(scope: Construct, prefix: string, platforms: readonly EdgePlatform[],
  extra?: (problems: FieldErrors) => void): void {
  const problems = new FieldErrors();
  checkPrefix(prefix, problems);
  checkPlatforms(platforms, problems);
  extra?.(problems);
  problems.throwIfAny(scope);
}

/** A component that ships one built file per platform (the Node binary, the runtime zip). */
export interface PlatformFileComponentSpec {
  readonly componentName: string;
  readonly description: string;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly bucket: s3.IBucket;
  readonly platforms: readonly EdgePlatform[];
  /** The file of a platform. */
  readonly artifactOf: (p: PlatformId) => PlatformFile;
  /** How the device treats the file (`execute` or `unarchive`). */
  readonly permissions: Pick<ArtifactSpec, 'read' | 'execute' | 'unarchive'>;
  /** The `Install` script of a platform (its timeout is 120 s). */
  readonly installScript: (p: PlatformId) => string;
}

/**
 * Creates the version of a component that ships one built file per platform: a manifest per platform with the file as
 * its only artifact under `edge/<name>/<version>/<platform>/`, one upload per platform, and an `Install` step.
 */
export function createPlatformFileComponent(scope: Construct, spec: PlatformFileComponentSpec): ComponentResources {
  const name = spec.componentName;
  const recipe: RecipeSpec = {
    componentName: name,
    description: spec.description,
    publisher: 'modelfleet',
    dependencies: spec.dependencies,
    manifests: spec.platforms.map((p) => {
      const id = p.nodePlatform as PlatformId;
      const file = spec.artifactOf(id);
      return {
        os: p.os,
        architecture: p.architecture,
        artifacts: [{ key: (v: string) => `${edgeKeyPrefix(name, v, id)}${file.fileName}`, sha256: file.sha256, ...spec.permissions }],
        lifecycle: { Install: { Script: spec.installScript(id), Timeout: 120 } },
      };
    }),
  };
  return createComponentVersion(scope, recipe, spec.bucket, (version) =>
    uploadPerPlatform(scope, 'Upload-', spec.bucket, name, version, spec.platforms, spec.artifactOf));
}

/** Read access to a component's own artifacts (`edge/<name>/*` in its bucket). */
export function grantComponentArtifactRead(grantee: iam.IGrantable, bucket: s3.IBucket, componentName: string): iam.Grant {
  return bucket.grantRead(grantee, `edge/${componentName}/*`);
}
