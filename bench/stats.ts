/**
 * Pure statistics and target-checking helpers of the benchmark harness.
 *
 * Nothing here measures time or touches a process: the callers hand in numbers, so the helpers can be tested exactly.
 */

/** A latency distribution and the throughput of one measured phase. */
export interface LatencySummary {
  /** Number of latency samples. */
  readonly count: number;
  readonly minMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
  /** Items (rows of the batch axis) completed per second over the measured window. */
  readonly itemsPerSec: number;
  /** Requests (or `session.run` calls) completed per second over the measured window. */
  readonly requestsPerSec: number;
}

/**
 * The p-th percentile (0 ≤ p ≤ 100) of the values, by linear interpolation between the closest ranks
 * (the definition numpy uses by default: position `p/100 × (n − 1)` in the sorted values).
 * `sorted` must be sorted ascending; use {@link percentileOf} for unsorted input.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!Number.isFinite(p) || p < 0 || p > 100) {
    throw new RangeError(`percentile must be between 0 and 100, got ${p}`);
  }
  const n = sorted.length;
  if (n === 0) {
    return Number.NaN;
  }
  const pos = (p / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const frac = pos - lo;
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

/** Sorts a copy of the values ascending (numerically) and returns it as a Float64Array. */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  const copy = Float64Array.from(values);
  copy.sort();
  return copy;
}

/** The p-th percentile of unsorted values (see {@link percentile}). */
export function percentileOf(values: ArrayLike<number>, p: number): number {
  return percentile(sortedCopy(values), p);
}

/** The median of unsorted values. */
export function median(values: ArrayLike<number>): number {
  return percentileOf(values, 50);
}

/**
 * Summarises latency samples (milliseconds) taken over a window of `windowMs` milliseconds in which `requests`
 * requests carrying `itemsPerRequest` items each completed.
 */
export function summarize(latenciesMs: ArrayLike<number>, windowMs: number, itemsPerRequest = 1, requests = latenciesMs.length): LatencySummary {
  const sorted = sortedCopy(latenciesMs);
  let sum = 0;
  for (const v of sorted) {
    sum += v;
  }
  const n = sorted.length;
  const perSec = windowMs > 0 ? (requests * 1000) / windowMs : Number.NaN;
  return {
    count: n,
    minMs: n > 0 ? sorted[0] : Number.NaN,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: n > 0 ? sorted[n - 1] : Number.NaN,
    meanMs: n > 0 ? sum / n : Number.NaN,
    requestsPerSec: perSec,
    itemsPerSec: perSec * itemsPerRequest,
  };
}

