/**
 * modelfleet as a Python platform team meets it: the wheel that `npm run package:python` builds (jsii-pacmak, from the
 * `.jsii` assembly `npm test` has just compiled), `pip install`ed offline into a fresh virtualenv beside the CDK
 * libraries from PyPI (constructs, cdk8s, cdk8s-plus-27 at the versions of modelfleet's npm lockfile, aws-cdk-lib at
 * modelfleet's minimum: `.ci/requirements-python-app.txt`, installed into `.venv/` by scripts/setup-python-tools.sh), an `app.py` with one
 * `ModelFleet`, and `cdk synth --app "python3 app.py"` (the Node CLI of our devDependencies) with no network at all
 * (`unshare -n`). Everything modelfleet does at synth then runs inside jsii's Node kernel, from the npm tarball the
 * wheel carries, unpacked into the kernel's cache: the ONNX contract reader, the golden request (onnxruntime-web in a
 * worker thread, from `dist/golden-engine/`), the edge artifacts of `dist/edge-artifacts/`.
 *
 * The same app in TypeScript, on the same JavaScript (the npm tarballs inside modelfleet's wheel and the PyPI CDK
 * libraries' wheels), must give the same cloud assembly:
 * the same template (every logical id, resource, Greengrass recipe and output), the same assets and the same golden
 * files. Needs root (for `unshare -n`), as the consumer test does.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packagePython } from '../../scripts/package-python';
import { runCommand } from '../helpers/run-command';

const REPO = path.resolve(__dirname, '..', '..');
const SETUP = 'scripts/setup-python-tools.sh';
const VENV_PYTHON = path.join(REPO, '.venv', 'bin', 'python');
const SQUEEZENET = path.resolve(REPO, '..', 'shared', 'models', 'squeezenet1_1.onnx');
const LOCK = JSON.parse(fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
const locked = (name: string): string => LOCK.packages[`node_modules/${name}`].version;
/** The jsii libraries a CDK app with modelfleet loads: npm name → PyPI name and Python module. */
const CDK_LIBRARIES = [
  { npm: 'aws-cdk-lib', pypi: 'aws-cdk-lib', module: 'aws_cdk' },
  { npm: 'constructs', pypi: 'constructs', module: 'constructs' },
  { npm: 'cdk8s', pypi: 'cdk8s', module: 'cdk8s' },
  { npm: 'cdk8s-plus-27', pypi: 'cdk8s-plus-27', module: 'cdk8s_plus_27' },
] as const;
const STACK = 'Squeeze';

const APP_PY = `import aws_cdk as cdk
from modelfleet import (LogLevel, ModelFleet, ModelFleetEdgeOptions, ModelFleetKubernetesOptions,
                        ModelFleetSageMakerOptions, ModelSource)

app = cdk.App()
stack = cdk.Stack(app, "${STACK}")
ModelFleet(stack, "Squeeze", model=ModelSource.from_asset("models/squeezenet1_1.onnx"))
# Each target's options as Python structs, passed through by ModelFleet: the runtime settings have one name everywhere.
ModelFleet(stack, "Tuned", model=ModelSource.from_asset("models/squeezenet1_1.onnx"), model_name="squeeze-tuned",
           sagemaker=ModelFleetSageMakerOptions(max_batch=16, log_level=LogLevel.WARN, autoscaling=False),
           kubernetes=ModelFleetKubernetesOptions(namespace_name="ml", threads=1, replicas=3),
           edge=ModelFleetEdgeOptions(threads=3, max_batch=4, log_level=LogLevel.DEBUG))
app.synth()
`;

