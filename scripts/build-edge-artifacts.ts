/**
 * Builds the artifacts that the Greengrass components ship (see constructs/greengrass/components):
 * - per platform (`linux-arm64`, `linux-x64`), the runtime zip `modelfleet-edge-<platform>.zip`: an esbuild bundle of
 *   `edge/cli.ts` with `edge/model/worker.ts` as a second entry (`worker.js` beside `cli.js`), the readiness helper
 *   `wait-ready.js`, and a trimmed `node_modules/` with onnxruntime-node (that platform's native files only) and
 *   onnxruntime-common. Byte-reproducible: sorted entries, a fixed timestamp, fixed modes, no symlinks;
 * - per platform, the `node` binary from the `node-linux-<arch>` npm package (`npm pack`ed into a cache, its
 *   integrity checked against the pinned value).
 * Writes `<out>/manifest.json` last. Skips all work when the manifest was built from the same inputs.
 *
 * Usage: node dist/scripts/build-edge-artifacts.js [--out DIR] [--cache DIR] [--force]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import * as yazl from 'yazl';
import {
  ARTIFACT_FORMAT_VERSION, BuiltArtifact, EdgeArtifactsManifest, NODE_PACKAGES, PLATFORM_IDS, PlatformId,
  defaultArtifactsDir, deviceSourceDir, edgeArtifactsInputKey, edgeSourceDir, packageDir, packageRoot, readFreshManifest,
  runtimeZipName, sha256File,
} from '../constructs/greengrass/components/private/artifacts';

/** Local midnight, 2020-01-01: zip stores local DOS time, so building it from local fields is timezone-proof. */
const FIXED_MTIME = new Date(2020, 0, 1, 0, 0, 0);
const FILE_MODE = 0o100644;