/** Least-squares slope of y over x (units of y per unit of x); NaN with fewer than two distinct x. */
export function linearSlope(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  if (xs.length !== ys.length) {
    throw new RangeError(`xs and ys must have the same length, got ${xs.length} and ${ys.length}`);
  }
  const n = xs.length;
  if (n < 2) {
    return Number.NaN;
  }
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i];
    my += ys[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

/** A memory sample of a soak: seconds since the soak started, resident set size in bytes. */
export interface RssSample {
  readonly tSec: number;
  readonly rssBytes: number;
}

/** How the resident set size moved over a soak. */
export interface RssGrowth {
  /** Lowest RSS of the first quarter of the samples kept (after the warm-up fraction), in MB: the floor after GC. */
  readonly startMb: number;
  /** Lowest RSS of the last quarter of the samples kept, in MB. */
  readonly endMb: number;
  /** `endMb - startMb`. */
  readonly growthMb: number;
  /** Least-squares slope over the samples kept, in MB per minute. */
  readonly slopeMbPerMin: number;
  readonly maxMb: number;
  readonly samples: number;
}

const MB = 1024 * 1024;

/**
 * Measures RSS growth over a soak: drops the first `warmupFraction` of the samples (allocators and JIT settle),
 * then compares the floor (lowest sample) of the last quarter of what remains with the floor of its first quarter.
 * Between collections a busy server's RSS wanders up and down by several MB (plateaus while buffers are in flight),
 * so peaks and even medians drift without a leak; what a leak raises is the floor the process returns to.
 */
export function rssGrowth(samples: readonly RssSample[], warmupFraction = 0.1): RssGrowth {
  const kept = samples.slice(Math.floor(samples.length * warmupFraction));
  if (kept.length === 0) {
    return { startMb: Number.NaN, endMb: Number.NaN, growthMb: Number.NaN, slopeMbPerMin: Number.NaN, maxMb: Number.NaN, samples: 0 };
  }
  const quarter = Math.max(1, Math.floor(kept.length / 4));
  const startMb = Math.min(...kept.slice(0, quarter).map((s) => s.rssBytes)) / MB;
  const endMb = Math.min(...kept.slice(kept.length - quarter).map((s) => s.rssBytes)) / MB;
  const slopePerSec = linearSlope(kept.map((s) => s.tSec), kept.map((s) => s.rssBytes / MB));
  return {
    startMb,
    endMb,
    growthMb: endMb - startMb,
    slopeMbPerMin: slopePerSec * 60,
    maxMb: Math.max(...kept.map((s) => s.rssBytes)) / MB,
    samples: kept.length,
  };
}

/** Converts bytes to mebibytes. */
export function toMb(bytes: number): number {
  return bytes / MB;
}

/** One benchmark target: `actual` compared with `limit`, where the limit is derived from a reference number. */
export interface TargetCheck {
  /** Stable short id, e.g. `c1-binary-p50`. */
  readonly id: string;
  /** The model the check was made on. */
  readonly model: string;
  /** Human-readable statement of the target, e.g. `concurrency 1 binary p50 ≤ 1.15 × raw batch-1 p50`. */
  readonly description: string;
  readonly actual: number;
  readonly limit: number;
  /** `actual / reference` (or `actual - reference` for additive targets), to print next to the target factor. */
  readonly ratio: number;
  readonly unit: string;
  /** `pass`, `fail`, or `n/a` when a number is missing (a phase was skipped or failed). */
  readonly verdict: 'pass' | 'fail' | 'n/a';
  /** Why the verdict needs reading with care (for example, a model so fast that the ratio measures HTTP). */
  readonly note?: string;
}

function verdictOf(actual: number, limit: number, atMost: boolean): 'pass' | 'fail' | 'n/a' {
  if (!Number.isFinite(actual) || !Number.isFinite(limit)) {
    return 'n/a';
  }
  return (atMost ? actual <= limit : actual >= limit) ? 'pass' : 'fail';
}

/** A target of the form `actual ≤ factor × reference` (latency) — ratio is `actual / reference`. */
export function checkAtMostTimes(id: string, model: string, description: string, actual: number, reference: number, factor: number, unit: string): TargetCheck {
  const limit = reference * factor;
  return { id, model, description, actual, limit, ratio: actual / reference, unit, verdict: verdictOf(actual, limit, true) };
}

/** A target of the form `actual ≥ factor × reference` (throughput) — ratio is `actual / reference`. */
export function checkAtLeastTimes(id: string, model: string, description: string, actual: number, reference: number, factor: number, unit: string): TargetCheck {
  const limit = reference * factor;
  return { id, model, description, actual, limit, ratio: actual / reference, unit, verdict: verdictOf(actual, limit, false) };
}

/** A target of the form `actual ≤ reference + allowance` (cold start, memory) — ratio is `actual - reference`. */
export function checkAtMostPlus(id: string, model: string, description: string, actual: number, reference: number, allowance: number, unit: string): TargetCheck {
  const limit = reference + allowance;
  return { id, model, description, actual, limit, ratio: actual - reference, unit, verdict: verdictOf(actual, limit, true) };
}

/** A target of the form `actual ≤ limit` (absolute) — ratio is `actual / limit`. */
export function checkAtMost(id: string, model: string, description: string, actual: number, limit: number, unit: string): TargetCheck {
  return { id, model, description, actual, limit, ratio: actual / limit, unit, verdict: verdictOf(actual, limit, true) };
}

/**
 * A target is not met when the measurement behind it had failures (error responses, failed probes): the verdict
 * becomes `fail` with a note, whatever the numbers of the successful requests say (also when they are missing).
 */
export function failOnErrors(check: TargetCheck, errors: number, what: string): TargetCheck {
  if (errors <= 0) {
    return check;
  }
  const note = `${errors} ${what} failed`;
  return { ...check, verdict: 'fail', note: check.note === undefined ? note : `${check.note}; ${note}` };
}

/** Formats a number for a table cell: `-` when missing, fewer decimals as it grows. */
export function fmt(value: number | undefined, decimals?: number): string {
  if (value === undefined || !Number.isFinite(value)) {
    return '-';
  }
  const a = Math.abs(value);
  const d = decimals ?? (a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 || a === 0 ? 2 : 3);
  return value.toFixed(d);
}

/** Renders rows as a Markdown table (also readable as plain text). The first row is the header. */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) {
    return '';
  }
  const cols = Math.max(...rows.map((r) => r.length));
  const widths: number[] = [];
  for (let c = 0; c < cols; c++) {
    widths.push(Math.max(3, ...rows.map((r) => (r[c] ?? '').length)));
  }
  const line = (r: readonly string[]): string => `| ${widths.map((w, c) => (r[c] ?? '').padEnd(w)).join(' | ')} |`;
  const sep = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(rows[0]), sep, ...rows.slice(1).map(line)].join('\n');
}