const APP_TS = `import * as cdk from 'aws-cdk-lib';
import { LogLevel, ModelFleet, ModelSource } from 'modelfleet';

const app = new cdk.App();
const stack = new cdk.Stack(app, '${STACK}');
new ModelFleet(stack, 'Squeeze', { model: ModelSource.fromAsset('models/squeezenet1_1.onnx') });
new ModelFleet(stack, 'Tuned', {
  model: ModelSource.fromAsset('models/squeezenet1_1.onnx'), modelName: 'squeeze-tuned',
  sagemaker: { maxBatch: 16, logLevel: LogLevel.WARN, autoscaling: false },
  kubernetes: { namespaceName: 'ml', threads: 1, replicas: 3 },
  edge: { threads: 3, maxBatch: 4, logLevel: LogLevel.DEBUG },
});
app.synth();
`;

let work: string;
let app: string;
let wheel: string;
let venv: string;
/** The jsii tarballs both apps load (file names). */
let libraries: string[] = [];
const seconds: Record<string, number> = {};

const run = runCommand;

function timed<T>(label: string, fn: () => T): T {
  const started = Date.now();
  try {
    return fn();
  } finally {
    seconds[label] = (Date.now() - started) / 1000;
  }
}

/** The requirement pins of a `.ci/requirements-*.txt` file: name → version. */
function pins(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Za-z0-9._-]+)==([^\s#]+)/.exec(line.trim());
    if (m) out.set(m[1].toLowerCase(), m[2]);
  }
  return out;
}

/** The site-packages folder of a Python. */
function site(python: string): string {
  return run(python, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], { cwd: os.tmpdir() }).stdout.trim();
}

/** The npm tarballs of the jsii packages installed in a site-packages folder (`<module>[/<sub>]/_jsii/*.jsii.tgz`). */
function jsiiTarballs(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory() && e.name === '_jsii') out.push(...fs.readdirSync(full).filter((f) => f.endsWith('.jsii.tgz')).map((f) => path.join(full, f)));
      else if (e.isDirectory() && depth < 2 && !e.name.endsWith('.dist-info')) walk(full, depth + 1);
    }
  };
  walk(dir, 0);
  return out.sort();
}

/** `cdk synth` of the app in `app` into `out`, offline. */
function synth(appCommand: string, out: string, env: NodeJS.ProcessEnv = {}): void {
  const res = spawnSync('unshare', ['-n', path.join(REPO, 'node_modules', '.bin', 'cdk'), 'synth', '--no-notices', '-q', '--app', appCommand, '--output', out], {
    cwd: app, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20,
  });
  if (res.status !== 0) throw new Error(`offline cdk synth --app "${appCommand}" failed (${res.status ?? res.signal}):\n${res.stdout}\n${res.stderr}`);
}

