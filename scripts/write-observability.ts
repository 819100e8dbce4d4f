/**
 * Writes the Grafana dashboard and the Prometheus alerting rules of the model server into dist/observability/ (part
 * of the package): `modelfleet-edge.grafana.json` (import it into Grafana, choose the Prometheus data source and the
 * job) and `modelfleet-edge.rules.yaml` (for `rule_files`; it selects `job="modelfleet-edge"`: change the job to your
 * scrape job's). `KubernetesModelService` writes the same files, with its own job and namespace, into cdk.out.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { alertRuleGroups, grafanaDashboard } from '../constructs/kubernetes/private/observability';

const out = path.resolve(__dirname, '..', 'observability');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'modelfleet-edge.grafana.json'), JSON.stringify(grafanaDashboard('modelfleet model server'), undefined, 2) + '\n');
fs.writeFileSync(path.join(out, 'modelfleet-edge.rules.yaml'), stringify({
  groups: alertRuleGroups({ selector: 'job="modelfleet-edge"', group: 'modelfleet-edge', errorRatio: 0.05, latencyP99Seconds: 1, minPodsUp: 1 }),
}));
process.stdout.write(`observability files written into ${out}\n`);
