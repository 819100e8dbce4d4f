/**
 * Builds the edge artifacts the package ships, into `dist/edge-artifacts/` (run by `npm run build` and `prepack`;
 * a synth only reads them):
 * - per platform (`linux-arm64`, `linux-x64`), the runtime zip `runtime-<platform>/modelfleet-edge-<platform>.zip`: an
 *   esbuild bundle of `edge/cli.ts` with `edge/model/worker.ts` as a second entry (`worker.js` beside `cli.js`), the
 *   readiness helper `wait-ready.js`, and a trimmed `node_modules/` with onnxruntime-node (that platform's native files
 *   only) and onnxruntime-common. Byte-reproducible: sorted entries, a fixed timestamp, fixed modes, no symlinks.
 *   The Greengrass model server ships these zips; the serving image unpacks the linux-x64 one (one bundler recipe);
 *   `modelfleet-edge` unpacks the host's one to serve locally;
 * - `serving-image/`: the serving image's Dockerfile and `unzip.js` (the image's build context, with the x64 zip).
 * Writes `manifest.json` last. Skips all work when the manifest was built from the same inputs.
 *
 * It also writes `dist/golden-engine/`: onnxruntime-web (WebAssembly) bundled into one CommonJS file with its wasm
 * beside it, the engine that runs golden requests at synth. Carried by the package instead of depending on
 * onnxruntime-web (139 MB installed, of which synth needs 14 MB).
 *
 * Usage: node dist/scripts/build-edge-artifacts.js [--out DIR] [--force]
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import * as yazl from 'yazl';
import {
  ARTIFACT_FORMAT_VERSION, ARTIFACTS_FOLDER, EdgeArtifactsManifest, ManifestFile, PLATFORM_IDS, PlatformId, packageRoot,
  readArtifactsManifest, runtimeZipDirectory, runtimeZipName, sha256File,
} from '../constructs/greengrass/components/private/artifacts';

/** The default output folder: `dist/edge-artifacts` in the package. */
export function defaultArtifactsDir(root: string = packageRoot()): string {
  return path.join(root, ARTIFACTS_FOLDER);
}

/** The runtime's source folder: `edge/` (TypeScript) in the repository. */
export function edgeSourceDir(root: string): string | undefined {
  const candidate = path.join(root, 'edge');
  return fs.existsSync(path.join(candidate, 'cli.ts')) ? candidate : undefined;
}

/** The device-side helpers shipped in the runtime zip (`wait-ready.ts`). */
export function deviceSourceDir(root: string): string {
  return path.join(root, 'constructs', 'greengrass', 'components', 'device');
}

/** The serving image's files (Dockerfile, unzip helper) in the repository. */
function servingImageSources(root: string): { dockerfile: string; unzip: string } {
  return {
    dockerfile: path.join(root, 'edge', 'Dockerfile'),
    unzip: path.join(root, 'constructs', 'serving-image', 'private', 'unzip.ts'),
  };
}

