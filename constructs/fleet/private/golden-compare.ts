/**
 * Compares an inference answer with a golden response: the check `modelfleet verify` runs against every target.
 */
import { V2InferResponse, V2Tensor } from './golden';

/** At most this many differing elements are listed per output. */
const MAX_LISTED = 5;

/** Whether two values agree: numbers within `tolerance × max(1, |expected|)`, everything else exactly. */
export function valuesAgree(expected: unknown, actual: unknown, tolerance: number): boolean {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Number.isNaN(expected)) return Number.isNaN(actual);
    if (!Number.isFinite(expected)) return expected === actual;
    return Math.abs(expected - actual) <= tolerance * Math.max(1, Math.abs(expected));
  }
  if (typeof expected === 'boolean' && typeof actual === 'number') {
    return (expected ? 1 : 0) === actual;
  }
  return expected === actual;
}

function isTensorList(value: unknown): value is V2Tensor[] {
  return Array.isArray(value) && value.every((t) => typeof t === 'object' && t !== null && 'name' in t);
}

function flatten(data: unknown): unknown[] {
  // The protocol allows nested (row-major) arrays as well as flat ones.
  return Array.isArray(data) ? data.flat(Infinity) : [];
}

/**
 * The differences between a golden response and an answer, one readable line each (empty when they agree).
 * Only the golden outputs are checked: extra outputs in the answer are ignored.
 */
export function compareResponse(expected: V2InferResponse, actual: unknown, tolerance: number): string[] {
  const outputs = typeof actual === 'object' && actual !== null ? (actual as { outputs?: unknown }).outputs : undefined;
  if (!isTensorList(outputs)) {
    return [`the answer has no "outputs" list: ${JSON.stringify(actual)?.slice(0, 300)}`];
  }
  const diffs: string[] = [];
  for (const want of expected.outputs) {
    const got = outputs.find((t) => t.name === want.name);
    if (!got) {
      diffs.push(`output '${want.name}': missing (the answer has ${outputs.map((t) => `'${t.name}'`).join(', ') || 'none'})`);
      continue;
    }
    if (got.datatype !== want.datatype) {
      diffs.push(`output '${want.name}': datatype ${got.datatype}, expected ${want.datatype}`);
    }
    if (JSON.stringify(got.shape) !== JSON.stringify(want.shape)) {
      diffs.push(`output '${want.name}': shape [${(got.shape ?? []).join(', ')}], expected [${want.shape.join(', ')}]`);
    }
    const wantData = flatten(want.data);
    const gotData = flatten(got.data);
    if (gotData.length !== wantData.length) {
      diffs.push(`output '${want.name}': ${gotData.length} values, expected ${wantData.length}`);
      continue;
    }
    const bad: number[] = [];
    wantData.forEach((w, i) => {
      if (!valuesAgree(w, gotData[i], tolerance)) bad.push(i);
    });
    for (const i of bad.slice(0, MAX_LISTED)) {
      const w = wantData[i];
      const g = gotData[i];
      const delta = typeof w === 'number' && typeof g === 'number' ? ` (off by ${Math.abs(w - g).toExponential(2)})` : '';
      diffs.push(`output '${want.name}'[${i}]: got ${JSON.stringify(g)}, expected ${JSON.stringify(w)}${delta}`);
    }
    if (bad.length > MAX_LISTED) {
      diffs.push(`output '${want.name}': ${bad.length - MAX_LISTED} more values differ (${bad.length} of ${wantData.length})`);
    }
  }
  return diffs;
}
