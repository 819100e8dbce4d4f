import * as fs from 'fs';
import * as path from 'path';
import { IgnoreMode, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EdgeArtifactsUnavailable, packageRoot, readArtifactsManifest, ARTIFACTS_FOLDER } from '../greengrass/components/private/artifacts';
import { ModelFleetError } from '../core/private/modelfleet-error';

/**
 * The folders of the package's built artifacts (`dist/edge-artifacts/`) that the serving image's build reads: the
 * Dockerfile with its unzip helper, and the linux-x64 runtime zip. Nothing else is staged, hashed or sent to Docker.
 */
const BUILD_CONTEXT: readonly string[] = [
  'serving-image',
  'runtime-linux-x64',
];

/** The Dockerfile's stage that runs as root, for SageMaker. */
const SAGEMAKER_TARGET = 'sagemaker';
/** The Dockerfile's default stage, as the non-root user 1000, for pods. */
const RUNTIME_TARGET = 'runtime';

/** How a target binds the image (`ServingImage.bind`). */
export interface ServingImageBindOptions {
  /**
   * Whether the target needs the image to run as root. SageMaker expects containers to run as root (its guide for
   * custom inference containers); pods run as a non-root user. Only `ServingImage.fromAsset()` with the default
   * directory picks its Dockerfile stage from this (`sagemaker` or `runtime`); other images are used as they are.
   *
   * @default false
   */
  readonly runAsRoot?: boolean;
}

/** What a target needs to run the serving image. */
export interface ServingImageConfig {
  /** The image URI to give the container runtime (`<registry>/<repository>:<tag>` or `...@sha256:...`). */
  readonly imageUri: string;
}

/** Options for `ServingImage.fromAsset()`. */
export interface ServingImageAssetOptions {
  /**
   * The Docker build context: a directory holding the Dockerfile's inputs.
   * @default - the installed package's built artifacts (`dist/edge-artifacts/`), staged as an allowlist: the Dockerfile,
   * its unzip helper and the prebuilt linux-x64 runtime zip only
   */
  readonly directory?: string;

  /**
   * The Dockerfile, relative to `directory`.
   * @default - 'serving-image/Dockerfile' for the default directory, 'Dockerfile' for a given one
   */
  readonly file?: string;

  /**
   * Glob patterns (`.dockerignore` syntax) excluded from a given build context.
   * @default - for the default directory, everything outside the allowlist; for a given one, its `.dockerignore`
   */
  readonly exclude?: string[];

  /**
   * The platform to build for. SageMaker runs linux/amd64 images; the runtime image carries linux-x64 binaries only.
   * @default - ecrAssets.Platform.LINUX_AMD64
   */
  readonly platform?: ecrAssets.Platform;

  /**
   * The Docker build stage to build.
   * @default - for the default directory, 'sagemaker' (root) for SageMaker endpoints and 'runtime' (user 1000) for
   * pods; for a given directory, the last stage of its Dockerfile
   */
  readonly target?: string;
}

/**
 * The container image that serves the model with the modelfleet runtime (`modelfleet-edge serve`), on SageMaker and
 * on Kubernetes alike.
 */
export abstract class ServingImage {
  /**
   * The runtime's own image, built by `cdk deploy` from the prebuilt linux-x64 runtime in the installed package (synth
   * only stages the build context, so it works on a machine without Docker; the build runs no npm install).
   */
  public static fromAsset(options: ServingImageAssetOptions = {}): ServingImage {
    return new AssetServingImage(options);
  }

  /**
   * An image already pushed to a registry (e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com/modelfleet:1.0.0`).
   * Pull access to a private ECR repository must be granted separately (or use `fromEcrRepository`).
   */
  public static fromRegistry(imageUri: string): ServingImage {
    if (!Token.isUnresolved(imageUri) && imageUri.trim() === '') {
      throw new ModelFleetError('ServingImageUriEmpty', 'fromRegistry() needs an image URI, got an empty string; '
        + 'pass e.g. "123456789012.dkr.ecr.eu-west-1.amazonaws.com/modelfleet:1.0.0"');
    }
    return new RegistryServingImage(imageUri);
  }

