/**
 * The version history of a fleet's models: a small JSON file (commit it, like cdk.context.json) that records, for
 * every version a synth deployed, the facts a later rollback needs without the model's bytes: sha256, size, the
 * exact `contract.json` and the golden request and response.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GoldenDocument } from './golden';

/** One recorded version, as the fleet uses it. */
export interface HistoryEntry {
  readonly sha256: string;
  readonly sizeBytes: number;
  /** The exact text of `contract.json` in the store. */
  readonly contractJson: string;
  /** The golden document, when it was small enough to record. */
  readonly golden?: GoldenDocument;
}

/** One recorded version, as the file holds it: the contract as an object when its text is the standard rendering. */
interface StoredEntry {
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly contract?: unknown;
  readonly contractJson?: string;
  readonly golden?: GoldenDocument;
}

/** The store writes `contract.json` as `JSON.stringify(doc, undefined, 2)` plus a newline. */
function renderContract(contract: unknown): string {
  return JSON.stringify(contract, undefined, 2) + '\n';
}

function toStored(entry: HistoryEntry): StoredEntry {
  const contract = JSON.parse(entry.contractJson) as unknown;
  const standard = renderContract(contract) === entry.contractJson;
  return {
    sha256: entry.sha256,
    sizeBytes: entry.sizeBytes,
    ...(standard ? { contract } : { contractJson: entry.contractJson }),
    ...(entry.golden ? { golden: entry.golden } : {}),
  };
}

function fromStored(stored: StoredEntry): HistoryEntry {
  return {
    sha256: stored.sha256,
    sizeBytes: stored.sizeBytes,
    contractJson: stored.contractJson ?? renderContract(stored.contract),
    golden: stored.golden,
  };
}

interface HistoryDocument {
  schemaVersion: number;
  models: Record<string, Record<string, StoredEntry>>;
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
  const models: Record<string, Record<string, StoredEntry>> = {};
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
  const stored = load(file).models[model]?.[version];
  return stored ? fromStored(stored) : undefined;
}

/** Records a deployed version; the file is written only when its content changes. Returns whether it changed. */
export function recordVersion(file: string, model: string, version: string, entry: HistoryEntry): boolean {
  const doc = load(file);
  const golden = entry.golden && JSON.stringify(entry.golden).length <= MAX_RECORDED_GOLDEN_CHARS ? entry.golden : undefined;
  const next = toStored({ ...entry, golden });
  const before = doc.models[model]?.[version];
  if (before && JSON.stringify(before) === JSON.stringify(next)) return false;
  doc.models[model] = { ...(doc.models[model] ?? {}), [version]: next };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, render(doc));
  return true;
}

/** The file name of a version's history entry in the cloud assembly, beside its golden.json. */
export const HISTORY_ENTRY_FILE = 'history-entry.json';

/** A version's history entry as the assembly holds it: what `modelfleet history record` adds to the history file. */
export interface AssemblyHistoryEntry extends HistoryEntry {
  readonly model: string;
  readonly version: string;
}

/** The JSON text of a version's assembly entry. */
export function historyEntryDocument(model: string, version: string, entry: HistoryEntry): string {
  const golden = entry.golden && JSON.stringify(entry.golden).length <= MAX_RECORDED_GOLDEN_CHARS ? entry.golden : undefined;
  return JSON.stringify({ modelfleetHistoryEntry: 1, model, version, ...entry, golden }, undefined, 2) + '\n';
}

/** Every history entry a cloud assembly holds (nested stage assemblies included), sorted by model and version. */
export function assemblyHistoryEntries(assemblyDir: string): AssemblyHistoryEntry[] {
  const found: AssemblyHistoryEntry[] = [];
  const walk = (dir: string, depth: number): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && depth < 6 && !entry.name.startsWith('asset.')) walk(full, depth + 1);
      else if (entry.isFile() && entry.name === HISTORY_ENTRY_FILE) {
        const doc = JSON.parse(fs.readFileSync(full, 'utf8')) as AssemblyHistoryEntry & { modelfleetHistoryEntry?: number };
        if (doc.modelfleetHistoryEntry === 1) {
          found.push({ model: doc.model, version: doc.version, sha256: doc.sha256, sizeBytes: doc.sizeBytes,
            contractJson: doc.contractJson, golden: doc.golden });
        }
      }
    }
  };
  walk(assemblyDir, 0);
  return found.sort((a, b) => (a.model + '\0' + a.version < b.model + '\0' + b.version ? -1 : 1));
}

/** Forgets what was loaded (tests). */
export function resetHistoryCache(): void {
  loaded.clear();
}
