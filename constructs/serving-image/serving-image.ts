import * as fs from 'fs';
import * as path from 'path';
import { IgnoreMode, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ModelFleetError } from '../model/modelfleet-error';

/**
 * The files of the repository that the serving image's build needs: everything else (node_modules, dist, cdk.out,
 * .git, tests, models) is never staged, hashed or sent to Docker.
 */
const BUILD_CONTEXT: readonly string[] = [
  'package.json',
  'package-lock.json',
  '.npmrc',
  'tsconfig.json',
  'edge',
];

/** What a target needs to run the serving image. */
export interface ServingImageConfig {
  /** The image URI to give the container runtime (`<registry>/<repository>:<tag>` or `...@sha256:...`). */
  readonly imageUri: string;
}

/** Options for `ServingImage.fromAsset()`. */
export interface ServingImageAssetOptions {
  /**
   * The Docker build context: a directory holding the Dockerfile's inputs.
   * @default - the modelfleet repository root, staged as an allowlist (package.json, package-lock.json, .npmrc,
   * tsconfig.json and edge/ only)
   */
  readonly directory?: string;

  /**
   * The Dockerfile, relative to `directory`.
   * @default - 'edge/Dockerfile' for the default directory, 'Dockerfile' for a given one
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
   * @default - the last stage of the Dockerfile
   */
  readonly target?: string;
}

/**
 * The container image that serves the model with the modelfleet runtime (`modelfleet-edge serve`), on SageMaker and
 * on Kubernetes alike.
 */
export abstract class ServingImage {
  /**
   * The runtime's own image, built from its Dockerfile by `cdk deploy` (synth only stages the build context, so it
   * works on a machine without Docker).
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
   * Makes the image available to `scope` (creating its asset at most once per stack) and grants `grantee` pull
   * access to it where the image lives in ECR.
   */
  public abstract bind(scope: Construct, grantee?: iam.IGrantable): ServingImageConfig;
}

/** The directory of the modelfleet repository (where `edge/Dockerfile` sits), found from this file's location. */
function repositoryRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    if (fs.existsSync(path.join(dir, 'edge', 'Dockerfile')) && fs.existsSync(path.join(dir, 'package.json'))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new ModelFleetError('ServingImageDockerfileNotFound', `edge/Dockerfile was not found above ${__dirname}; `
    + 'install modelfleet with its edge/ folder or use ServingImage.fromRegistry(uri)');
}

class AssetServingImage extends ServingImage {
  private readonly assets = new WeakMap<Stack, ecrAssets.DockerImageAsset>();

  constructor(private readonly options: ServingImageAssetOptions) {
    super();
  }

  public bind(scope: Construct, grantee?: iam.IGrantable): ServingImageConfig {
    const stack = Stack.of(scope);
    let asset = this.assets.get(stack);
    if (!asset) {
      asset = new ecrAssets.DockerImageAsset(scope, 'ServingImage', this.assetProps());
      this.assets.set(stack, asset);
    }
    if (grantee) {
      asset.repository.grantPull(grantee);
    }
    return { imageUri: asset.imageUri };
  }

  private assetProps(): ecrAssets.DockerImageAssetProps {
    const o = this.options;
    const platform = o.platform ?? ecrAssets.Platform.LINUX_AMD64;
    if (o.directory === undefined) {
      return {
        directory: repositoryRoot(),
        file: o.file ?? path.join('edge', 'Dockerfile'),
        ignoreMode: IgnoreMode.DOCKER,
        // an allowlist: exclude everything, then re-include the build's inputs (fast to hash, small to stage)
        exclude: ['*', '.*', ...BUILD_CONTEXT.map((p) => `!${p}`), ...(o.exclude ?? [])],
        platform,
        target: o.target,
      };
    }
    return {
      directory: o.directory,
      file: o.file,
      exclude: o.exclude,
      platform,
      target: o.target,
    };
  }
}

class RegistryServingImage extends ServingImage {
  constructor(private readonly imageUri: string) {
    super();
  }

  public bind(_scope: Construct, _grantee?: iam.IGrantable): ServingImageConfig {
    return { imageUri: this.imageUri };
  }
}

class EcrServingImage extends ServingImage {
  constructor(private readonly repository: ecr.IRepository, private readonly tagOrDigest: string) {
    super();
  }

  public bind(_scope: Construct, grantee?: iam.IGrantable): ServingImageConfig {
    if (grantee) {
      this.repository.grantPull(grantee);
    }
    return { imageUri: this.repository.repositoryUriForTagOrDigest(this.tagOrDigest) };
  }
}