beforeAll(() => {
  if (process.getuid?.() !== 0 || spawnSync('unshare', ['-n', 'true']).status !== 0) {
    throw new Error('this test synthesizes inside a network namespace with no network: run it as root where `unshare -n` works (CI does)');
  }
  if (!fs.existsSync(VENV_PYTHON)) {
    throw new Error(`fails when the Python tools are not installed: ${VENV_PYTHON} is missing; fix: run \`bash ${SETUP}\` (it makes .venv/ from .ci/requirements-*.txt)`);
  }
  const probe = spawnSync(VENV_PYTHON, ['-c', `import ${['jsii', ...CDK_LIBRARIES.map((l) => l.module)].join(', ')}`], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`fails when the Python CDK libraries are not installed: ${VENV_PYTHON} cannot import jsii, aws_cdk, constructs, cdk8s and `
      + `cdk8s_plus_27 (${probe.stderr.trim().split('\n').pop()}); fix: run \`bash ${SETUP}\` (.ci/requirements-python-app.txt)`);
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'modelfleet-python-'));
  wheel = timed('wheel', () => packagePython(REPO, path.join(work, 'wheel')));

  // A fresh virtualenv whose only packages of its own are modelfleet's: the CDK libraries (and pip) come from .venv/
  // through a .pth file, so `pip install --no-index` checks the wheel's requirements against them and fetches nothing.
  venv = path.join(work, 'venv');
  timed('pip install', () => {
    run(VENV_PYTHON, ['-m', 'venv', '--without-pip', venv], { cwd: work });
    fs.writeFileSync(path.join(site(path.join(venv, 'bin', 'python')), 'modelfleet-test-cdk-libraries.pth'), `${site(VENV_PYTHON)}\n`);
    run(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--no-index', '--disable-pip-version-check', '--quiet', wheel], { cwd: work });
  });

  app = path.join(work, 'squeeze');
  fs.mkdirSync(path.join(app, 'models'), { recursive: true });
  fs.copyFileSync(SQUEEZENET, path.join(app, 'models', 'squeezenet1_1.onnx'));
  // one cdk.json (this repository's feature flags) for both apps; each synth names its app on the command line
  const { context } = JSON.parse(fs.readFileSync(path.join(REPO, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  fs.writeFileSync(path.join(app, 'cdk.json'), JSON.stringify({ context }, null, 2));
  fs.writeFileSync(path.join(app, 'app.py'), APP_PY);
  fs.writeFileSync(path.join(app, 'app.ts'), APP_TS);
  // The TypeScript app gets the very JavaScript the kernel loads: the npm tarball every jsii wheel carries
  // (`<module>/_jsii/<name>@<version>.jsii.tgz`: modelfleet's, and aws-cdk-lib's, constructs', cdk8s'... from PyPI),
  // unpacked as npm would into its node_modules. So both apps run the same modelfleet build on the same CDK libraries.
  const modules = path.join(app, 'node_modules');
  const sites = [site(VENV_PYTHON), site(path.join(venv, 'bin', 'python'))];
  const tarballs = sites.flatMap((dir) => jsiiTarballs(dir));
  const unpacked = path.join(work, 'unpacked');
  for (const [i, tarball] of tarballs.entries()) {
    const dir = path.join(unpacked, String(i));
    fs.mkdirSync(dir, { recursive: true });
    run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1'], { cwd: work });
    const { name } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string };
    fs.mkdirSync(path.dirname(path.join(modules, name)), { recursive: true });
    fs.renameSync(dir, path.join(modules, name));
  }
  libraries = tarballs.map((t) => path.basename(t));

  const pythonEnv = {
    // `python3` is the fresh virtualenv's
    PATH: `${path.join(venv, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    VIRTUAL_ENV: venv,
    // the kernel unpacks every jsii package it loads into this cache (by default ~/.cache/aws/jsii): a cold one, as in CI
    JSII_RUNTIME_PACKAGE_CACHE_ROOT: path.join(work, 'jsii-cache'),
    // the jsii runtime's banner about Node 20's end of life (the repository's Node; nothing to act on in this test)
    JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20',
  };
  timed('synth python', () => synth('python3 app.py', 'cdk.out.py', pythonEnv));
  timed('synth typescript', () => synth(`${path.join(REPO, 'node_modules', '.bin', 'tsx')} app.ts`, 'cdk.out.ts'));
}, 900_000);

afterAll(() => {
  if (Object.keys(seconds).length > 0) {
    process.stderr.write(`python-app.test: ${Object.entries(seconds).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}\n`);
  }
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const readJson = (...parts: string[]): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(app, ...parts), 'utf8'));

interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * The template without what legitimately depends on the app's language: the `AWS::CDK::Metadata` resource, CDK's
 * analytics, whose `Analytics` string encodes the runtime that ran the app (the jsii runtime and its version for
 * Python, plain Node for TypeScript). Its condition (`CDKMetadataAvailable`) stays: it depends only on the region.
 */
function comparable(template: Template): Template {
  const resources = Object.fromEntries(Object.entries(template.Resources).filter(([, r]) => r.Type !== 'AWS::CDK::Metadata'));
  return { ...template, Resources: resources };
}

describe('modelfleet from a Python CDK app (jsii)', () => {
  test('the Python CDK libraries are pinned at the npm lockfile\'s versions, aws-cdk-lib at modelfleet\'s minimum', () => {
    const pinned = pins(path.join(REPO, '.ci', 'requirements-python-app.txt'));
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> };
    // aws-cdk-lib: PyPI has no 2.276.0 yet (the lockfile's); the app runs on the lowest version modelfleet accepts
    const want = (npm: string): string => (npm === 'aws-cdk-lib' ? pkg.peerDependencies[npm].replace(/^\^/, '') : locked(npm));
    expect(Object.fromEntries(CDK_LIBRARIES.map((l) => [l.npm, pinned.get(l.pypi)])))
      .toEqual(Object.fromEntries(CDK_LIBRARIES.map((l) => [l.npm, want(l.npm)])));
    // and both apps ran on those: the kernel's tarballs are what the TypeScript app loads
    for (const l of CDK_LIBRARIES) expect(libraries).toContain(`${l.npm}@${pinned.get(l.pypi)}.jsii.tgz`);
    expect(libraries).toContain(`modelfleet@${(JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version}.jsii.tgz`);
  });

  test('the wheel is module modelfleet and carries the npm package: the assembly, the constructs, the edge artifacts, the golden engine', () => {
    const files = run('unzip', ['-Z1', wheel], { cwd: work }).stdout.split('\n').filter(Boolean);
    expect(files).toEqual(expect.arrayContaining(['modelfleet/__init__.py', 'modelfleet/py.typed', 'modelfleet/_jsii/__init__.py']));
    const pkg = path.join(app, 'node_modules', 'modelfleet');
    for (const file of ['.jsii', 'package.json', 'dist/constructs/index.js', 'dist/edge-artifacts/manifest.json', 'dist/golden-engine/ort-web.js']) {
      expect(fs.existsSync(path.join(pkg, file))).toBe(true);
    }
    const installed = run(path.join(venv, 'bin', 'python'), ['-c', 'import modelfleet; print(modelfleet.ModelFleet.__module__)'], {
      cwd: work, env: { JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
    });
    expect(installed.stdout.trim()).toBe('modelfleet');
  });

  test('cdk synth of app.py gives the TypeScript app\'s template: logical ids, every resource, the Greengrass recipes, the outputs', () => {
    const py = readJson('cdk.out.py', `${STACK}.template.json`) as unknown as Template;
    const ts = readJson('cdk.out.ts', `${STACK}.template.json`) as unknown as Template;
    // what the comparison stands on: the targets are all there, and only the analytics resource is left out
    const types = new Set(Object.values(ts.Resources).map((r) => r.Type));
    for (const type of ['AWS::SageMaker::Endpoint', 'AWS::GreengrassV2::ComponentVersion', 'AWS::GreengrassV2::Deployment', 'AWS::S3::Bucket']) {
      expect(types).toContain(type);
    }
    expect(Object.keys(ts.Outputs ?? {}).length).toBeGreaterThan(0);
    const dropped = (t: Template): string[] => Object.keys(t.Resources).filter((id) => !(id in comparable(t).Resources));
    expect(dropped(py)).toEqual(['CDKMetadata']);
    expect(dropped(ts)).toEqual(['CDKMetadata']);

    expect(Object.keys(py.Resources).sort()).toEqual(Object.keys(ts.Resources).sort());
    const recipes = (t: Template): unknown[] => Object.values(t.Resources)
      .filter((r) => r.Type === 'AWS::GreengrassV2::ComponentVersion').map((r) => r.Properties?.InlineRecipe);
    expect(recipes(ts).length).toBeGreaterThan(0);
    expect(recipes(py)).toEqual(recipes(ts));
    expect(comparable(py)).toEqual(comparable(ts));
  });

  test('the options given as Python structs reach each target of the tuned fleet, by the runtime settings\' one name', () => {
    const py = readJson('cdk.out.py', `${STACK}.template.json`) as unknown as Template;
    const models = Object.values(py.Resources).filter((r) => r.Type === 'AWS::SageMaker::Model')
      .map((r) => (r.Properties as { PrimaryContainer: { Environment: Record<string, string> } }).PrimaryContainer.Environment);
    const tuned = models.find((env) => env.MODELFLEET_NAME === 'squeeze-tuned');
    expect(tuned).toMatchObject({ MODELFLEET_MAX_BATCH: '16', MODELFLEET_LOG_LEVEL: 'warn' });
    expect(models.find((env) => env.MODELFLEET_NAME === 'squeeze')).not.toHaveProperty('MODELFLEET_MAX_BATCH');
    // autoscaling: false reached the tuned endpoint only
    const scaled = Object.values(py.Resources).filter((r) => r.Type === 'AWS::ApplicationAutoScaling::ScalableTarget');
    expect(scaled).toHaveLength(1);
    const recipes = JSON.stringify(Object.values(py.Resources).filter((r) => r.Type === 'AWS::GreengrassV2::ComponentVersion')
      .map((r) => r.Properties?.InlineRecipe));
    expect(recipes).toContain('squeeze-tuned');
    // the Kubernetes YAML of this env-agnostic stack is published at deploy: it is a staged file of the assembly
    const out = path.join(app, 'cdk.out.py');
    const texts = fs.readdirSync(out, { recursive: true, encoding: 'utf8' })
      .filter((f) => fs.statSync(path.join(out, f)).isFile() && !f.endsWith('.onnx') && !f.endsWith('.zip'))
      .map((f) => fs.readFileSync(path.join(out, f), 'utf8'));
    const tunedYaml = texts.find((t) => t.includes('kind: Deployment') && t.includes('squeeze-tuned'));
    expect(tunedYaml).toBeDefined();
    expect(tunedYaml).toContain('namespace: ml');
    expect(tunedYaml).toMatch(/minReplicas: 3/);
    expect(tunedYaml).toMatch(/name: MODELFLEET_THREADS\s+value: "1"/);
  });

  test('a construct error reaches Python with its code as the message\'s first word', () => {
    const script = [
      'import aws_cdk as cdk',
      'from modelfleet import ModelFleet, ModelSource',
      'stack = cdk.Stack(cdk.App(), "S")',
      'try:',
      '    ModelFleet(stack, "X", model=ModelSource.from_asset("models/missing.onnx"))',
      'except Exception as e:',
      '    print(type(e).__name__, str(e).splitlines()[0])',
    ].join('\n');
    const res = run(path.join(venv, 'bin', 'python'), ['-c', script], {
      cwd: app, env: { JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
    });
    expect(res.stdout.trim()).toMatch(/^\w*Error ModelFileNotFound: model file \S*missing\.onnx does not exist/);
  });

  test('the Python synth writes the same assets and golden files as the TypeScript one', () => {
    // The assets, but for the template itself: its hash covers the analytics string.
    const assets = (dir: string): Record<string, unknown> => {
      const manifest = readJson(dir, `${STACK}.assets.json`) as { files: Record<string, { source: { path?: string } }> };
      const files = Object.fromEntries(Object.entries(manifest.files).filter(([, f]) => f.source.path !== `${STACK}.template.json`));
      return { ...manifest, files };
    };
    expect(assets('cdk.out.py')).toEqual(assets('cdk.out.ts'));
    // the golden request answered at synth (onnxruntime-web in the kernel's worker thread), the contract, the history entry
    const golden = (dir: string): Map<string, string> => {
      const root = path.join(app, dir, 'modelfleet');
      const out = new Map<string, string>();
      const walk = (d: string): void => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const full = path.join(d, e.name);
          if (e.isDirectory()) walk(full);
          else out.set(path.relative(root, full), fs.readFileSync(full, 'utf8'));
        }
      };
      walk(root);
      return out;
    };
    const py = golden('cdk.out.py');
    expect([...py.keys()].some((f) => f.endsWith('golden.json'))).toBe(true);
    expect(py).toEqual(golden('cdk.out.ts'));
  });
});
