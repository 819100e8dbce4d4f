import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheRoot, runtimeEntry } from '../../bin/modelfleet-edge';
import { packageRoot } from '../../constructs/greengrass/components/private/artifacts';
import { buildEdgeArtifacts, defaultArtifactsDir } from '../../scripts/build-edge-artifacts';
import { useTmpDir } from '../helpers/tmp-model';

const tmp = useTmpDir('modelfleet-launcher-');
beforeAll(async () => {
  await buildEdgeArtifacts();
}, 300_000);

/** An installed package as npm lays it out: package.json and dist/edge-artifacts, no edge/ sources. */
function installedPackage(): string {
  const root = path.join(tmp(), 'node_modules', 'modelfleet');
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(packageRoot(), 'package.json'), path.join(root, 'package.json'));
  fs.cpSync(defaultArtifactsDir(), path.join(root, 'dist', 'edge-artifacts'), { recursive: true });
  return root;
}

describe('modelfleet-edge (the launcher)', () => {
  test('in the repository runs the compiled sources', () => {
    expect(runtimeEntry(packageRoot(), {})).toBe(path.join(packageRoot(), 'dist', 'edge', 'cli.js'));
  });

  test('from an installed package unpacks this host\'s prebuilt zip once into the cache and runs its cli.js', () => {
    const root = installedPackage();
    const cache = path.join(tmp(), 'cache');
    const entry = runtimeEntry(root, { MODELFLEET_CACHE_DIR: cache });
    expect(path.dirname(path.dirname(entry))).toBe(cache);
    expect(path.basename(path.dirname(entry))).toMatch(new RegExp(`^edge-[0-9.]+-${process.platform}-${process.arch}-[0-9a-f]{16}$`));
    expect(fs.existsSync(path.join(path.dirname(entry), 'node_modules', 'onnxruntime-node', 'package.json'))).toBe(true);
    const mtime = fs.statSync(entry).mtimeMs;
    expect(runtimeEntry(root, { MODELFLEET_CACHE_DIR: cache })).toBe(entry);
    expect(fs.statSync(entry).mtimeMs).toBe(mtime);
    const version = spawnSync(process.execPath, [entry, '--version'], { encoding: 'utf8' });
    expect(version.stdout.trim()).toBe((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version);
  });

  test('the cache folder follows MODELFLEET_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(cacheRoot({ MODELFLEET_CACHE_DIR: '/x/y' })).toBe('/x/y');
    expect(cacheRoot({ XDG_CACHE_HOME: '/c' })).toBe(path.join('/c', 'modelfleet'));
    expect(cacheRoot({})).toMatch(/\.cache[\\/]modelfleet$/);
  });
});
