/**
 * The real Open Inference Protocol clients against the runtime: scripts/v2-client-conformance.sh with the Triton
 * Python HTTP client (tritonclient[http]) and the KServe SDK, from the virtualenv `.venv/` at the repository root that
 * scripts/setup-python-tools.sh makes from .ci/requirements-v2-clients.txt (.ci/run runs it before npm test).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { edgeBundle, REPO } from './helpers/runtime';

const PYTHON = path.join(REPO, '.venv', 'bin', 'python');
const SETUP = 'scripts/setup-python-tools.sh';

describe('real V2 clients (tritonclient.http, kserve.InferenceRESTClient)', () => {
  test('pass every check of scripts/v2-client-conformance.sh on the iris, all-datatypes and fixed-shape models', () => {
    if (!fs.existsSync(PYTHON)) {
      throw new Error(`fails when the V2 clients are not installed: ${PYTHON} is missing; fix: run \`bash ${SETUP}\` (it makes .venv/ from .ci/requirements-*.txt)`);
    }
    const probe = spawnSync(PYTHON, ['-c', 'import numpy, tritonclient.http, kserve'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      throw new Error(`fails when the V2 clients are not installed: ${PYTHON} cannot import numpy, tritonclient.http and kserve (${probe.stderr.trim().split('\n').pop()}); fix: run \`bash ${SETUP}\``);
    }
    const run = spawnSync('bash', [path.join(REPO, 'scripts', 'v2-client-conformance.sh')], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 240000,
      env: { ...process.env, PYTHON, V2_KSERVE: 'on', EDGE_CLI: edgeBundle().cli },
    });
    const out = `${run.stdout}\n${run.stderr}`;
    if (run.status !== 0) throw new Error(`scripts/v2-client-conformance.sh exited with ${run.status ?? run.signal}:\n${out.split('\n').filter((l) => !l.startsWith('PASS')).join('\n')}`);
    expect(out).toContain('v2-client-conformance: every check passed');
    expect(out).not.toMatch(/^FAIL /m);
    // both clients ran, on all three models
    for (const tag of ['tritonclient.http iris', 'tritonclient.http types', 'tritonclient.http fixed', 'kserve.InferenceRESTClient iris', 'kserve.InferenceRESTClient fixed']) {
      expect(out).toContain(`PASS ${tag}`);
    }
  });
});
