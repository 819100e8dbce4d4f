import * as path from 'node:path';
import { Duration, Size, Stack, Token } from 'aws-cdk-lib';
import { LogLevel, RuntimeSettings } from '../../../constructs/core';
import { FieldErrors } from '../../../constructs/core/private/field-errors';
import { runtimeEnvironment, runtimeFlagValues, validateRuntimeSettings } from '../../../constructs/core/private/runtime-settings';
import { parseConfig } from '../../../edge/config';

const IRIS = path.resolve(__dirname, '..', '..', '..', 'models', 'iris.onnx');
const CTX = { cpuCount: 4, cwd: '/tmp' };

/** What the constructs say of the settings: undefined when valid, else the error message. */
function constructVerdict(settings: RuntimeSettings): string | undefined {
  const errors = new FieldErrors();
  validateRuntimeSettings(errors, settings);
  try {
    errors.throwIfAny(new Stack());
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** What the runtime says of the same settings passed as its environment. */
function runtimeAccepts(settings: RuntimeSettings): boolean {
  try {
    parseConfig(['--model', IRIS], runtimeEnvironment(settings), CTX);
    return true;
  } catch {
    return false;
  }
}

describe('RuntimeSettings', () => {
  const cases: Array<[string, RuntimeSettings]> = [
    ['threads 1', { threads: 1 }], ['threads 256', { threads: 256 }], ['threads 0', { threads: 0 }], ['threads 257', { threads: 257 }],
    ['threads 1.5', { threads: 1.5 }], ['workers 64', { threads: 64, workers: 64 }], ['workers 65', { threads: 128, workers: 65 }],
    ['workers 5 over 4 threads', { threads: 4, workers: 5 }], ['workers 4 over 4 threads', { threads: 4, workers: 4 }],
    ['maxBatch 4096', { maxBatch: 4096 }], ['maxBatch 4097', { maxBatch: 4097 }], ['maxBatch 0', { maxBatch: 0 }],
    ['batchDelay 1000 ms', { batchDelay: Duration.millis(1000) }], ['batchDelay 1001 ms', { batchDelay: Duration.millis(1001) }],
    ['batchDelay 0', { batchDelay: Duration.millis(0) }], ['batchDelay 0.5 ms', { batchDelay: Duration.millis(0.5) }], ['maxQueue 0', { maxQueue: 0 }], ['maxQueue 1', { maxQueue: 1 }],
    ['maxBodySize 4096 MiB', { maxBodySize: Size.mebibytes(4096) }], ['maxBodySize 4097 MiB', { maxBodySize: Size.mebibytes(4097) }],
    ['logLevel warn', { logLevel: LogLevel.WARN }], ['logLevel loud', { logLevel: 'loud' as LogLevel }],
  ];

  test.each(cases)('the constructs accept %s exactly when the runtime does', (_name, settings) => {
    expect(constructVerdict(settings) === undefined).toBe(runtimeAccepts(settings));
  });

  test('fails when a setting is out of range, naming the setting, the flag, the value and the fix', () => {
    expect(constructVerdict({ threads: 300 })).toMatch(
      /^RuntimeThreadsOutOfRange: threads \(--threads\) must be an integer between 1 and 256, got 300; use at most/);
    expect(constructVerdict({ batchDelay: Duration.seconds(2) })).toMatch(/RuntimeBatchDelayOutOfRange: batchDelay \(ms\) \(--batch-delay-ms\)/);
  });

  test('reports every bad setting at once', () => {
    const message = constructVerdict({ threads: 0, workers: 0, maxBatch: 0 })!;
    expect(message).toMatch(/^RuntimeThreadsOutOfRange/);
    expect(message).toContain('RuntimeWorkersOutOfRange');
    expect(message).toContain('RuntimeMaxBatchOutOfRange');
  });

  test('skips tokenized values', () => {
    expect(constructVerdict({ threads: Token.asNumber({ Ref: 'Threads' }) })).toBeUndefined();
  });

  test('passes only what is set, as the runtime flags and variables in their units', () => {
    const settings: RuntimeSettings = { threads: 4, batchDelay: Duration.millis(5), maxBodySize: Size.mebibytes(6), logLevel: LogLevel.DEBUG };
    expect(runtimeFlagValues(settings).map((v) => [v.flag, v.value])).toEqual([
      ['threads', 4], ['batch-delay-ms', 5], ['max-body-mb', 6], ['log-level', 'debug'],
    ]);
    expect(runtimeEnvironment(settings)).toEqual({
      MODELFLEET_THREADS: '4', MODELFLEET_BATCH_DELAY_MS: '5', MODELFLEET_MAX_BODY_MB: '6', MODELFLEET_LOG_LEVEL: 'debug',
    });
    const config = parseConfig(['--model', IRIS], runtimeEnvironment(settings), CTX);
    expect([config.threads, config.batchDelayMs, config.maxBodyBytes, config.logLevel]).toEqual([4, 5, 6 * 1024 * 1024, 'debug']);
    expect(runtimeEnvironment({})).toEqual({});
  });
});
