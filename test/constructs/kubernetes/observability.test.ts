import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { KubernetesModelService, KubernetesModelServiceProps } from '../../../constructs/kubernetes';
import { alertRuleGroups, grafanaDashboard, queryMetricNames } from '../../../constructs/kubernetes/private/observability';
import { ModelContract } from '../../../constructs/model';
import { StoredModel } from '../../../constructs/model-store';
import { ServingImage } from '../../../constructs/serving-image';
import { inferJson, IRIS, irisRows, startEdge } from '../../edge/helpers/runtime';

const VERSION = '3f2a9c1b7d4e';

function service(props: Partial<KubernetesModelServiceProps> = {}) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-obs-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'Serving', { env: { account: '111111111111', region: 'eu-west-1' } });
  const svc = new KubernetesModelService(stack, 'Iris', {
    model: new StoredModel({
      name: 'iris', version: VERSION, bucket: s3.Bucket.fromBucketName(stack, 'Store', 'modelfleet-store'),
      sha256: `${VERSION}${'0'.repeat(52)}`, sizeBytes: 1024,
      contract: ModelContract.of({ inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }], outputs: [{ name: 'p', datatype: 'FP32', shape: [-1, 3] }] }),
      upload: new CfnWaitConditionHandle(stack, 'Upload'),
    }),
    image: ServingImage.fromRegistry('111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelfleet:1.0.0'),
    serviceAccountRole: iam.Role.fromRoleArn(stack, 'PodRole', 'arn:aws:iam::111111111111:role/iris-reader'),
    ...props,
  });
  app.synth();
  return { outdir, svc, objects: Testing.synth(svc.chart) as Array<{ kind: string; spec?: { groups?: unknown } }> };
}

/** Every metric name in the text exposition (histograms as their _bucket, _sum and _count series). */
function exported(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (m[2] === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(m[1] + suffix);
    else names.add(m[1]);
  }
  return names;
}

describe('Grafana dashboard and Prometheus rules of the model server', () => {
  test('every metric the dashboard and the rules query is exported by a running runtime', async () => {
    const srv = await startEdge(['--model', IRIS, '--name', 'iris']);
    let text: string;
    try {
      // one request, so that the route-labelled series exist
      expect((await inferJson(srv.url, 'iris', { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: irisRows(1)[0] }] })).status).toBe(200);
      text = await (await fetch(`${srv.url}/metrics`)).text();
    } finally {
      await srv.stop();
    }
    const have = exported(text);
    const dashboard = JSON.stringify(grafanaDashboard('t'));
    const rules = JSON.stringify(alertRuleGroups({ selector: 'job="iris"', group: 'g', errorRatio: 0.05, latencyP99Seconds: 1, minPodsUp: 1 }));
    const used = queryMetricNames(dashboard + rules).filter((n) => n !== 'up'); // `up` is Prometheus's own
    expect(used.length).toBeGreaterThanOrEqual(12);
    expect(used.filter((n) => !have.has(n))).toEqual([]);
    // the dashboard shows what the issue asks: requests and errors by code, latency and queue wait, batches,
    // in flight, model version, memory
    for (const n of ['modelfleet_edge_requests_total', 'modelfleet_edge_request_duration_seconds_bucket', 'modelfleet_edge_queue_wait_seconds_bucket',
      'modelfleet_edge_batch_size_sum', 'modelfleet_edge_inflight_requests', 'modelfleet_edge_model_info', 'modelfleet_edge_process_resident_memory_bytes']) {
      expect(queryMetricNames(dashboard)).toContain(n);
    }
  }, 60_000);

  test('the package ships the same dashboard and a rules file for job="modelfleet-edge" (dist/observability, in files)', () => {
    const dist = path.join(__dirname, '..', '..', '..', 'dist', 'observability');
    expect(JSON.parse(fs.readFileSync(path.join(dist, 'modelfleet-edge.grafana.json'), 'utf8'))).toEqual(grafanaDashboard('modelfleet model server'));
    expect(parse(fs.readFileSync(path.join(dist, 'modelfleet-edge.rules.yaml'), 'utf8')).groups[0].rules[0].expr).toContain('job="modelfleet-edge"');
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
    expect(pkg.files).toContain('dist/observability/');
  });

  test('writes the Grafana JSON and a plain rules file into the cloud assembly beside the YAML', () => {
    const { outdir, svc, objects } = service();
    expect(svc.manifestFileName).toBe('Serving-Iris.k8s.yaml');
    const dashboard = JSON.parse(fs.readFileSync(path.join(outdir, 'Serving-Iris.grafana.json'), 'utf8'));
    expect(dashboard.panels.length).toBe(9);
    expect(dashboard.templating.list[1].current).toEqual({ text: svc.serviceName, value: svc.serviceName });
    const rules = parse(fs.readFileSync(path.join(outdir, svc.prometheusRulesFileName!), 'utf8'));
    expect(rules.groups[0].rules.map((r: { alert: string }) => r.alert)).toEqual([
      'ModelfleetHighErrorRate', 'ModelfleetHighLatency', 'ModelfleetPodsDown', 'ModelfleetWorkerCrashes', 'ModelfleetModelLoadFailed']);
    expect(rules.groups[0].rules[0].expr).toContain(`job="${svc.serviceName}",namespace="default"`);
    expect(rules.groups[0].rules[0].expr).toMatch(/> 0\.05$/);
    expect(objects.filter((o) => o.kind === 'PrometheusRule')).toEqual([]);
    fs.rmSync(outdir, { recursive: true, force: true });
  });

  test('with the operator (serviceMonitor) the rules are a PrometheusRule in the chart, with the ServiceMonitor\'s labels', () => {
    const { outdir, svc, objects } = service({ serviceMonitor: true, serviceMonitorLabels: [{ key: 'release', value: 'kps' }],
      alertErrorRatePercent: 1 });
    const rule = objects.filter((o) => o.kind === 'PrometheusRule');
    expect(rule).toHaveLength(1);
    expect(rule[0]).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', metadata: { name: svc.serviceName, labels: { release: 'kps' } } });
    expect(JSON.stringify(rule[0].spec!.groups)).toContain('> 0.01');
    expect(svc.prometheusRulesFileName).toBeUndefined();
    expect(fs.existsSync(path.join(outdir, 'Serving-Iris.grafana.json'))).toBe(true);
    fs.rmSync(outdir, { recursive: true, force: true });
  });

  test('prometheusRules: false writes no rules', () => {
    const { outdir, svc, objects } = service({ serviceMonitor: true, prometheusRules: false });
    expect(objects.filter((o) => o.kind === 'PrometheusRule')).toEqual([]);
    expect(svc.prometheusRule).toBeUndefined();
    fs.rmSync(outdir, { recursive: true, force: true });
  });
});
