#!/usr/bin/env node
/**
 * `modelfleet-edge`: starts the edge runtime (see `modelfleet-edge --help`).
 *
 * - In the modelfleet repository it runs the compiled sources (`dist/edge/cli.js`) with the repository's
 *   onnxruntime-node.
 * - From an installed package it runs the prebuilt runtime zip of this host (`dist/edge-artifacts/`, linux-x64 or
 *   linux-arm64: the same bytes the devices and the serving image run), unpacked once into a cache folder
 *   (`MODELFLEET_CACHE_DIR`, else `$XDG_CACHE_HOME/modelfleet`, else `~/.cache/modelfleet`). The package has no
 *   onnxruntime-node dependency, so installing modelfleet runs no install script and downloads nothing else.
 * - On other hosts (macOS, Windows) it runs the same bundle with the onnxruntime-node your project installed
 *   (`ONNXRUNTIME_NODE_INSTALL=skip npm install --save-dev onnxruntime-node@1.30`), or says how to.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ARTIFACTS_FOLDER, packageRoot, PlatformId, readArtifactsManifest } from '../constructs/greengrass/components/private/artifacts';
import { readZip } from '../constructs/serving-image/private/unzip';

function fail(code: string, message: string): never {
  process.stderr.write(`modelfleet-edge: ${code}: ${message}\n`);
  process.exit(2);
}

/** The folder the host's runtime is unpacked into. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MODELFLEET_CACHE_DIR) return path.resolve(env.MODELFLEET_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'modelfleet');
  return path.join(os.homedir(), '.cache', 'modelfleet');
}

/** The onnxruntime-node a project installed itself, for hosts the prebuilt zips do not cover. */
function projectOnnxruntime(): string | undefined {
  try {
    let dir = path.dirname(require.resolve('onnxruntime-node', { paths: [process.cwd()] }));
    for (let i = 0; i < 4 && !fs.existsSync(path.join(dir, 'package.json')); i++) dir = path.dirname(dir);
    return dir;
  } catch {
    return undefined;
  }
}

/**
 * Unpacks the runtime zip for `platform` (once; the folder's name holds the zip's digest) and returns the folder with
 * `cli.js`. With `ortDir`, the zip's own onnxruntime-node is left out and `node_modules/onnxruntime-node` links there.
 */
export function unpackRuntime(root: string, platform: PlatformId, cache: string, ortDir?: string): string {
  const artifacts = path.join(root, ARTIFACTS_FOLDER);
  let manifest;
  try {
    manifest = readArtifactsManifest(artifacts);
  } catch (err) {
    fail('EDGE_ERR_LAUNCH_ARTIFACTS', `${(err as Error).message}`);
  }
  const entry = manifest.runtime[platform];
  const folder = path.join(cache, `edge-${manifest.modelfleetVersion}-${platform}-${entry.sha256.slice(0, 16)}${ortDir ? '-ext' : ''}`);
  if (fs.existsSync(path.join(folder, 'cli.js'))) return folder;
  fs.mkdirSync(cache, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cache, '.unpack-'));
  try {
    const zip = path.join(artifacts, entry.directory, entry.fileName);
    for (const file of readZip(fs.readFileSync(zip), zip)) {
      if (ortDir && file.name.startsWith('node_modules/onnxruntime-node/')) continue;
      const target = path.join(tmp, ...file.name.split('/'));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, file.data);
    }
    if (ortDir) {
      fs.mkdirSync(path.join(tmp, 'node_modules'), { recursive: true });
      fs.symlinkSync(ortDir, path.join(tmp, 'node_modules', 'onnxruntime-node'), 'junction');
    }
    try {
      fs.renameSync(tmp, folder);
    } catch (err) {
      // another process unpacked the same zip meanwhile: use theirs
      if (!fs.existsSync(path.join(folder, 'cli.js'))) throw err;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return folder;
}

/** The `cli.js` to run on this host. */
export function runtimeEntry(root: string = packageRoot(__dirname), env: NodeJS.ProcessEnv = process.env): string {
  const compiled = path.join(root, 'dist', 'edge', 'cli.js');
  if (fs.existsSync(path.join(root, 'edge', 'cli.ts')) && fs.existsSync(compiled)) return compiled;
  const host = `${process.platform}-${process.arch}`;
  if (host === 'linux-x64' || host === 'linux-arm64') {
    return path.join(unpackRuntime(root, host, cacheRoot(env)), 'cli.js');
  }
  const ort = projectOnnxruntime();
  if (!ort) {
    fail('EDGE_ERR_LAUNCH_PLATFORM', `the prebuilt runtime covers linux-x64 and linux-arm64, this host is ${host}: `
      + 'install onnxruntime-node in your project (ONNXRUNTIME_NODE_INSTALL=skip npm install --save-dev onnxruntime-node@1.30) '
      + 'and run this again, or serve with the serving image (docker)');
  }
  return path.join(unpackRuntime(root, 'linux-x64', cacheRoot(env), ort), 'cli.js');
}

if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(runtimeEntry());
}
