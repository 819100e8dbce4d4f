/** Prometheus metrics (prom-client), one registry per runtime. Names start with modelfleet_edge_. */
import type * as Prom from 'prom-client';
import { bodyBuffers } from './model/buffer-pool';
import type { SchedulerObserver } from './model/instance';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];

export class EdgeMetrics implements SchedulerObserver {
  public readonly registry: Prom.Registry;
  public readonly requests: Prom.Counter<'route' | 'status' | 'code'>;
  public readonly requestDuration: Prom.Histogram<'route'>;
  public readonly queueWaitSeconds: Prom.Histogram;
  public readonly inferenceSeconds: Prom.Histogram;
  public readonly batchRows: Prom.Histogram;
  public readonly batchRequests: Prom.Histogram;
  public readonly inflight: Prom.Gauge;
  public readonly queued: Prom.Gauge;
  public readonly modelInfo: Prom.Gauge<'name' | 'version' | 'sha256'>;
  public readonly modelLoadFailures: Prom.Counter<'code'>;
  public readonly modelSwaps: Prom.Counter;
  public readonly workerCrashes: Prom.Counter;
  public readonly modelLoadSeconds: Prom.Gauge;
  /** Connections closed by the runtime to stay under --max-connections (`evicted`) or refused at it (`refused`). */
  public readonly connectionsShed: Prom.Counter<'reason'>;
  /** Open connections and bytes of request bodies held, read from the HTTP layer at scrape time (see watchHttp). */
  private http?: { readonly connections: number; readonly inflightBodyBytes: number };

  constructor() {
    // required here, not at import: prom-client takes ~100 ms to load, the session workers start first (runtime.ts)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const prom = require('prom-client') as typeof Prom;
    this.registry = new prom.Registry();
    this.requests = new prom.Counter({
      name: 'modelfleet_edge_requests_total', help: 'HTTP requests by route, status and error code ("" when none)',
      labelNames: ['route', 'status', 'code'] as const, registers: [this.registry],
    });
    this.requestDuration = new prom.Histogram({
      name: 'modelfleet_edge_request_duration_seconds', help: 'Total time from request start to response end, by route',
      labelNames: ['route'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry],
    });
    this.queueWaitSeconds = new prom.Histogram({
      name: 'modelfleet_edge_queue_wait_seconds', help: 'Time a request waited in the batching queue',
      buckets: LATENCY_BUCKETS, registers: [this.registry],
    });
    this.inferenceSeconds = new prom.Histogram({
      name: 'modelfleet_edge_inference_duration_seconds', help: 'Time of one batch inside the session worker (join, run, split, encode)',
      buckets: LATENCY_BUCKETS, registers: [this.registry],
    });
    this.batchRows = new prom.Histogram({
      name: 'modelfleet_edge_batch_size', help: 'Rows (axis 0) per session run',
      buckets: [1, 2, 3, 4, 6, 8, 12, 16, 32, 64, 128], registers: [this.registry],
    });
    this.batchRequests = new prom.Histogram({
      name: 'modelfleet_edge_batch_requests', help: 'Requests joined per session run',
      buckets: [1, 2, 3, 4, 6, 8, 12, 16, 32, 64], registers: [this.registry],
    });
    this.inflight = new prom.Gauge({
      name: 'modelfleet_edge_inflight_requests', help: 'Requests running in a session worker', registers: [this.registry],
    });
    this.queued = new prom.Gauge({
      name: 'modelfleet_edge_queued_requests', help: 'Requests waiting in the batching queue', registers: [this.registry],
    });
    this.modelInfo = new prom.Gauge({
      name: 'modelfleet_edge_model_info', help: 'The model being served (value 1)',
      labelNames: ['name', 'version', 'sha256'] as const, registers: [this.registry],
    });
    this.modelLoadFailures = new prom.Counter({
      name: 'modelfleet_edge_model_load_failures_total', help: 'Model loads or hot swaps that failed, by error code',
      labelNames: ['code'] as const, registers: [this.registry],
    });
    this.modelSwaps = new prom.Counter({
      name: 'modelfleet_edge_model_swaps_total', help: 'Successful hot swaps', registers: [this.registry],
    });
    this.workerCrashes = new prom.Counter({
      name: 'modelfleet_edge_worker_crashes_total', help: 'Session workers that died and were restarted', registers: [this.registry],
    });
    this.modelLoadSeconds = new prom.Gauge({
      name: 'modelfleet_edge_model_load_seconds', help: 'Session create plus warm-up time of the current model', registers: [this.registry],
    });
    new prom.Gauge({
      name: 'modelfleet_edge_body_buffers', help: 'Request bodies read into a reused buffer or a new one (counts), and bytes kept for reuse',
      labelNames: ['what'] as const, registers: [this.registry],
      collect() {
        this.labels('reused').set(bodyBuffers.reused);
        this.labels('new').set(bodyBuffers.allocated);
        this.labels('pooled_bytes').set(bodyBuffers.bytes);
      },
    });
    this.connectionsShed = new prom.Counter({
      name: 'modelfleet_edge_connections_shed_total', help: 'Connections closed to stay under --max-connections (evicted: had no request in progress) or refused at it',
      labelNames: ['reason'] as const, registers: [this.registry],
    });
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    new prom.Gauge({
      name: 'modelfleet_edge_open_connections', help: 'Open HTTP connections', registers: [this.registry],
      collect() {
        this.set(self.http?.connections ?? 0);
      },
    });
    new prom.Gauge({
      name: 'modelfleet_edge_inflight_body_bytes', help: 'Bytes of request bodies held now (counted against --max-inflight-body-mb)', registers: [this.registry],
      collect() {
        this.set(self.http?.inflightBodyBytes ?? 0);
      },
    });
    prom.collectDefaultMetrics({ register: this.registry, prefix: 'modelfleet_edge_' });
  }

  /** Reports the HTTP layer's open connections and body bytes at each scrape. */
  public watchHttp(http: { readonly connections: number; readonly inflightBodyBytes: number }): void {
    this.http = http;
  }

  public queueWait(seconds: number): void {
    this.queueWaitSeconds.observe(seconds);
  }

  public batch(rows: number, requests: number, inferSeconds: number): void {
    this.batchRows.observe(rows);
    this.batchRequests.observe(requests);
    this.inferenceSeconds.observe(inferSeconds);
  }

  public depth(queued: number, running: number): void {
    this.queued.set(queued);
    this.inflight.set(running);
  }

  public workerCrash(): void {
    this.workerCrashes.inc();
  }

  public setModel(name: string, version: string, sha256: string): void {
    this.modelInfo.reset();
    this.modelInfo.labels(name, version, sha256).set(1);
  }
}