function listFiles(dir: string): string[] {
  return walk(dir).sort();
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
 * A cheap key over everything the artifacts are built from: the runtime's sources, the device helper, the serving
 * image's files, this script, the versions of onnxruntime-node, onnxruntime-common and esbuild, and modelfleet's own
 * version. Same key, same bytes.
 */
export function edgeArtifactsInputKey(root: string): string {
  const hash = createHash('sha256');
  hash.update(`format:${ARTIFACT_FORMAT_VERSION}\n`);
  const image = servingImageSources(root);
  const files = [
    ...listFiles(edgeSourceDir(root) ?? path.join(root, 'edge')),
    ...listFiles(deviceSourceDir(root)),
    image.dockerfile, image.unzip,
    path.join(root, 'scripts', 'build-edge-artifacts.ts'),
    path.join(root, 'constructs', 'greengrass', 'components', 'private', 'artifacts.ts'),
  ];
  for (const file of files) {
    if (!fs.existsSync(file) || file.endsWith('.d.ts') || file.endsWith('.map') || /\.test\.ts$/.test(file)) continue;
    hash.update(`${path.relative(root, file)}\n`);
    hash.update(fs.readFileSync(file));
  }
  for (const name of ['onnxruntime-node', 'onnxruntime-common', 'esbuild']) {
    hash.update(`${name}@${packageVersion(root, name)}\n`);
  }
  // the bundles carry modelfleet's own version (GET /v2, --version): a version bump alone must rebuild them
  hash.update(`modelfleet@${rootPackageVersion(root)}\n`);
  return hash.digest('hex');
}

/** The manifest in `outDir` if it was built from `inputKey` and its files are all there. */
function freshManifest(outDir: string, inputKey: string): EdgeArtifactsManifest | undefined {
  try {
    const manifest = readArtifactsManifest(outDir);
    return manifest.inputKey === inputKey ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/** Local midnight, 2020-01-01: zip stores local DOS time, so building it from local fields is timezone-proof. */
const FIXED_MTIME = new Date(2020, 0, 1, 0, 0, 0);
const FILE_MODE = 0o100644;

export interface BuildEdgeArtifactsOptions {
  /** Output folder. @default <root>/dist/edge-artifacts */
  readonly outDir?: string;
  /** Rebuild even when the manifest is fresh. */
  readonly force?: boolean;
  /** Progress messages. @default none */
  readonly log?: (message: string) => void;
}

interface ZipEntry { readonly name: string; readonly data: Buffer }

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** The files of onnxruntime-node and onnxruntime-common a platform needs at run time (no sources, maps, types). */
export function runtimeModuleEntries(root: string, platform: PlatformId): ZipEntry[] {
  const arch = platform.split('-')[1];
  const ortNode = packageDir('onnxruntime-node', [root]);
  const ortCommon = packageDir('onnxruntime-common', [ortNode, root]);
  const entries: ZipEntry[] = [];
  const add = (pkgDir: string, pkgName: string, keep: (rel: string) => boolean): void => {
    for (const file of walk(pkgDir)) {
      const rel = path.relative(pkgDir, file).split(path.sep).join('/');
      if (keep(rel)) entries.push({ name: `node_modules/${pkgName}/${rel}`, data: fs.readFileSync(file) });
    }
  };
  const isLicense = (rel: string): boolean => /^(LICENSE|ThirdPartyNotices)/i.test(rel);
  add(ortNode, 'onnxruntime-node', (rel) => rel === 'package.json' || isLicense(rel)
    || /^dist\/[^/]+\.js$/.test(rel)
    || rel.startsWith(`bin/napi-v6/linux/${arch}/`));
  add(ortCommon, 'onnxruntime-common', (rel) => rel === 'package.json' || isLicense(rel)
    || (rel.startsWith('dist/cjs/') && (rel.endsWith('.js') || rel.endsWith('package.json'))));
  const natives = entries.filter((e) => e.name.endsWith('.node'));
  if (natives.length !== 1) {
    throw new Error(`expected one onnxruntime binding for ${platform} under ${ortNode}/bin/napi-v6/linux/${arch}, found ${natives.length}`);
  }
  return entries;
}

/** modelfleet's version, from the package.json at the root. */
function rootPackageVersion(root: string): string {
  const file = path.join(root, 'package.json');
  const version = (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: unknown }).version;
  if (typeof version !== 'string' || version === '') throw new Error(`${file} has no "version": the runtime bundle reports it in GET /v2`);
  return version;
}

/** Bundles the runtime (cli.js, worker.js) and the readiness helper (wait-ready.js). Same for every platform. */
export function bundleRuntime(root: string): ZipEntry[] {
  const source = edgeSourceDir(root);
  if (!source) throw new Error(`no edge runtime sources: expected ${path.join(root, 'edge', 'cli.ts')} (the artifacts are built in the modelfleet repository)`);
  const result = esbuild.buildSync({
    entryPoints: {
      cli: path.join(source, 'cli.ts'),
      worker: path.join(source, 'model', 'worker.ts'),
      'wait-ready': path.join(deviceSourceDir(root), 'wait-ready.ts'),
    },
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outdir: '/bundle',
    write: false,
    external: ['onnxruntime-node', 'onnxruntime-common'],
    // the version GET /v2 and --version report (edge/main.ts): the zip carries no package.json
    define: { MODELFLEET_VERSION: JSON.stringify(rootPackageVersion(root)) },
    legalComments: 'eof',
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    logLevel: 'silent',
  });
  return result.outputFiles
    .map((f) => ({ name: path.basename(f.path), data: Buffer.from(f.contents) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Writes a zip whose bytes depend only on the entries: sorted, fixed time and mode, DOS timestamps only. */
export async function writeReproducibleZip(entries: readonly ZipEntry[], file: string): Promise<void> {
  const names = new Set<string>();
  for (const e of entries) {
    if (names.has(e.name)) throw new Error(`duplicate zip entry ${e.name}`);
    names.add(e.name);
  }
  const zip = new yazl.ZipFile();
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    zip.addBuffer(e.data, e.name, { mtime: FIXED_MTIME, mode: FILE_MODE, compress: true, forceDosTimestamp: true });
  }
  zip.end();
  const tmp = `${file}.${process.pid}.tmp`;
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(tmp);
    zip.outputStream.pipe(out).on('close', () => {
      fs.renameSync(tmp, file);
      resolve();
    }).on('error', reject);
  });
}

/**
 * One entry bundled with its dependencies into a single CommonJS file for Node 20 (licenses kept at the end).
 * `external` names packages left as `require` calls (resolved where the bundle runs).
 */
export function bundleFile(root: string, entry: string, external: readonly string[] = []): Buffer {
  const result = esbuild.buildSync({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    external: [...external],
    legalComments: 'eof',
    logLevel: 'silent',
  });
  return Buffer.from(result.outputFiles[0].contents);
}

/** `unzip.js` for the serving image's build stage: the zero-dependency extractor, as one CommonJS file. */
function bundleUnzip(root: string): Buffer {
  return bundleFile(root, servingImageSources(root).unzip);
}

function described(outDir: string, directory: string, fileName: string): ManifestFile {
  const file = path.join(outDir, directory, fileName);
  return { directory, fileName, sha256: sha256File(file), sizeBytes: fs.statSync(file).size };
}

/** Writes a file through a temporary name and a rename, so a reader never sees half of it. */
function writeAtomic(file: string, data: Buffer | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/**
 * Builds (or reuses) every artifact and returns the manifest. Safe to run concurrently (parallel test workers):
 * builds take turns under a lock folder, every file is written through a rename and the manifest last.
 */
export async function buildEdgeArtifacts(options: BuildEdgeArtifactsOptions = {}): Promise<EdgeArtifactsManifest> {
  const root = packageRoot();
  const outDir = path.resolve(options.outDir ?? defaultArtifactsDir(root));
  const log = options.log ?? (() => undefined);
  const inputKey = edgeArtifactsInputKey(root);
  if (!options.force) {
    const fresh = freshManifest(outDir, inputKey);
    if (fresh) {
      log(`edge artifacts are up to date in ${outDir}`);
      return fresh;
    }
  }
  fs.mkdirSync(outDir, { recursive: true });
  const release = await acquireLock(path.join(outDir, '.lock'), log);
  try {
    // Someone else may have built the same inputs while this process waited for the lock.
    const fresh = options.force ? undefined : freshManifest(outDir, inputKey);
    return fresh ?? await buildLocked(root, outDir, inputKey, log);
  } finally {
    release();
  }
}

/**
 * A lock between processes (parallel test workers, parallel synths): a folder holding the owner's pid. A lock whose
 * owner is gone is taken over. Waits at most 10 minutes.
 */
async function acquireLock(lock: string, log: (m: string) => void): Promise<() => void> {
  const deadline = Date.now() + 10 * 60 * 1000;
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      return () => fs.rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = NaN;
    try {
      owner = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
    } catch {
      // being created or released: try again
    }
    const orphan = Number.isNaN(owner) && ageMs(lock) > 30_000; // its owner died before writing its pid
    if (orphan || (Number.isInteger(owner) && owner > 0 && !processAlive(owner))) {
      fs.rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock} (held by pid ${owner}); remove it if no build runs`);
    if (!told) {
      log(`waiting for another edge artifact build (${lock})`);
      told = true;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function buildLocked(root: string, outDir: string, inputKey: string, log: (m: string) => void): Promise<EdgeArtifactsManifest> {
  const started = Date.now();
  // the old manifest goes first: a reader sees no manifest rather than one that names files being replaced
  fs.rmSync(path.join(outDir, 'manifest.json'), { force: true });
  const bundle = bundleRuntime(root);
  const runtime = {} as Record<PlatformId, ManifestFile>;
  for (const platform of PLATFORM_IDS) {
    const directory = runtimeZipDirectory(platform);
    const file = path.join(outDir, directory, runtimeZipName(platform));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await writeReproducibleZip([...bundle, ...runtimeModuleEntries(root, platform)], file);
    runtime[platform] = described(outDir, directory, runtimeZipName(platform));
    log(`edge runtime ${platform}: ${(runtime[platform].sizeBytes / 1e6).toFixed(2)} MB`);
  }
  const image = servingImageSources(root);
  writeAtomic(path.join(outDir, 'serving-image', 'Dockerfile'), fs.readFileSync(image.dockerfile));
  writeAtomic(path.join(outDir, 'serving-image', 'unzip.js'), bundleUnzip(root));
  const manifest: EdgeArtifactsManifest = {
    formatVersion: ARTIFACT_FORMAT_VERSION,
    modelfleetVersion: rootPackageVersion(root),
    inputKey,
    runtime,
  };
  writeAtomic(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  log(`edge artifacts built in ${((Date.now() - started) / 1000).toFixed(1)} s into ${outDir}`);
  return manifest;
}

function parseArgs(argv: string[]): BuildEdgeArtifactsOptions {
  const opts: { outDir?: string; force?: boolean } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out') opts.outDir = argv[++i];
    else if (arg === '--force') opts.force = true;
    else throw new Error(`unknown argument '${arg}'. Usage: build-edge-artifacts [--out DIR] [--force]`);
  }
  return opts;
}

/** Where the golden engine goes: `dist/golden-engine` in the package. */
export function goldenEngineDir(root: string = packageRoot()): string {
  return path.join(root, 'dist', 'golden-engine');
}

/** The WebAssembly files onnxruntime-web's Node build loads from beside itself (single-threaded SIMD build). */
const WASM_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

/**
 * Bundles onnxruntime-web's Node entry (with onnxruntime-common) into `ort-web.js` and copies its wasm beside it,
 * with the license. Skips the work when `VERSION` names the same onnxruntime-web.
 */
export function buildGoldenEngine(root: string = packageRoot(), outDir: string = goldenEngineDir(root), log: (m: string) => void = () => undefined): string {
  const web = packageDir('onnxruntime-web', [root]);
  const version = packageVersion(root, 'onnxruntime-web');
  const stamp = path.join(outDir, 'VERSION');
  const want = `onnxruntime-web@${version} format:1\n`;
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want
    && [...WASM_FILES, 'ort-web.js'].every((f) => fs.existsSync(path.join(outDir, f)))) return outDir;
  fs.rmSync(stamp, { force: true });
  writeAtomic(path.join(outDir, 'ort-web.js'), bundleFile(root, path.join(web, 'dist', 'ort.node.min.js')));
  for (const file of WASM_FILES) writeAtomic(path.join(outDir, file), fs.readFileSync(path.join(web, 'dist', file)));
  writeAtomic(path.join(outDir, 'NOTICE.md'), `# The golden engine\n\nonnxruntime-web ${version} (onnxruntime-common bundled in), `
    + 'from the npm registry: Copyright (c) Microsoft Corporation, licensed under the MIT License '
    + '(the onnxruntime repository\'s LICENSE). modelfleet runs it at synth to answer golden requests.\n');
  writeAtomic(stamp, want);
  log(`golden engine onnxruntime-web ${version} into ${outDir}`);
  return outDir;
}

if (require.main === module) {
  const log = (m: string): void => { process.stderr.write(`${m}\n`); };
  buildGoldenEngine(packageRoot(), goldenEngineDir(), log);
  buildEdgeArtifacts({ ...parseArgs(process.argv.slice(2)), log: (m) => process.stderr.write(`${m}\n`) }).then(
    () => undefined,
    (err: unknown) => {
      process.stderr.write(`build-edge-artifacts: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
}
