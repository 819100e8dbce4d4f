/**
 * Bundles the `modelfleet` command into single CommonJS files (run by `npm run build` after `tsc`):
 * `dist/bin/modelfleet.js` and one file per sub-command, `dist/bin/commands/<name>.js` (the command still loads its
 * sub-command lazily), each with the AWS SDK clients it uses inlined. So the SDK clients are devDependencies: an
 * install of modelfleet (and the jsii assembly that Python apps load) does not pull them in.
 *
 * `modelfleet-edge` is not bundled: it needs no npm package (it loads onnxruntime-node from the app at run time).
 *
 * Usage: node dist/scripts/bundle-cli.js
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleFile } from './build-edge-artifacts';
import { packageRoot } from '../constructs/greengrass/components/private/artifacts';

/** The entry points (TypeScript, relative to the repository) and their bundles (relative to the package root). */
export function cliEntries(root: string): Array<{ readonly source: string; readonly bundle: string }> {
  const commands = fs.readdirSync(path.join(root, 'bin', 'commands'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort();
  return [
    { source: path.join('bin', 'modelfleet.ts'), bundle: path.join('dist', 'bin', 'modelfleet.js') },
    ...commands.map((f) => ({
      source: path.join('bin', 'commands', f),
      bundle: path.join('dist', 'bin', 'commands', f.replace(/\.ts$/, '.js')),
    })),
  ];
}

/** Writes the bundles over tsc's output; returns the files written with their sizes. */
export function bundleCli(root: string = packageRoot()): Array<{ readonly file: string; readonly sizeBytes: number }> {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { peerDependencies?: Record<string, string> };
  // the CDK libraries stay whatever the app has (no command needs them today; a copy in a bundle would be a second one)
  const external = Object.keys(pkg.peerDependencies ?? {});
  return cliEntries(root).map(({ source, bundle }) => {
    const file = path.join(root, bundle);
    const data = bundleFile(root, path.join(root, source), external);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data, { mode: 0o755 });
    fs.renameSync(tmp, file);
    return { file, sizeBytes: data.length };
  });
}

if (require.main === module) {
  const started = Date.now();
  const written = bundleCli();
  const total = written.reduce((a, w) => a + w.sizeBytes, 0);
  process.stderr.write(`modelfleet CLI: ${written.length} bundles, ${(total / 1e6).toFixed(2)} MB, in ${Date.now() - started} ms\n`);
}
