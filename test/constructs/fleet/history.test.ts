import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GoldenDocument } from '../../../constructs/fleet/private/golden';
import {
  MAX_RECORDED_GOLDEN_CHARS, recordedVersion, recordedVersions, recordVersion, resetHistoryCache,
} from '../../../constructs/fleet/private/history';

const CONTRACT = { schemaVersion: 1, name: 'iris', version: 'aaa', inputs: [], outputs: [] };
const STANDARD = JSON.stringify(CONTRACT, undefined, 2) + '\n';

let file: string;
beforeEach(() => {
  resetHistoryCache();
  file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'history-')), 'sub', 'modelfleet.history.json');
});

function golden(size: number): GoldenDocument {
  return {
    model: 'iris', version: 'aaa', tolerance: 1e-5,
    request: { inputs: [{ name: 'x', datatype: 'FP32', shape: [size], data: Array.from({ length: size }, () => 0.5) }] },
    response: { model_name: 'iris', outputs: [] },
  };
}

describe('version history', () => {
  test('gives back exactly what was recorded, after a new process reads the file', () => {
    recordVersion(file, 'iris', 'bbb', { sha256: 'b'.repeat(64), sizeBytes: 2, contractJson: STANDARD, golden: golden(4) });
    recordVersion(file, 'iris', 'aaa', { sha256: 'a'.repeat(64), sizeBytes: 1, contractJson: STANDARD });
    resetHistoryCache();
    expect(recordedVersions(file, 'iris')).toEqual(['aaa', 'bbb']);
    expect(recordedVersion(file, 'iris', 'bbb')).toEqual({
      sha256: 'b'.repeat(64), sizeBytes: 2, contractJson: STANDARD, golden: golden(4),
    });
    expect(recordedVersion(file, 'iris', 'ccc')).toBeUndefined();
    expect(recordedVersions(file, 'wine')).toEqual([]);
  });

  test('keeps a contract text that is not the standard rendering verbatim', () => {
    const compact = JSON.stringify(CONTRACT);
    recordVersion(file, 'iris', 'aaa', { sha256: 'a'.repeat(64), sizeBytes: 1, contractJson: compact });
    resetHistoryCache();
    expect(recordedVersion(file, 'iris', 'aaa')!.contractJson).toBe(compact);
  });

  test('records the contract as an object and leaves out golden documents that are too large', () => {
    const big = golden(Math.ceil(MAX_RECORDED_GOLDEN_CHARS / 4));
    recordVersion(file, 'iris', 'aaa', { sha256: 'a'.repeat(64), sizeBytes: 1, contractJson: STANDARD, golden: big });
    const written = JSON.parse(fs.readFileSync(file, 'utf8')) as { models: { iris: { aaa: Record<string, unknown> } } };
    expect(written.models.iris.aaa.contract).toEqual(CONTRACT);
    expect(written.models.iris.aaa.golden).toBeUndefined();
  });

  test('does not rewrite the file when nothing changed', () => {
    recordVersion(file, 'iris', 'aaa', { sha256: 'a'.repeat(64), sizeBytes: 1, contractJson: STANDARD });
    const past = new Date(2000, 0, 1);
    fs.utimesSync(file, past, past);
    recordVersion(file, 'iris', 'aaa', { sha256: 'a'.repeat(64), sizeBytes: 1, contractJson: STANDARD });
    expect(fs.statSync(file).mtime.getTime()).toBe(past.getTime());
  });
});
