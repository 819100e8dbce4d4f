/**
 * modelfleet as a platform team meets it: `npm pack`, a fresh CDK app made by `cdk init app --language typescript`
 * in a temporary folder outside the repository, `npm install <tarball>`, one `ModelFleet`, then `cdk synth` with no
 * network at all (`unshare -n`), twice; then `modelfleet-edge serve` and `modelfleet verify` from that install.
 *
 * The app's dependencies are pinned to the versions in modelfleet's own lockfile, so that a machine that ran this
 * repository's `npm ci` has every package in its npm cache. The install runs with `--ignore-scripts` (no dependency
 * install script runs at all) and everything after it still works: nothing is fetched from outside the npm registry.
 * Needs root (for `unshare -n`), as the emulated-Pi test does.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../helpers/free-port';
import { stopChild, waitForHttp200 } from '../helpers/spawn-runtime';
import { runCommand } from '../helpers/run-command';

const REPO = path.resolve(__dirname, '..', '..');
const SQUEEZENET = path.resolve(REPO, '..', 'shared', 'models', 'squeezenet1_1.onnx');
const LOCK = JSON.parse(fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
const locked = (name: string): string => LOCK.packages[`node_modules/${name}`].version;

let work: string;
let app: string;
let tarball: string;

const run = runCommand;

/** Every file under `dir` (path → size and mtime), leaving out `skip` folders at the top. */
function snapshot(dir: string, skip: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      const rel = path.relative(dir, full);
      if (skip.includes(rel)) continue;
      if (e.isDirectory()) walk(full);
      else {
        const st = fs.lstatSync(full);
        out.set(rel, `${st.size}:${st.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out;
}

function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
}

beforeAll(() => {
  if (process.getuid?.() !== 0 || spawnSync('unshare', ['-n', 'true']).status !== 0) {
    throw new Error('this test synthesizes inside a network namespace with no network: run it as root where `unshare -n` works (CI does)');
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'modelfleet-consumer-'));
  // the tarball users get; `npm test` has just run the build that `prepack` runs, so scripts are skipped here
  const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO });
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; size: number; files: Array<{ path: string }> }>;
  tarball = path.join(work, info.filename);

  app = path.join(work, 'iris-platform');
  fs.mkdirSync(app);
  run(path.join(REPO, 'node_modules', '.bin', 'cdk'), ['init', 'app', '--language', 'typescript', '--generate-only'], { cwd: app });
  const pkg = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'));
  // what cdk init writes, at the versions of modelfleet's lockfile (in the npm cache); jest itself is not needed here
  pkg.devDependencies = Object.fromEntries(['@types/jest', '@types/node', 'aws-cdk', 'tsx', 'typescript'].map((n) => [n, locked(n)]));
  pkg.dependencies = { 'aws-cdk-lib': locked('aws-cdk-lib'), 'constructs': locked('constructs'), 'modelfleet': `file:${tarball}` };
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify(pkg, null, 2));
  const stackFile = fs.readdirSync(path.join(app, 'lib')).find((f) => f.endsWith('-stack.ts'))!;
  const stack = fs.readFileSync(path.join(app, 'lib', stackFile), 'utf8')
    .replace("import { Construct } from 'constructs';", "import { Construct } from 'constructs';\nimport { ModelFleet, ModelSource } from 'modelfleet';")
    .replace('    // The code that defines your stack goes here',
      "    new ModelFleet(this, 'Squeeze', { model: ModelSource.fromAsset('models/squeezenet1_1.onnx') });");
  expect(stack).toContain("new ModelFleet(this, 'Squeeze'");
  fs.writeFileSync(path.join(app, 'lib', stackFile), stack);
  fs.mkdirSync(path.join(app, 'models'));
  fs.copyFileSync(SQUEEZENET, path.join(app, 'models', 'squeezenet1_1.onnx'));
  run('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app });
}, 600_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('modelfleet installed into a fresh CDK app', () => {
  test('the tarball holds the compiled constructs and types, both CLIs, the prebuilt runtime, the image context; no tests', () => {
    const list = run('tar', ['-tzf', tarball], { cwd: work }).stdout.split('\n').filter(Boolean);
    expect(list).toEqual(expect.arrayContaining([
      'package/package.json', 'package/README.md', 'package/.jsii', 'package/constructs/ERRORS.md',
      'package/dist/constructs/index.js', 'package/dist/constructs/index.d.ts',
      'package/dist/bin/modelfleet.js', 'package/dist/bin/modelfleet-edge.js',
      'package/dist/edge-artifacts/manifest.json',
      'package/dist/edge-artifacts/runtime-linux-arm64/modelfleet-edge-linux-arm64.zip',
      'package/dist/edge-artifacts/runtime-linux-x64/modelfleet-edge-linux-x64.zip',
      'package/dist/edge-artifacts/serving-image/Dockerfile', 'package/dist/edge-artifacts/serving-image/unzip.js',
      'package/dist/golden-engine/ort-web.js', 'package/dist/golden-engine/ort-wasm-simd-threaded.wasm',
    ]));
    expect(list.filter((f) => /^package\/(test|bench|edge|scripts|lib|\.ci)\/|^package\/dist\/(test|bench|scripts|lib|edge)\/|cdk\.json$|\.ts$(?<!\.d\.ts)/.test(f))).toEqual([]);
    expect(fs.statSync(tarball).size).toBeLessThanOrEqual(40 * 1024 * 1024);
    const pkg = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', 'modelfleet', 'package.json'), 'utf8'));
    // the jsii libraries modelfleet's API is made of: peers, so that the app and modelfleet share one copy of each
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'cdk8s', 'cdk8s-plus-27', 'constructs']);
    expect(Object.keys(pkg.dependencies)).not.toContain('onnxruntime-node');
  });

  test('the install resolved every package from the npm registry and holds no onnxruntime-node', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(app, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { resolved?: string; link?: boolean }>;
    };
    const outside = Object.entries(lock.packages)
      .filter(([name, p]) => name !== '' && p.resolved && !p.resolved.startsWith('https://registry.npmjs.org/') && !p.resolved.startsWith('file:'))
      .map(([name, p]) => `${name} ${p.resolved}`);
    expect(outside).toEqual([]);
    expect(Object.keys(lock.packages).filter((k) => k.endsWith('/onnxruntime-node'))).toEqual([]);
  });

  test('cdk synth succeeds with no network, twice, and writes nothing outside cdk.out', () => {
    const cdk = path.join(app, 'node_modules', '.bin', 'cdk');
    const before = snapshot(app, ['cdk.out']);
    const modules = snapshot(path.join(app, 'node_modules'), []);
    for (const round of [1, 2]) {
      const res = spawnSync('unshare', ['-n', cdk, 'synth', '--no-notices', '-q'], { cwd: app, encoding: 'utf8', timeout: 300_000 });
      if (res.status !== 0) throw new Error(`offline synth ${round} failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
    }
    expect(changed(before, snapshot(app, ['cdk.out']))).toEqual([]);
    expect(changed(modules, snapshot(path.join(app, 'node_modules'), []))).toEqual([]);
    const template = JSON.parse(fs.readFileSync(path.join(app, 'cdk.out', 'IrisPlatformStack.template.json'), 'utf8'));
    const types = new Set(Object.values(template.Resources as Record<string, { Type: string }>).map((r) => r.Type));
    for (const type of ['AWS::SageMaker::Endpoint', 'AWS::GreengrassV2::ComponentVersion', 'AWS::GreengrassV2::Deployment', 'AWS::S3::Bucket']) {
      expect(types).toContain(type);
    }
    // the serving image's contexts, staged from the installed package: the Dockerfile, its unzip helper, the x64 zip
    const assets = JSON.parse(fs.readFileSync(path.join(app, 'cdk.out', 'IrisPlatformStack.assets.json'), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile: string; dockerBuildTarget: string } }>;
    };
    const images = Object.values(assets.dockerImages);
    expect(images.map((i) => i.source.dockerBuildTarget).sort()).toEqual(['runtime', 'sagemaker']);
    for (const image of images) {
      const dir = path.join(app, 'cdk.out', image.source.directory);
      expect([...snapshot(dir, []).keys()].sort()).toEqual([
        path.join('runtime-linux-x64', 'modelfleet-edge-linux-x64.zip'), path.join('serving-image', 'Dockerfile'), path.join('serving-image', 'unzip.js'),
      ]);
      expect(image.source.dockerFile).toBe(path.join('serving-image', 'Dockerfile'));
    }
    // Node for the devices is a deploy-time command (npm pack with pinned digests), not a file in the assembly
    const nodeAssets = Object.values((JSON.parse(fs.readFileSync(path.join(app, 'cdk.out', 'IrisPlatformStack.assets.json'), 'utf8')) as {
      files: Record<string, { source: { executable?: string[] } }>;
    }).files).filter((f) => f.source.executable);
    expect(nodeAssets).toHaveLength(2);
  }, 600_000);

  test('modelfleet-edge serves the model from the install, and modelfleet verify checks it against the synth\'s golden answer', async () => {
    const goldenDir = path.join(app, 'cdk.out', 'modelfleet', 'squeeze');
    expect(fs.existsSync(goldenDir)).toBe(true); // written by the synth test above
    const [version] = fs.readdirSync(goldenDir);
    const golden = path.join(goldenDir, version, 'golden.json');
    const port = await freePort();
    const cache = path.join(work, 'cache');
    // the fleet's name for the model, as verify's hint says
    const child = spawn(path.join(app, 'node_modules', '.bin', 'modelfleet-edge'),
      ['serve', '--model', 'models/squeezenet1_1.onnx', '--port', String(port), '--name', 'squeeze'],
      { cwd: app, env: { ...process.env, MODELFLEET_CACHE_DIR: cache }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await waitForHttp200(`http://127.0.0.1:${port}/v2/health/ready`, child, { attempts: 600 });
      const res = spawnSync(path.join(app, 'node_modules', '.bin', 'modelfleet'),
        ['verify', '--golden', golden, '--url', `laptop=http://127.0.0.1:${port}`], { cwd: app, encoding: 'utf8' });
      expect(res.stdout).toContain('every target matches its golden response');
      expect(res.status).toBe(0);
    } finally {
      await stopChild(child);
    }
    const help = run(path.join(app, 'node_modules', '.bin', 'modelfleet'), ['verify', '--help'], { cwd: app });
    expect(help.stdout).toContain('usage: modelfleet verify');
  }, 120_000);
});
