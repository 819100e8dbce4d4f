import * as fs from 'node:fs';
import * as path from 'node:path';
import { EMF_NAMESPACE, histogramQuantile } from '../../edge/emf';
import { inferJson, IRIS, irisRows, startEdge, tempDir } from './helpers/runtime';

describe('EMF metric lines (--emf-file)', () => {
  test('a running runtime writes the interval\'s requests, errors, p50/p99 latency and model as one EMF line, flushed at shutdown', async () => {
    const dir = tempDir('emf-');
    const file = path.join(dir, 'metrics', 'modelfleet-metrics-iris.log');
    const srv = await startEdge(['--model', IRIS, '--name', 'iris', '--model-version', 'v7', '--emf-file', file,
      '--emf-device', 'pi-01', '--emf-interval-s', '3600']);
    try {
      for (let i = 0; i < 5; i++) {
        const r = await inferJson(srv.url, 'iris', { inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 4], data: irisRows(2, i).flat() }] });
        expect(r.status).toBe(200);
      }
      const bad = await inferJson(srv.url, 'iris', { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] });
      expect(bad.status).toBe(400);
    } finally {
      await srv.stop();
    }
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    const doc = JSON.parse(lines[0]);
    expect(doc._aws.CloudWatchMetrics).toEqual([{
      Namespace: EMF_NAMESPACE,
      Dimensions: [['Model'], ['Model', 'Device']],
      Metrics: [
        { Name: 'Requests', Unit: 'Count' }, { Name: 'Errors', Unit: 'Count' }, { Name: 'ClientErrors', Unit: 'Count' },
        { Name: 'Reports', Unit: 'Count' }, { Name: 'LatencyP50', Unit: 'Milliseconds' }, { Name: 'LatencyP99', Unit: 'Milliseconds' },
      ],
    }]);
    expect(doc).toMatchObject({ Model: 'iris', Device: 'pi-01', ModelVersion: 'v7', Requests: 6, Errors: 0, ClientErrors: 1, Reports: 1 });
    expect(doc.LatencyP50).toBeGreaterThan(0);
    expect(doc.LatencyP99).toBeGreaterThanOrEqual(doc.LatencyP50);
    expect(Math.abs(Date.now() - doc._aws.Timestamp)).toBeLessThan(60_000);
    // the size the data cost estimate in the README uses
    process.stderr.write(`EMF line: ${Buffer.byteLength(lines[0]) + 1} bytes\n`);
    expect(Buffer.byteLength(lines[0])).toBeLessThan(600);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test('histogramQuantile interpolates inside the bucket, as Prometheus does', () => {
    const buckets: Array<[number, number]> = [[0.001, 0], [0.002, 50], [0.005, 90], [0.01, 100], [Infinity, 100]];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.002);
    expect(histogramQuantile(0.25, buckets)).toBeCloseTo(0.0015);
    expect(histogramQuantile(0.99, buckets)).toBeCloseTo(0.0095);
    expect(histogramQuantile(0.5, [[0.001, 0], [Infinity, 0]])).toBeUndefined();
    expect(histogramQuantile(0.99, [[0.001, 0], [Infinity, 10]])).toBe(0.001);
  });
});
