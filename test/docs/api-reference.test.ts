import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

describe('API reference (npm run docs)', () => {
  test('generates from the doc comments with every exported member documented (TypeDoc warnings are errors)', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'modelfleet-api-'));
    try {
      const typedoc = path.join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
      const result = spawnSync(process.execPath, [typedoc, '--out', out], { cwd: ROOT, encoding: 'utf8' });
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/\[warning\]|\[error\]/);
      expect(result.status).toBe(0);
      for (const name of ['ModelFleet', 'ModelStore', 'SageMakerEndpoint', 'KubernetesModelService', 'EdgeFleet', 'ModelComponent']) {
        expect(fs.existsSync(path.join(out, 'classes', `${name}.html`))).toBe(true);
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
