import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { buildEdgeArtifacts, defaultArtifactsDir, edgeArtifactsInputKey, writeReproducibleZip } from '../../../../scripts/build-edge-artifacts';
import { EdgeArtifactsManifest, packageRoot } from '../../../../constructs/greengrass/components/private/artifacts';
import { unzipPlain } from '../../../e2e/emulated-device';
import { IRIS_MODEL, useTmpDir } from '../../../helpers/tmp-model';

let built: EdgeArtifactsManifest;
const tmp = useTmpDir('modelfleet-artifacts-');
beforeAll(async () => {
  built = await buildEdgeArtifacts();
}, 300_000);

interface CentralEntry { name: string; mode: number; dosTime: number; dosDate: number }

function centralDirectory(zip: Buffer): CentralEntry[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const out: CentralEntry[] = [];
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(offset + 28);
    const extra = zip.readUInt16LE(offset + 30);
    const comment = zip.readUInt16LE(offset + 32);
    out.push({
      name: zip.toString('utf8', offset + 46, offset + 46 + nameLength),
      mode: zip.readUInt32LE(offset + 38) >>> 16,
      dosTime: zip.readUInt16LE(offset + 12),
      dosDate: zip.readUInt16LE(offset + 14),
    });
    offset += 46 + nameLength + extra + comment;
  }
  return out;
}

const zipPath = (platform: 'linux-arm64' | 'linux-x64'): string =>
  path.join(defaultArtifactsDir(), built.runtime[platform].directory, built.runtime[platform].fileName);
const zipOf = (platform: 'linux-arm64' | 'linux-x64'): Buffer => fs.readFileSync(zipPath(platform));

describe('the runtime zip', () => {
  test('for arm64 holds the bundle, the readiness helper and onnxruntime for linux/arm64 only, within 15 MB', () => {
    const entries = centralDirectory(zipOf('linux-arm64')).map((e) => e.name);
    expect(entries).toEqual(expect.arrayContaining([
      'cli.js', 'worker.js', 'wait-ready.js',
      'node_modules/onnxruntime-node/package.json',
      'node_modules/onnxruntime-node/dist/index.js',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/arm64/onnxruntime_binding.node',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/arm64/libonnxruntime.so.1',
      'node_modules/onnxruntime-common/package.json',
      'node_modules/onnxruntime-common/dist/cjs/index.js',
    ]));
    expect(entries.filter((e) => e.includes('/bin/napi-v6/') && !e.includes('/linux/arm64/'))).toEqual([]);
    expect(entries.filter((e) => /\.(map|ts)$/.test(e) || e.startsWith('node_modules/.bin'))).toEqual([]);
    expect(built.runtime['linux-arm64'].sizeBytes).toBeLessThanOrEqual(15 * 1024 * 1024);
  });

  test('is reproducible: sorted entries, one fixed timestamp, mode 0644 regular files, no symlinks or folders', () => {
    const entries = centralDirectory(zipOf('linux-x64'));
    const names = entries.map((e) => e.name);
    expect(names).toEqual([...names].sort());
    expect(new Set(entries.map((e) => e.mode))).toEqual(new Set([0o100644]));
    expect(new Set(entries.map((e) => `${e.dosDate}/${e.dosTime}`))).toEqual(new Set([`${((2020 - 1980) << 9) | (1 << 5) | 1}/0`]));
    expect(names.filter((n) => n.endsWith('/'))).toEqual([]);
  });

  test('writes the same bytes for the same entries, whatever their order', async () => {
    const entries = [
      { name: 'b/two.txt', data: Buffer.from('two') },
      { name: 'a.js', data: Buffer.from('one'.repeat(100)) },
    ];
    await writeReproducibleZip(entries, path.join(tmp(), '1.zip'));
    await new Promise((r) => setTimeout(r, 1100));
    await writeReproducibleZip([...entries].reverse(), path.join(tmp(), '2.zip'));
    expect(fs.readFileSync(path.join(tmp(), '1.zip')).equals(fs.readFileSync(path.join(tmp(), '2.zip')))).toBe(true);
  });

  test('fails on duplicate entries', async () => {
    await expect(writeReproducibleZip([{ name: 'x', data: Buffer.from('1') }, { name: 'x', data: Buffer.from('2') }],
      path.join(tmp(), 'dup.zip'))).rejects.toThrow('duplicate zip entry x');
  });

  test('a second build with the same inputs reuses the first one', async () => {
    const zip = zipPath('linux-arm64');
    const before = fs.statSync(zip).mtimeMs;
    const again = await buildEdgeArtifacts();
    expect(again).toEqual(built);
    expect(fs.statSync(zip).mtimeMs).toBe(before);
  });
});

