import * as path from 'node:path';
import { Construct } from 'constructs';
import { ModelFleetError } from '../../core/private/modelfleet-error';
import { EdgePlatform } from './edge-platform';
import {
  ARTIFACTS_FOLDER, builtArtifact, EdgeArtifactsManifest, EdgeArtifactsUnavailable, packageRoot, PlatformId, readArtifactsManifest,
} from './private/artifacts';

/** One built runtime file. */
export interface EdgeRuntimeArtifact {
  /** Absolute path of the folder that holds only this file (what is uploaded). */
  readonly directory: string;
  /** The file's name inside `directory` (also its name on the device). */
  readonly fileName: string;
  /** Lower-case hex SHA-256 of the file (the recipe's digest). */
  readonly sha256: string;
  /** Size of the file in bytes. */
  readonly sizeBytes: number;
}

/**
 * The prebuilt edge runtime (the `modelfleet-edge` zip per platform) that the model server component ships. A synth
 * only reads it: the zips are built when modelfleet itself is built (`npm run build`, `npm pack`).
 */
export class EdgeRuntimeArtifacts {
  /** The zips inside the installed modelfleet package (`dist/edge-artifacts/`). */
  public static fromPackage(): EdgeRuntimeArtifacts {
    return new EdgeRuntimeArtifacts(path.join(packageRoot(__dirname), ARTIFACTS_FOLDER));
  }

  /**
   * Your own build: a folder with the layout `scripts/build-edge-artifacts.ts` writes (`manifest.json`,
   * `runtime-<platform>/modelfleet-edge-<platform>.zip`), e.g. from `node dist/scripts/build-edge-artifacts.js --out DIR`
   * in a modelfleet checkout.
   *
   * @param directory the folder holding `manifest.json`
   */
  public static fromDirectory(directory: string): EdgeRuntimeArtifacts {
    return new EdgeRuntimeArtifacts(path.resolve(directory));
  }

  /** The folder the artifacts are read from. */
  public readonly directory: string;
  private manifest?: EdgeArtifactsManifest;

  private constructor(directory: string) {
    this.directory = directory;
  }

  /**
   * The runtime zip of a platform. Throws `EdgeArtifactsUnavailable` (naming the folder and the fix) when the folder
   * holds no complete build.
   *
   * @param scope the construct that needs it (named in the error)
   * @param platform the device platform
   */
  public runtimeZip(scope: Construct, platform: EdgePlatform): EdgeRuntimeArtifact {
    return builtArtifact(this.directory, this.read(scope).runtime[platform.nodePlatform as PlatformId]);
  }

  /**
   * The modelfleet version the runtime was built from (what it reports in `GET /v2`).
   *
   * @param scope the construct that needs it (named in the error)
   */
  public modelfleetVersion(scope: Construct): string {
    return this.read(scope).modelfleetVersion;
  }

  private read(scope: Construct): EdgeArtifactsManifest {
    if (!this.manifest) {
      try {
        this.manifest = readArtifactsManifest(this.directory);
      } catch (err) {
        if (err instanceof EdgeArtifactsUnavailable) throw new ModelFleetError('EdgeArtifactsUnavailable', err.message, scope);
        throw err;
      }
    }
    return this.manifest;
  }
}
