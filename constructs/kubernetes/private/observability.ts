/**
 * The Grafana dashboard and the Prometheus alerting rules of the model server's `/metrics` (the names the runtime
 * exports, `modelfleet_edge_*`; `test/constructs/kubernetes/observability.test.ts` scrapes a running runtime and
 * checks that every metric a query names exists).
 */

const INFER = 'route=~"infer|invocations"';

/** The metric names the queries use (for the scrape test); `up` is Prometheus's own. */
export function queryMetricNames(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\b(modelfleet_edge_[a-z0-9_]+|up)\b/g)) names.add(m[1]);
  return [...names].sort();
}

interface Panel { title: string; type: string; unit: string; targets: Array<{ expr: string; legend: string }>; w?: number }

function panels(sel: string): Panel[] {
  const s = (extra = '') => `{${[sel, extra].filter(Boolean).join(',')}}`;
  const q = (metric: string, p: number, extra = '') =>
    `histogram_quantile(${p}, sum by (le) (rate(${metric}_bucket${s(extra)}[5m])))`;
  return [
    { title: 'Requests per second by status and error code', type: 'timeseries', unit: 'reqps', targets: [
      { expr: `sum by (status, code) (rate(modelfleet_edge_requests_total${s(INFER)}[5m]))`, legend: '{{status}} {{code}}' }] },
    { title: 'Share of requests answered 5xx', type: 'timeseries', unit: 'percentunit', targets: [
      { expr: `sum(rate(modelfleet_edge_requests_total${s(`${INFER},status=~"5.."`)}[5m])) / sum(rate(modelfleet_edge_requests_total${s(INFER)}[5m]))`, legend: '5xx' }] },
    { title: 'Request latency', type: 'timeseries', unit: 's', targets: [
      { expr: q('modelfleet_edge_request_duration_seconds', 0.5, INFER), legend: 'p50' },
      { expr: q('modelfleet_edge_request_duration_seconds', 0.99, INFER), legend: 'p99' }] },
    { title: 'Queue wait and inference time', type: 'timeseries', unit: 's', targets: [
      { expr: q('modelfleet_edge_queue_wait_seconds', 0.5), legend: 'queue wait p50' },
      { expr: q('modelfleet_edge_queue_wait_seconds', 0.99), legend: 'queue wait p99' },
      { expr: q('modelfleet_edge_inference_duration_seconds', 0.99), legend: 'inference p99' }] },
    { title: 'Batch size (rows and requests per run)', type: 'timeseries', unit: 'short', targets: [
      { expr: `sum(rate(modelfleet_edge_batch_size_sum${s()}[5m])) / sum(rate(modelfleet_edge_batch_size_count${s()}[5m]))`, legend: 'rows per run' },
      { expr: `sum(rate(modelfleet_edge_batch_requests_sum${s()}[5m])) / sum(rate(modelfleet_edge_batch_requests_count${s()}[5m]))`, legend: 'requests per run' }] },
    { title: 'In flight and queued', type: 'timeseries', unit: 'short', targets: [
      { expr: `sum(modelfleet_edge_inflight_requests${s()})`, legend: 'in flight' },
      { expr: `sum(modelfleet_edge_queued_requests${s()})`, legend: 'queued' }] },
    { title: 'Model version served (pods)', type: 'table', unit: 'short', targets: [
      { expr: `count by (name, version, sha256) (modelfleet_edge_model_info${s()})`, legend: '{{name}} {{version}}' }] },
    { title: 'Process memory', type: 'timeseries', unit: 'bytes', targets: [
      { expr: `modelfleet_edge_process_resident_memory_bytes${s()}`, legend: 'RSS {{pod}}' },
      { expr: `modelfleet_edge_nodejs_heap_size_used_bytes${s()}`, legend: 'JS heap {{pod}}' }] },
    { title: 'Worker crashes, failed model loads, swaps (1 h)', type: 'timeseries', unit: 'short', targets: [
      { expr: `sum(increase(modelfleet_edge_worker_crashes_total${s()}[1h]))`, legend: 'worker crashes' },
      { expr: `sum by (code) (increase(modelfleet_edge_model_load_failures_total${s()}[1h]))`, legend: 'load failed {{code}}' },
      { expr: `sum(increase(modelfleet_edge_model_swaps_total${s()}[1h]))`, legend: 'hot swaps' }] },
  ];
}

