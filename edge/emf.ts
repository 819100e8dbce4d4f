/**
 * CloudWatch embedded metric format (EMF) lines, one per interval, appended to a file that Greengrass's log manager
 * component uploads to CloudWatch Logs, where CloudWatch turns them into metrics (no PutMetricData permission on the
 * device, and the device writes only its own log stream).
 *
 * Each line holds the interval's inference requests, server errors (5xx), client errors (4xx), p50 and p99 request
 * latency (from the request duration histogram, interpolated inside a bucket as Prometheus's histogram_quantile does)
 * and `Reports: 1`, with the dimensions [Model] and [Model, Device]; the model version is a property (searchable in
 * CloudWatch Logs Insights, not a dimension: a new version does not start new metrics).
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EdgeConfig } from './config';
import type { Logger } from './log';
import type { EdgeMetrics } from './metrics';

export const EMF_NAMESPACE = 'modelfleet/Edge';
/** Rotate the file past this size; the log manager deletes uploaded rotated files. */
const ROTATE_BYTES = 256 * 1024;
const INFER_ROUTES = new Set(['infer', 'invocations']);

interface Snapshot {
  requests: number;
  serverErrors: number;
  clientErrors: number;
  /** Cumulative counts per bucket upper bound (+Inf last). */
  buckets: Array<[number, number]>;
}

/** The φ-quantile of a histogram given as cumulative bucket counts, in the buckets' unit. */
export function histogramQuantile(q: number, buckets: Array<[number, number]>): number | undefined {
  const total = buckets.length ? buckets[buckets.length - 1][1] : 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(bound)) return prevBound; // in +Inf: the highest finite bound, as Prometheus answers
      return prevBound + (bound - prevBound) * ((rank - prevCount) / Math.max(1e-12, count - prevCount));
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}

export class EmfReporter {
  private previous?: Snapshot;
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private readonly file: string;
  private readonly device: string;

  constructor(private readonly config: EdgeConfig, private readonly metrics: EdgeMetrics, private readonly log: Logger) {
    this.file = config.emfFile!;
    this.device = config.emfDevice ?? os.hostname();
  }

  public async start(): Promise<void> {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    this.previous = await this.snapshot();
    this.timer = setInterval(() => { this.writing = this.writing.then(() => this.report()); }, this.config.emfIntervalMs);
    this.timer.unref();
  }

  /** Writes the last, partial interval and stops. */
  public async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.writing;
    await this.report();
  }

  /** One EMF line for the interval since the previous one (exported for tests). */
  public async line(now = Date.now()): Promise<string> {
    const current = await this.snapshot();
    const prev = this.previous ?? { requests: 0, serverErrors: 0, clientErrors: 0, buckets: current.buckets.map(([b]) => [b, 0] as [number, number]) };
    this.previous = current;
    const delta = current.buckets.map(([bound, count], i) => [bound, count - (prev.buckets[i]?.[1] ?? 0)] as [number, number]);
    const ms = (v: number | undefined) => (v === undefined ? undefined : Math.round(v * 1e6) / 1e3);
    const model = (await this.metrics.modelInfo.get()).values.find((v) => v.value === 1)?.labels ?? {};
    const values: Record<string, number> = {
      Requests: current.requests - prev.requests,
      Errors: current.serverErrors - prev.serverErrors,
      ClientErrors: current.clientErrors - prev.clientErrors,
      Reports: 1,
    };
    const p50 = ms(histogramQuantile(0.5, delta));
    const p99 = ms(histogramQuantile(0.99, delta));
    const metrics = [
      { Name: 'Requests', Unit: 'Count' }, { Name: 'Errors', Unit: 'Count' }, { Name: 'ClientErrors', Unit: 'Count' },
      { Name: 'Reports', Unit: 'Count' },
    ];
    if (p50 !== undefined && p99 !== undefined) {
      values.LatencyP50 = p50;
      values.LatencyP99 = p99;
      metrics.push({ Name: 'LatencyP50', Unit: 'Milliseconds' }, { Name: 'LatencyP99', Unit: 'Milliseconds' });
    }
    return JSON.stringify({
      _aws: { Timestamp: now, CloudWatchMetrics: [{ Namespace: EMF_NAMESPACE, Dimensions: [['Model'], ['Model', 'Device']], Metrics: metrics }] },
      Model: String(model.name ?? this.config.name ?? 'model'),
      Device: this.device,
      ModelVersion: String(model.version ?? ''),
      ...values,
    });
  }

  private async report(): Promise<void> {
    try {
      const line = await this.line();
      let size = 0;
      try {
        size = fs.statSync(this.file).size;
      } catch {
        size = 0;
      }
      if (size > ROTATE_BYTES) {
        const stamp = new Date().toISOString().slice(0, 16).replace(/[-T:]/g, '_');
        fs.renameSync(this.file, this.file.replace(/\.log$/, '') + `_${stamp}.log`);
      }
      fs.appendFileSync(this.file, `${line}\n`);
    } catch (e) {
      this.log.warn('emf_write_failed', { file: this.file, error: (e as Error).message });
    }
  }

  private async snapshot(): Promise<Snapshot> {
    let requests = 0;
    let serverErrors = 0;
    let clientErrors = 0;
    for (const v of (await this.metrics.requests.get()).values) {
      if (!INFER_ROUTES.has(String(v.labels.route))) continue;
      requests += v.value;
      const status = Number(v.labels.status);
      if (status >= 500) serverErrors += v.value;
      else if (status >= 400) clientErrors += v.value;
    }
    const sums = new Map<number, number>();
    for (const v of (await this.metrics.requestDuration.get()).values) {
      if (v.metricName !== 'modelfleet_edge_request_duration_seconds_bucket' || !INFER_ROUTES.has(String(v.labels.route))) continue;
      const raw = (v.labels as Record<string, string | number | undefined>).le;
      const le = raw === '+Inf' ? Infinity : Number(raw);
      sums.set(le, (sums.get(le) ?? 0) + v.value);
    }
    const buckets = [...sums.entries()].sort((a, b) => a[0] - b[0]);
    return { requests, serverErrors, clientErrors, buckets };
  }
}
