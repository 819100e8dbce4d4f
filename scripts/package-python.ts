/**
 * Builds modelfleet's Python wheel (module `modelfleet`) into `dist/python/` from the jsii assembly (`.jsii`, written by
 * `npm run jsii`), offline:
 * 1. `jsii-pacmak --code-only --targets python` writes the Python package into `dist/jsii/python/`; it runs `npm pack`
 *    itself (scripts off: the build has run) and puts that tarball, the one npm users get, into the package;
 * 2. `.venv/bin/python -m build --no-isolation --wheel` turns it into the wheel, with the pinned setuptools and build of
 *    `.ci/requirements-jsii.txt` (pacmak's own build step would make a fresh virtualenv and fetch them from PyPI);
 * 3. `twine check`, as pacmak does.
 * Needs `.venv/` (`bash scripts/setup-python-tools.sh`). Run it through `npm run package:python` (build, jsii, this).
 *
 * Usage: node dist/scripts/package-python.js [--out DIR]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../constructs/greengrass/components/private/artifacts';

/** The Python modules the build needs from `.venv/` (`.ci/requirements-jsii.txt`). */
const BUILD_MODULES = ['setuptools', 'build', 'wheel', 'twine'];

/** `.venv/bin/python` at the repository root, checked to hold the build tools; throws naming the setup script. */
export function venvPython(root: string): string {
  const python = path.join(root, '.venv', 'bin', 'python');
  const fix = 'run `bash scripts/setup-python-tools.sh` (it installs .ci/requirements-*.txt into .venv/)';
  if (!fs.existsSync(python)) throw new Error(`${python} does not exist: ${fix}`);
  const probe = spawnSync(python, ['-c', `import ${BUILD_MODULES.join(', ')}`], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`${python} lacks the wheel build tools (${BUILD_MODULES.join(', ')}): ${fix}\n${probe.stderr}`);
  }
  return python;
}

function newest(dir: string, suffix: string): number {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(full, suffix));
    else if (entry.name.endsWith(suffix)) latest = Math.max(latest, fs.statSync(full).mtimeMs);
  }
  return latest;
}

/**
 * Checks that `.jsii` is newer than the sources in `constructs/`, and that `dist/constructs/` is jsii's output, not
 * tsc's: jsii writes the JavaScript with the type information the jsii runtime reads (`jsii.rtti`) on every class of
 * the assembly; a later `tsc` rewrites the files without it.
 */
export function checkAssemblyFresh(root: string): void {
  const assembly = path.join(root, '.jsii');
  const fix = 'run `npm run build && npm run jsii` first (`npm run package:python` does)';
  if (!fs.existsSync(assembly)) throw new Error(`${assembly} does not exist: ${fix}`);
  if (newest(path.join(root, 'constructs'), '.ts') > fs.statSync(assembly).mtimeMs) throw new Error(`${assembly} is older than constructs/: ${fix}`);
  const spec = JSON.parse(fs.readFileSync(assembly, 'utf8')) as {
    types?: Record<string, { kind: string; locationInModule?: { filename: string } }>;
  };
  const sources = new Set(Object.values(spec.types ?? {}).filter((t) => t.kind === 'class' && t.locationInModule)
    .map((t) => t.locationInModule!.filename));
  for (const source of sources) {
    const js = path.join(root, 'dist', source.replace(/\.ts$/, '.js'));
    if (!fs.existsSync(js) || !fs.readFileSync(js, 'utf8').includes('Symbol.for("jsii.rtti")')) {
      throw new Error(`${path.relative(root, js)} is not jsii's output (no jsii.rtti): tsc compiled it after jsii ran; ${fix}`);
    }
  }
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const res = spawnSync(command, [...args], { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (res.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${res.status ?? res.signal}):\n${res.stdout}\n${res.stderr}`);
  }
  return res.stdout;
}

/** Builds the wheel; returns its path. */
export function packagePython(root: string = packageRoot(), outDir: string = path.join(root, 'dist', 'python')): string {
  const python = venvPython(root);
  checkAssemblyFresh(root);
  const sources = path.join(root, 'dist', 'jsii');
  fs.rmSync(sources, { recursive: true, force: true });
  // jsii-pacmak runs `npm pack`; prepack (the full build) has just run, so npm scripts are off
  run(path.join(root, 'node_modules', '.bin', 'jsii-pacmak'), ['--code-only', '--targets', 'python', '--outdir', sources], root,
    { ...process.env, npm_config_ignore_scripts: 'true', JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' });
  const project = path.join(sources, 'python');
  fs.rmSync(outDir, { recursive: true, force: true });
  run(python, ['-m', 'build', '--no-isolation', '--wheel', '--outdir', outDir, project], project);
  const wheels = fs.readdirSync(outDir).filter((f) => f.endsWith('.whl'));
  if (wheels.length !== 1) throw new Error(`expected one wheel in ${outDir}, found ${wheels.join(', ') || 'none'}`);
  const wheel = path.join(outDir, wheels[0]);
  run(python, ['-m', 'twine', 'check', '--strict', wheel], root);
  return wheel;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const out = args[0] === '--out' && args[1] ? path.resolve(args[1]) : undefined;
  if (args.length > 0 && !out) {
    process.stderr.write('usage: package-python [--out DIR]\n');
    process.exitCode = 2;
  } else {
    const started = Date.now();
    try {
      const wheel = packagePython(packageRoot(), out);
      process.stderr.write(`${path.relative(process.cwd(), wheel)}: ${(fs.statSync(wheel).size / 1e6).toFixed(1)} MB, `
        + `in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      process.stderr.write(`package-python: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  }
}