  /**
   * An image in an ECR repository; `bind()` grants the grantee pull access to that repository.
   * @param tagOrDigest a tag (`1.0.0`) or a digest (`sha256:...`); default 'latest'
   */
  public static fromEcrRepository(repository: ecr.IRepository, tagOrDigest?: string): ServingImage {
    return new EcrServingImage(repository, tagOrDigest ?? 'latest');
  }

  /**
   * Makes the image available to `scope` (creating its asset at most once per stack and stage) and grants `grantee`
   * pull access to it where the image lives in ECR.
   */
  public abstract bind(scope: Construct, grantee?: iam.IGrantable, options?: ServingImageBindOptions): ServingImageConfig;
}

/** The package's built artifacts folder, checked: the Dockerfile and the x64 runtime zip must be there. */
function artifactsDirectory(scope: Construct): string {
  const dir = path.join(packageRoot(__dirname), ARTIFACTS_FOLDER);
  try {
    readArtifactsManifest(dir);
  } catch (err) {
    if (err instanceof EdgeArtifactsUnavailable) {
      throw new ModelFleetError('ServingImageArtifactsMissing', `${err.message}; or use ServingImage.fromRegistry(uri)`, scope);
    }
    throw err;
  }
  if (!fs.existsSync(path.join(dir, 'serving-image', 'Dockerfile'))) {
    throw new ModelFleetError('ServingImageArtifactsMissing', `${path.join(dir, 'serving-image', 'Dockerfile')} does not exist: `
      + 'in the modelfleet repository run `npm run build`, or use ServingImage.fromRegistry(uri)', scope);
  }
  return dir;
}

class AssetServingImage extends ServingImage {
  private readonly assets = new WeakMap<Stack, Map<string, ecrAssets.DockerImageAsset>>();

  constructor(private readonly options: ServingImageAssetOptions) {
    super();
  }

  public bind(scope: Construct, grantee?: iam.IGrantable, options?: ServingImageBindOptions): ServingImageConfig {
    const stack = Stack.of(scope);
    const target = this.options.target
      ?? (this.options.directory === undefined ? (options?.runAsRoot ? SAGEMAKER_TARGET : RUNTIME_TARGET) : undefined);
    const byTarget = this.assets.get(stack) ?? new Map<string, ecrAssets.DockerImageAsset>();
    this.assets.set(stack, byTarget);
    let asset = byTarget.get(target ?? '');
    if (!asset) {
      // the first asset of a stack keeps the id it always had; a second stage gets its own
      const id = byTarget.size === 0 ? 'ServingImage' : `ServingImage-${target ?? 'default'}`;
      asset = new ecrAssets.DockerImageAsset(scope, id, this.assetProps(scope, target));
      byTarget.set(target ?? '', asset);
    }
    if (grantee) {
      asset.repository.grantPull(grantee);
    }
    return { imageUri: asset.imageUri };
  }

  private assetProps(scope: Construct, target: string | undefined): ecrAssets.DockerImageAssetProps {
    const o = this.options;
    const platform = o.platform ?? ecrAssets.Platform.LINUX_AMD64;
    if (o.directory === undefined) {
      return {
        directory: artifactsDirectory(scope),
        file: o.file ?? path.join('serving-image', 'Dockerfile'),
        ignoreMode: IgnoreMode.DOCKER,
        // an allowlist: exclude everything, then re-include the build's inputs (fast to hash, small to stage)
        exclude: ['*', '.*', ...BUILD_CONTEXT.map((p) => `!${p}`), ...(o.exclude ?? [])],
        platform,
        target,
      };
    }
    return {
      directory: o.directory,
      file: o.file,
      exclude: o.exclude,
      platform,
      target,
    };
  }
}

class RegistryServingImage extends ServingImage {
  constructor(private readonly imageUri: string) {
    super();
  }

  public bind(_scope: Construct, _grantee?: iam.IGrantable, _options?: ServingImageBindOptions): ServingImageConfig {
    return { imageUri: this.imageUri };
  }
}

class EcrServingImage extends ServingImage {
  constructor(private readonly repository: ecr.IRepository, private readonly tagOrDigest: string) {
    super();
  }

  public bind(_scope: Construct, grantee?: iam.IGrantable, _options?: ServingImageBindOptions): ServingImageConfig {
    if (grantee) {
      this.repository.grantPull(grantee);
    }
    return { imageUri: this.repository.repositoryUriForTagOrDigest(this.tagOrDigest) };
  }
}