describe('the input key', () => {
  test('changes with modelfleet\'s own version (the bundles report it), and only then when nothing else changes', () => {
    const real = packageRoot();
    const root = fs.mkdtempSync(path.join(tmp(), 'key-'));
    try {
      fs.mkdirSync(path.join(root, 'constructs', 'greengrass', 'components'), { recursive: true });
      fs.mkdirSync(path.join(root, 'scripts'));
      fs.symlinkSync(path.join(real, 'node_modules'), path.join(root, 'node_modules'));
      fs.symlinkSync(path.join(real, 'edge'), path.join(root, 'edge'));
      fs.symlinkSync(path.join(real, 'constructs', 'greengrass', 'components', 'device'), path.join(root, 'constructs', 'greengrass', 'components', 'device'));
      fs.copyFileSync(path.join(real, 'scripts', 'build-edge-artifacts.ts'), path.join(root, 'scripts', 'build-edge-artifacts.ts'));
      const write = (version: string) => fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'modelfleet', version }));
      write('1.0.0');
      const a = edgeArtifactsInputKey(root);
      expect(edgeArtifactsInputKey(root)).toBe(a);
      write('1.0.1');
      expect(edgeArtifactsInputKey(root)).not.toBe(a);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the package layout', () => {
  test('the manifest names folders relative to dist/edge-artifacts, each holding only its zip, plus the image context', () => {
    const dir = defaultArtifactsDir();
    expect(dir).toBe(path.join(packageRoot(), 'dist', 'edge-artifacts'));
    for (const platform of ['linux-arm64', 'linux-x64'] as const) {
      const entry = built.runtime[platform];
      expect(path.isAbsolute(entry.directory)).toBe(false);
      expect(fs.readdirSync(path.join(dir, entry.directory))).toEqual([`modelfleet-edge-${platform}.zip`]);
    }
    expect(fs.readdirSync(path.join(dir, 'serving-image')).sort()).toEqual(['Dockerfile', 'unzip.js']);
    expect(fs.readFileSync(path.join(dir, 'serving-image', 'Dockerfile'), 'utf8'))
      .toBe(fs.readFileSync(path.join(packageRoot(), 'edge', 'Dockerfile'), 'utf8'));
  });
});

describe('the runtime bundle, as shipped (linux-x64, run here)', () => {
  test('GET /v2 and --version report package.json\'s version (the zip carries no package.json)', async () => {
    const dir = path.join(tmp(), 'runtime-x64');
    const files = unzipPlain(zipOf('linux-x64'), dir).map((f) => path.relative(dir, f));
    expect(files).not.toContain('package.json');
    const want = (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
    const cli = path.join(dir, 'cli.js');
    const version = spawnSync(process.execPath, [cli, '--version'], { cwd: dir, encoding: 'utf8' });
    expect(version.stdout).toBe(`${want}\n`);
    const child = spawn(process.execPath, [cli, 'serve', '--model', IRIS_MODEL, '--port', '0', '--threads', '1'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          for (const line of out.split('\n').slice(0, -1)) {
            const o = JSON.parse(line) as { event?: string; url?: string };
            if (o.event === 'ready' && o.url) resolve(o.url);
          }
        });
        child.on('exit', (code) => reject(new Error(`the runtime exited (${code}) before ready: ${out}`)));
      });
      const res = await fetch(`${url}/v2`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { version: string }).version).toBe(want);
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);
});

describe('wait-ready.js (the Install step\'s readiness gate, as shipped)', () => {
  let script: string;
  beforeAll(() => {
    const dir = path.join(tmp(), 'unzipped');
    unzipPlain(zipOf('linux-x64'), dir);
    script = path.join(dir, 'wait-ready.js');
  });

  const run = (args: string[]): Promise<{ code: number | null; out: string }> => new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', (code) => resolve({ code, out }));
  });

  test('exits 0 once /v2/health/ready answers 200', async () => {
    let calls = 0;
    const server = http.createServer((req, res) => {
      calls += 1;
      res.statusCode = req.url === '/v2/health/ready' && calls > 2 ? 200 : 503;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const result = await run(['0.0.0.0', String(port), '30']);
      expect(result).toEqual({ code: 0, out: `modelfleet: ready at http://127.0.0.1:${port}/v2/health/ready\n` });
    } finally {
      server.close();
    }
  });

  test('fails as soon as the server process is gone', async () => {
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.on('close', r));
    const result = await run(['127.0.0.1', '9', '60', String(gone.pid)]);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`the server (pid ${gone.pid}) exited`);
  });

  test('fails with a usage message on bad arguments', async () => {
    expect((await run(['127.0.0.1', 'port', '5'])).code).toBe(2);
  });
});
