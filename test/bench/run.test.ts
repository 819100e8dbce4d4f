import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runtimeSettings } from '../../bench/run';

describe('runtimeSettings', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('reads workers, threads and load times from the last model_loaded line', () => {
    const file = path.join(dir, 'runtime.log');
    fs.writeFileSync(file, [
      JSON.stringify({ level: 'info', event: 'model_loaded', workers: 3, intra_op_threads: 1, batching: false, load_ms: 1, warmup_ms: 1, total_ms: 2 }),
      JSON.stringify({ level: 'info', event: 'listening' }),
      JSON.stringify({ level: 'info', event: 'model_loaded', workers: 1, intra_op_threads: 2, scheduling: 'batch, nice 10', batching: true, load_ms: 180, warmup_ms: 9, total_ms: 230 }),
      '',
    ].join('\n'));
    expect(runtimeSettings(file)).toBe('1 worker(s) × 2 intra-op threads (batch, nice 10), batching true, session load 180 ms + warm-up 9 ms of 230 ms model load');
  });

  test('leaves out the scheduling when the runtime does not log it', () => {
    const file = path.join(dir, 'runtime.log');
    fs.writeFileSync(file, `${JSON.stringify({ event: 'model_loaded', workers: 2, intra_op_threads: 4, batching: false, load_ms: 5, warmup_ms: 1, total_ms: 9 })}\n`);
    expect(runtimeSettings(file)).toBe('2 worker(s) × 4 intra-op threads, batching false, session load 5 ms + warm-up 1 ms of 9 ms model load');
  });

  test('says so when the log has no model_loaded line or is missing', () => {
    const file = path.join(dir, 'runtime.log');
    fs.writeFileSync(file, '{"event":"listening"}\n');
    expect(runtimeSettings(file)).toMatch(/no model_loaded log line/);
    expect(runtimeSettings(path.join(dir, 'absent.log'))).toMatch(/no log/);
  });
});