export interface BuildEdgeArtifactsOptions {
  /** Output folder. @default <root>/.build/edge */
  readonly outDir?: string;
  /** Download cache for `npm pack`. @default <root>/.build/cache */
  readonly cacheDir?: string;
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
  if (!source) throw new Error(`no edge runtime found: expected ${path.join(root, 'edge', 'cli.ts')} or dist/edge/cli.js`);
  const ext = fs.existsSync(path.join(source, 'cli.ts')) ? 'ts' : 'js';
  const device = deviceSourceDir(root);
  const deviceExt = fs.existsSync(path.join(device, 'wait-ready.ts')) ? 'ts' : 'js';
  const result = esbuild.buildSync({
    entryPoints: {
      cli: path.join(source, `cli.${ext}`),
      worker: path.join(source, 'model', `worker.${ext}`),
      'wait-ready': path.join(device, `wait-ready.${deviceExt}`),
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

function sriOf(file: string): string {
  return `sha512-${createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
}

/** `npm pack`s the pinned Node package into the cache (once) and checks its integrity. Returns the tgz path. */
export function fetchNodePackage(platform: PlatformId, cacheDir: string): string {
  const pkg = NODE_PACKAGES[platform];
  const tgz = path.join(cacheDir, `${pkg.name}-${pkg.version}.tgz`);
  if (fs.existsSync(tgz) && sriOf(tgz) === pkg.integrity) return tgz;
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheDir, '.pack-'));
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const res = spawnSync(npm, ['pack', `${pkg.name}@${pkg.version}`, '--pack-destination', tmp, '--silent'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const packed = path.join(tmp, path.basename(tgz));
    if (res.status !== 0) throw new Error(`npm pack ${pkg.name}@${pkg.version} failed: ${res.stderr.trim()}`);
    if (!fs.existsSync(packed)) throw new Error(`npm pack ${pkg.name}@${pkg.version} did not write ${packed}`);
    const actual = sriOf(packed);
    if (actual !== pkg.integrity) {
      throw new Error(`integrity mismatch for ${pkg.name}@${pkg.version}: expected ${pkg.integrity}, got ${actual}`);
    }
    fs.renameSync(packed, tgz);
    return tgz;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Extracts `package/bin/node` from the package tarball into `destDir/node`. */
function extractNode(tgz: string, destDir: string): void {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'modelfleet-node-'));
  try {
    const res = spawnSync('tar', ['-xzf', tgz, '-C', tmp, 'package/bin/node'], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`tar could not extract package/bin/node from ${tgz}: ${res.stderr.trim()}`);
    fs.mkdirSync(destDir, { recursive: true });
    fs.copyFileSync(path.join(tmp, 'package', 'bin', 'node'), path.join(destDir, 'node'));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function described(directory: string, fileName: string): BuiltArtifact {
  const file = path.join(directory, fileName);
  return { directory, fileName, sha256: sha256File(file), sizeBytes: fs.statSync(file).size };
}

/**
 * Builds (or reuses) every artifact and returns the manifest. Safe to run concurrently (parallel test workers, two
 * synths): builds take turns under a lock folder, each writes into a private temporary folder that is renamed into
 * `<out>/builds/<input key>/` in one step, and the manifest is replaced atomically, so a reader never sees a
 * half-written artifact.
 */
export async function buildEdgeArtifacts(options: BuildEdgeArtifactsOptions = {}): Promise<EdgeArtifactsManifest> {
  const root = packageRoot();
  const outDir = path.resolve(options.outDir ?? defaultArtifactsDir(root));
  const cacheDir = path.resolve(options.cacheDir ?? path.join(root, '.build', 'cache'));
  const log = options.log ?? (() => undefined);
  const inputKey = edgeArtifactsInputKey(root);
  if (!options.force) {
    const fresh = readFreshManifest(outDir, inputKey);
    if (fresh) {
      log(`edge artifacts are up to date in ${outDir}`);
      return fresh;
    }
  }
  fs.mkdirSync(outDir, { recursive: true });
  const release = await acquireLock(path.join(outDir, '.lock'), log);
  try {
    // Someone else may have built the same inputs while this process waited for the lock.
    const fresh = options.force ? undefined : readFreshManifest(outDir, inputKey);
    return fresh ?? await buildLocked(root, outDir, cacheDir, inputKey, options.force === true, log);
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

async function buildLocked(root: string, outDir: string, cacheDir: string, inputKey: string, force: boolean,
  log: (m: string) => void): Promise<EdgeArtifactsManifest> {
  const builds = path.join(outDir, 'builds');
  fs.mkdirSync(builds, { recursive: true });
  const final = path.join(builds, inputKey.slice(0, 24));
  const staging = fs.mkdtempSync(path.join(builds, '.tmp-'));
  try {
    const bundle = bundleRuntime(root);
    const runtime = {} as Record<PlatformId, BuiltArtifact>;
    const node = {} as Record<PlatformId, BuiltArtifact & { nodeVersion: string }>;
    for (const platform of PLATFORM_IDS) {
      const dir = path.join(staging, `runtime-${platform}`);
      fs.mkdirSync(dir, { recursive: true });
      await writeReproducibleZip([...bundle, ...runtimeModuleEntries(root, platform)], path.join(dir, runtimeZipName(platform)));
      runtime[platform] = described(dir, runtimeZipName(platform));
      log(`runtime ${platform}: ${(runtime[platform].sizeBytes / 1e6).toFixed(2)} MB`);

      const nodeDir = path.join(staging, `node-${platform}`);
      extractNode(fetchNodePackage(platform, cacheDir), nodeDir);
      node[platform] = { ...described(nodeDir, 'node'), nodeVersion: NODE_PACKAGES[platform].version };
      log(`node ${platform}: ${(node[platform].sizeBytes / 1e6).toFixed(2)} MB`);
    }
    const relocate = <T extends BuiltArtifact>(a: T): T => ({ ...a, directory: path.join(final, path.basename(a.directory)) });
    const all = [...Object.values(runtime), ...Object.values(node)].map(relocate);
    const complete = (): boolean => all.every((a) => {
      const f = path.join(a.directory, a.fileName);
      return fs.existsSync(f) && fs.statSync(f).size === a.sizeBytes;
    });
    // Under the lock nobody else writes `final`; one left incomplete (a killed build, a folder removed by hand) is
    // replaced. The same inputs give the same bytes, so a complete one is as good as ours.
    if (force || (fs.existsSync(final) && !complete())) fs.rmSync(final, { recursive: true, force: true });
    if (!fs.existsSync(final)) fs.renameSync(staging, final);
    const manifest: EdgeArtifactsManifest = {
      formatVersion: ARTIFACT_FORMAT_VERSION,
      inputKey,
      runtime: Object.fromEntries(PLATFORM_IDS.map((p) => [p, relocate(runtime[p])])) as Record<PlatformId, BuiltArtifact>,
      node: Object.fromEntries(PLATFORM_IDS.map((p) => [p, relocate(node[p])])) as EdgeArtifactsManifest['node'],
    };
    const manifestFile = path.join(outDir, 'manifest.json');
    const tmpManifest = `${manifestFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmpManifest, `${JSON.stringify(manifest, null, 2)}\n`);
    fs.renameSync(tmpManifest, manifestFile);
    pruneOldBuilds(builds, final);
    return manifest;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Removes builds of other inputs that are more than a day old (a concurrent synth may still read a recent one). */
function pruneOldBuilds(builds: string, keep: string): void {
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const name of fs.readdirSync(builds)) {
    const dir = path.join(builds, name);
    if (dir !== keep && fs.statSync(dir).mtimeMs < dayAgo) fs.rmSync(dir, { recursive: true, force: true });
  }
}

function parseArgs(argv: string[]): BuildEdgeArtifactsOptions {
  const opts: { outDir?: string; cacheDir?: string; force?: boolean } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out') opts.outDir = argv[++i];
    else if (arg === '--cache') opts.cacheDir = argv[++i];
    else if (arg === '--force') opts.force = true;
    else throw new Error(`unknown argument '${arg}'. Usage: build-edge-artifacts [--out DIR] [--cache DIR] [--force]`);
  }
  return opts;
}

if (require.main === module) {
  buildEdgeArtifacts({ ...parseArgs(process.argv.slice(2)), log: (m) => process.stderr.write(`${m}\n`) }).then(
    (m) => process.stdout.write(`${JSON.stringify(m)}\n`),
    (err: unknown) => {
      process.stderr.write(`build-edge-artifacts: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
}
