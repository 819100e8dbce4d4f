/**
 * The version history of a fleet's models: a small JSON file (commit it, like cdk.context.json) that records, for
 * every version a synth deployed, the facts a later rollback needs without the model's bytes: sha256, size, the
 * exact `contract.json` and the golden request and response.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GoldenDocument } from './golden';

/** One recorded version. */
export interface HistoryEntry {
  readonly sha256: string;
  readonly sizeBytes: number;
  /** The exact text of `contract.json` in the store. */
  readonly contractJson: string;
  /** The golden document, when it was small enough to record. */
  readonly golden?: GoldenDocument;
}

interface HistoryDocument {
  schemaVersion: number;
  models: Record<string, Record<string, HistoryEntry>>;
}

/** Golden documents larger than this (JSON characters) are not recorded: the store keeps them. */
export const MAX_RECORDED_GOLDEN_CHARS = 64 * 1024;

const loaded = new Map<string, HistoryDocument>();

function load(file: string): HistoryDocument {
  const cached = loaded.get(file);
  if (cached) return cached;
  let doc: HistoryDocument = { schemaVersion: 1, models: {} };
  if (fs.existsSync(file)) {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as HistoryDocument;
    if (parsed && typeof parsed.models === 'object' && parsed.models !== null) doc = parsed;
  }
  loaded.set(file, doc);
  return doc;
}

function render(doc: HistoryDocument): string {
  const models: Record<string, Record<string, HistoryEntry>> = {};
  for (const name of Object.keys(doc.models).sort()) {
    models[name] = {};
    for (const version of Object.keys(doc.models[name]).sort()) {
      models[name][version] = doc.models[name][version];
    }
  }
  return JSON.stringify({ schemaVersion: 1, models }, undefined, 2) + '\n';
}

/** The recorded versions of a model (empty when none). */
export function recordedVersions(file: string, model: string): string[] {
  return Object.keys(load(file).models[model] ?? {}).sort();
}

/** The recorded facts of a model version. */
export function recordedVersion(file: string, model: string, version: string): HistoryEntry | undefined {
  return load(file).models[model]?.[version];
}

/** Records a deployed version; the file is written only when its content changes. */
export function recordVersion(file: string, model: string, version: string, entry: HistoryEntry): void {
  const doc = load(file);
  const golden = entry.golden && JSON.stringify(entry.golden).length <= MAX_RECORDED_GOLDEN_CHARS ? entry.golden : undefined;
  const next: HistoryEntry = { ...entry, golden };
  const before = doc.models[model]?.[version];
  if (before && JSON.stringify(before) === JSON.stringify(next)) return;
  doc.models[model] = { ...(doc.models[model] ?? {}), [version]: next };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, render(doc));
}

/** Forgets what was loaded (tests). */
export function resetHistoryCache(): void {
  loaded.clear();
}
