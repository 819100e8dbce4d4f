import { Stack } from 'aws-cdk-lib';
import * as greengrassv2 from 'aws-cdk-lib/aws-greengrassv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IDependable } from 'constructs';
import { ModelFleetError } from '../../../model/modelfleet-error';
import { EdgePlatform } from '../edge-platform';
import { BuiltArtifact, EdgeArtifactsManifest, EdgeArtifactsUnavailable, ensureEdgeArtifacts, PlatformId } from './artifacts';
import { bucketIdentity, componentNameProblem, contentVersion, renderRecipe, RecipeSpec, uploadArtifact } from './recipe';

export const DEFAULT_COMPONENT_NAME_PREFIX = 'modelfleet';

/** Field problems of a component's props, thrown together as one `ModelFleetError`. */
export class Problems {
  private readonly list: { code: string; message: string }[] = [];

  public add(code: string, message: string): void {
    this.list.push({ code, message });
  }

  public throwIfAny(scope: Construct): void {
    if (this.list.length === 0) return;
    const [first, ...rest] = this.list;
    const more = rest.map((p) => `; ${p.code}: ${p.message}`).join('');
    throw new ModelFleetError(first.code, `${first.message}${more}`, scope);
  }
}

export function checkPrefix(prefix: string, problems: Problems): void {
  const problem = componentNameProblem(`${prefix}.X`);
  if (problem || prefix.length === 0) {
    problems.add('EdgeComponentNamePrefixInvalid',
      `componentNamePrefix ${problem ?? "'' is empty"}: use letters, digits, '-', '_' and '.', not starting with aws.greengrass`);
  }
}

export function checkPlatforms(platforms: readonly EdgePlatform[], problems: Problems): void {
  if (platforms.length === 0) {
    problems.add('EdgeComponentNoPlatform', 'platforms is empty: give at least one, e.g. [EdgePlatform.LINUX_ARM64]');
  }
  const ids = platforms.map((p) => p.nodePlatform);
  if (new Set(ids).size !== ids.length) {
    problems.add('EdgeComponentDuplicatePlatform', `platforms lists a platform twice (${ids.join(', ')}): list each once`);
  }
}

/** The built artifacts, or a construct error that says how to build them. */
export function artifactsFor(scope: Construct): EdgeArtifactsManifest {
  try {
    return ensureEdgeArtifacts();
  } catch (err) {
    if (err instanceof EdgeArtifactsUnavailable) throw new ModelFleetError('EdgeArtifactsUnavailable', err.message, scope);
    throw err;
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

/** One upload per platform of a built file to `edge/<name>/<version>/<platform>/`. */
export function uploadPerPlatform(scope: Construct, idPrefix: string, bucket: s3.IBucket, componentName: string,
  version: string, platforms: readonly EdgePlatform[], artifactOf: (p: PlatformId) => BuiltArtifact): Construct[] {
  return platforms.map((p) => {
    const artifact = artifactOf(p.nodePlatform as PlatformId);
    return uploadArtifact(scope, `${idPrefix}${p.nodePlatform}`, bucket, artifact.directory, artifact.sha256,
      edgeKeyPrefix(componentName, version, p.nodePlatform as PlatformId));
  });
}
