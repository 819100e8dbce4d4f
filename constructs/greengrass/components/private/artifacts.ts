/**
 * The edge artifacts that the Greengrass components and the serving image ship, as the package carries them: the
 * runtime zips are built when modelfleet is built (`npm run build`, `prepack`: `scripts/build-edge-artifacts.ts`) into
 * `dist/edge-artifacts/`; a synth only reads them. Node itself is not in the package: it is fetched at deploy time
 * (see `node-download.ts`).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Bumped whenever the layout or the content rules of the artifacts change. */
export const ARTIFACT_FORMAT_VERSION = 4;

/** A platform id as Node names it (`process.platform-process.arch`). */
export type PlatformId = 'linux-arm64' | 'linux-x64';

export const PLATFORM_IDS: readonly PlatformId[] = ['linux-arm64', 'linux-x64'];

/** The folder of the built artifacts inside the package. */
export const ARTIFACTS_FOLDER = path.join('dist', 'edge-artifacts');

/** The runtime zip's file name for a platform; Greengrass unarchives it to `<decompressedPath>/<name without .zip>/`. */
export function runtimeZipName(platform: PlatformId): string {
  return `modelfleet-edge-${platform}.zip`;
}

/** The folder a `Unarchive: ZIP` artifact lands in, below `{artifacts:decompressedPath}`. */
export function runtimeZipFolder(platform: PlatformId): string {
  return runtimeZipName(platform).replace(/\.zip$/, '');
}

/** The folder (relative to the artifacts folder) that holds only the runtime zip of a platform: a CDK asset source. */
export function runtimeZipDirectory(platform: PlatformId): string {
  return `runtime-${platform}`;
}

/** One built file, as the manifest records it. */
export interface ManifestFile {
  /** The folder that holds only this file, relative to the artifacts folder. */
  readonly directory: string;
  readonly fileName: string;
  /** Lower-case hex SHA-256 of the file. */
  readonly sha256: string;
  readonly sizeBytes: number;
}

/** What the build writes to `<artifacts folder>/manifest.json`. */
export interface EdgeArtifactsManifest {
  readonly formatVersion: number;
  /** The version of modelfleet the artifacts were built from (the runtime reports it in `GET /v2`). */
  readonly modelfleetVersion: string;
  /** The key of the inputs the artifacts were built from (the build skips work when it is unchanged). */
  readonly inputKey: string;
  readonly runtime: Readonly<Record<PlatformId, ManifestFile>>;
}

/** One built file with its absolute folder. */
export interface BuiltArtifact {
  /** Absolute path of the folder that holds only this file (a CDK asset source). */
  readonly directory: string;
  /** The file name inside `directory` (also the artifact's file name on the device). */
  readonly fileName: string;
  /** Lower-case hex SHA-256 of the file. */
  readonly sha256: string;
  readonly sizeBytes: number;
}

/** The modelfleet package root: the nearest folder above `from` whose package.json is modelfleet's. */
export function packageRoot(from: string = __dirname): string {
  let dir = from;
  for (let i = 0; i < 12; i++) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string };
      if (pkg.name === 'modelfleet') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find the modelfleet package root above ${from}`);
}

/** Thrown (and turned into a construct error by the caller) when the artifacts cannot be read. */
export class EdgeArtifactsUnavailable extends Error {}

/**
 * Reads and checks `<dir>/manifest.json`: the format is this one and every file is there with its recorded size.
 * Throws `EdgeArtifactsUnavailable` saying what is wrong and how to fix it.
 */
export function readArtifactsManifest(dir: string): EdgeArtifactsManifest {
  const file = path.join(dir, 'manifest.json');
  const fix = 'in the modelfleet repository run `npm run build`; for your own build pass its output folder to '
    + 'EdgeRuntimeArtifacts.fromDirectory(path)';
  if (!fs.existsSync(file)) {
    throw new EdgeArtifactsUnavailable(`the edge runtime artifacts are missing: ${file} does not exist (${fix})`);
  }
  let manifest: EdgeArtifactsManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as EdgeArtifactsManifest;
  } catch (err) {
    throw new EdgeArtifactsUnavailable(`${file} is not JSON (${(err as Error).message}): ${fix}`);
  }
  if (manifest.formatVersion !== ARTIFACT_FORMAT_VERSION) {
    throw new EdgeArtifactsUnavailable(`${file} has format ${String(manifest.formatVersion)}, this modelfleet reads `
      + `format ${ARTIFACT_FORMAT_VERSION}: rebuild the artifacts with the same modelfleet version (${fix})`);
  }
  for (const platform of PLATFORM_IDS) {
    const entry = manifest.runtime?.[platform];
    const built = entry ? path.join(dir, entry.directory, entry.fileName) : undefined;
    if (!entry || !built || !fs.existsSync(built) || fs.statSync(built).size !== entry.sizeBytes) {
      throw new EdgeArtifactsUnavailable(`the ${platform} runtime zip listed in ${file} is missing or has another `
        + `size${built ? ` (${built})` : ''}: ${fix}`);
    }
  }
  return manifest;
}

/** The manifest's file of a platform with its absolute folder. */
export function builtArtifact(dir: string, entry: ManifestFile): BuiltArtifact {
  return { directory: path.join(dir, entry.directory), fileName: entry.fileName, sha256: entry.sha256, sizeBytes: entry.sizeBytes };
}

/** SHA-256 of a file, hex. */
export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