/**
 * A Grafana dashboard (schema 39) of the runtime's metrics, with a Prometheus data source variable and a `job`
 * variable (the scrape job of the model server pods: the Service name under a ServiceMonitor).
 */
export function grafanaDashboard(title: string, defaultJob?: string): Record<string, unknown> {
  const list = panels('job=~"$job"');
  return {
    title,
    uid: null,
    schemaVersion: 39,
    tags: ['modelfleet'],
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    templating: { list: [
      { name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus' },
      { name: 'job', type: 'query', datasource: { type: 'prometheus', uid: '${datasource}' }, label: 'job',
        query: 'label_values(modelfleet_edge_model_info, job)', refresh: 2, includeAll: true, multi: true,
        current: defaultJob ? { text: defaultJob, value: defaultJob } : { text: 'All', value: '$__all' } },
    ] },
    panels: list.map((p, i) => ({
      id: i + 1,
      title: p.title,
      type: p.type,
      datasource: { type: 'prometheus', uid: '${datasource}' },
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      targets: p.targets.map((t, j) => ({ refId: String.fromCharCode(65 + j), expr: t.expr, legendFormat: t.legend,
        ...(p.type === 'table' ? { format: 'table', instant: true } : {}) })),
    })),
  };
}

/** Options of the alerting rules (the same conditions as the CloudWatch alarms of the other targets). */
export interface AlertRuleOptions {
  /** The label selector of the model server's series, e.g. `job="iris", namespace="default"`. */
  readonly selector: string;
  /** A name for the rule group. */
  readonly group: string;
  /** The 5xx share that alerts (0-1). */
  readonly errorRatio: number;
  /** The p99 latency that alerts, in seconds. */
  readonly latencyP99Seconds: number;
  /** The fewest pods that must be up. */
  readonly minPodsUp: number;
}

/** The Prometheus rule groups (`groups:` of a rules file, `spec.groups` of a PrometheusRule). */
export function alertRuleGroups(o: AlertRuleOptions): Array<Record<string, unknown>> {
  const s = (extra = '') => `{${[o.selector, extra].filter(Boolean).join(',')}}`;
  const rule = (alert: string, expr: string, forDuration: string, summary: string, description: string) => ({
    alert, expr, for: forDuration, labels: { severity: 'warning', app_kubernetes_io_name: 'modelfleet' },
    annotations: { summary, description },
  });
  return [{
    name: o.group,
    rules: [
      rule('ModelfleetHighErrorRate',
        `sum(rate(modelfleet_edge_requests_total${s(`${INFER},status=~"5.."`)}[5m])) / sum(rate(modelfleet_edge_requests_total${s(INFER)}[5m])) > ${o.errorRatio}`,
        '10m', `More than ${o.errorRatio * 100} % of the inference requests answered 5xx`,
        'See the error codes in the Grafana dashboard (requests by status and code) and the pods\' logs.'),
      rule('ModelfleetHighLatency',
        `histogram_quantile(0.99, sum by (le) (rate(modelfleet_edge_request_duration_seconds_bucket${s(INFER)}[5m]))) > ${o.latencyP99Seconds}`,
        '15m', `p99 inference latency above ${o.latencyP99Seconds} s`,
        'Check queue wait against inference time in the dashboard: a long queue wants more replicas.'),
      rule('ModelfleetPodsDown', `sum(up${s()}) < ${o.minPodsUp} or absent(up${s()})`, '5m',
        `Fewer than ${o.minPodsUp} model server pods answer /metrics`,
        'kubectl get pods -l app.kubernetes.io/name=modelfleet; kubectl describe pod for the reason.'),
      rule('ModelfleetWorkerCrashes', `sum(increase(modelfleet_edge_worker_crashes_total${s()}[15m])) > 0`, '0m',
        'A session worker died and was restarted', 'The pods\' logs have the crash; a model too large for the memory limit is the usual cause.'),
      rule('ModelfleetModelLoadFailed', `sum(increase(modelfleet_edge_model_load_failures_total${s()}[15m])) > 0`, '0m',
        'A model load or hot swap failed', 'The error code is the code label; edge/ERRORS.md says how to fix it.'),
    ],
  }];
}
