/**
 * A small, strict zip extractor with no dependencies, for the runtime zips this package builds (stored or deflated
 * entries, no zip64, no encryption). It runs in three places: the serving image's build stage (as `unzip.js`, with
 * the image's own Node), `modelfleet-edge` unpacking the host's runtime, and the tests.
 *
 * Usage as a script: node unzip.js <file.zip> <destination folder>
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

/** One entry of a zip: its name and its uncompressed bytes. */
export interface ZipFileEntry {
  readonly name: string;
  readonly data: Buffer;
}

/** Reads every file entry of a zip held in memory. Throws naming the problem for anything it does not support. */
export function readZip(zip: Buffer, label = 'zip'): ZipFileEntry[] {
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error(`${label}: not a zip (no end of central directory)`);
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: ZipFileEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${label}: bad central directory entry ${i}`);
    const flags = zip.readUInt16LE(offset + 8);
    const method = zip.readUInt16LE(offset + 10);
    const compressed = zip.readUInt32LE(offset + 20);
    const size = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    const name = zip.subarray(offset + 46, offset + 46 + nameLength).toString('utf8');
    offset += 46 + nameLength + extraLength + commentLength;
    if (flags & 0x1) throw new Error(`${label}: ${name} is encrypted`);
    if (compressed === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) throw new Error(`${label}: ${name} needs zip64`);
    if (name.endsWith('/')) continue;
    if (name.startsWith('/') || name.split('/').includes('..') || name.includes('\\')) {
      throw new Error(`${label}: refusing the entry name ${JSON.stringify(name)} (absolute or leaves the folder)`);
    }
    if (zip.readUInt32LE(localOffset) !== 0x04034b50) throw new Error(`${label}: bad local header for ${name}`);
    const start = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const raw = zip.subarray(start, start + compressed);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = zlib.inflateRawSync(raw);
    else throw new Error(`${label}: ${name} uses compression method ${method} (only stored and deflate are read)`);
    if (data.length !== size) throw new Error(`${label}: ${name} is ${data.length} bytes, the directory says ${size}`);
    entries.push({ name, data });
  }
  return entries;
}

/**
 * Extracts a zip file into `destination` (created; existing files are overwritten). Files are written 0644 (the
 * runtime zips hold JavaScript, JSON and shared libraries, none of which needs the execute bit).
 */
export function extractZip(file: string, destination: string): string[] {
  const entries = readZip(fs.readFileSync(file), file);
  const names: string[] = [];
  for (const entry of entries) {
    const target = path.join(destination, ...entry.name.split('/'));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, entry.data, { mode: 0o644 });
    names.push(entry.name);
  }
  return names;
}

if (require.main === module) {
  const [file, destination] = process.argv.slice(2);
  if (!file || !destination) {
    process.stderr.write('usage: node unzip.js <file.zip> <destination folder>\n');
    process.exit(2);
  }
  try {
    const names = extractZip(file, destination);
    process.stdout.write(`unzip: ${names.length} files from ${file} into ${destination}\n`);
  } catch (err) {
    process.stderr.write(`unzip: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
