import { Token } from 'aws-cdk-lib';
import { RuntimeSettings } from '../runtime-settings';
import { ErrorCode } from './error-codes';
import { EXACT_SIZE, FieldErrors, show } from './field-errors';
import { flagEnvName, FLAGS, LOG_LEVELS } from './runtime-flags';

/** One runtime setting as the runtime takes it: the flag, its environment variable and its value. */
export interface RuntimeFlagValue {
  /** The flag without `--` (`max-batch`). */
  readonly flag: string;
  /** `MODELFLEET_MAX_BATCH`. */
  readonly env: string;
  /** The value as the runtime parses it (a number in the flag's unit, or a level). */
  readonly value: string | number;
}

interface SettingSpec {
  readonly setting: keyof RuntimeSettings;
  readonly flag: string;
  readonly code: ErrorCode;
  /** The setting's value in the flag's unit. */
  readonly value: (s: RuntimeSettings) => number | string | undefined;
  readonly unit?: string;
  readonly fix: string;
}

/** Each setting of `RuntimeSettings` and the runtime flag it becomes (ranges come from the flag table). */
const SETTINGS: readonly SettingSpec[] = [
  { setting: 'threads', flag: 'threads', code: 'RuntimeThreadsOutOfRange', value: (s) => s.threads, fix: 'use at most the cores the server gets' },
  { setting: 'workers', flag: 'workers', code: 'RuntimeWorkersOutOfRange', value: (s) => s.workers, fix: 'use one worker per 1 to 4 threads' },
  { setting: 'maxBatch', flag: 'max-batch', code: 'RuntimeMaxBatchOutOfRange', value: (s) => s.maxBatch, fix: 'use 1 to turn batching off' },
  {
    setting: 'batchDelay', flag: 'batch-delay-ms', code: 'RuntimeBatchDelayOutOfRange', unit: 'ms',
    value: (s) => s.batchDelay?.toMilliseconds({ integral: false }), fix: 'use a few milliseconds, e.g. Duration.millis(2)',
  },
  { setting: 'maxQueue', flag: 'max-queue', code: 'RuntimeMaxQueueOutOfRange', value: (s) => s.maxQueue, fix: 'use at least 1' },
  {
    setting: 'maxBodySize', flag: 'max-body-mb', code: 'RuntimeMaxBodySizeOutOfRange', unit: 'MiB',
    value: (s) => s.maxBodySize?.toMebibytes(EXACT_SIZE), fix: 'use e.g. Size.mebibytes(32)',
  },
  { setting: 'logLevel', flag: 'log-level', code: 'RuntimeLogLevelInvalid', value: (s) => s.logLevel, fix: 'use a LogLevel' },
];

/**
 * Checks runtime settings against the runtime's own ranges (`runtime-flags.ts`), so a value the runtime would refuse at
 * start fails the synth instead; skips tokens. `prefix` names where the settings were given (`edge.`).
 */
export function validateRuntimeSettings(errors: FieldErrors, settings: RuntimeSettings, prefix = ''): void {
  for (const spec of SETTINGS) {
    const value = spec.value(settings);
    if (value === undefined || Token.isUnresolved(value)) continue;
    const flag = FLAGS[spec.flag];
    const field = `${prefix}${spec.setting}${spec.unit ? ` (${spec.unit})` : ''}`;
    if (flag.kind === 'level') {
      if (!(LOG_LEVELS as readonly unknown[]).includes(value)) {
        errors.add(spec.code, `${field} must be one of ${LOG_LEVELS.join(', ')}, got ${show(value)}; ${spec.fix}`);
      }
      continue;
    }
    errors.range(spec.code, `${field} (--${spec.flag})`, value as number, flag.min!, flag.max!, spec.fix, flag.kind === 'number');
  }
  const { threads, workers } = settings;
  if (threads !== undefined && workers !== undefined && !Token.isUnresolved(threads) && !Token.isUnresolved(workers)
    && workers > threads) {
    errors.add('RuntimeWorkersOutOfRange', `${prefix}workers (${workers}) must be at most ${prefix}threads (${threads}): each `
      + 'session worker needs a thread of its own; lower workers or raise threads');
  }
}

/** The settings that are set, as the runtime's flags, in the table's order. */
export function runtimeFlagValues(settings: RuntimeSettings): RuntimeFlagValue[] {
  const out: RuntimeFlagValue[] = [];
  for (const spec of SETTINGS) {
    const value = spec.value(settings);
    if (value !== undefined) out.push({ flag: spec.flag, env: flagEnvName(spec.flag), value });
  }
  return out;
}

/** The settings that are set, as `MODELFLEET_*` variables (SageMaker, Kubernetes). */
export function runtimeEnvironment(settings: RuntimeSettings): { [name: string]: string } {
  const env: { [name: string]: string } = {};
  for (const v of runtimeFlagValues(settings)) env[v.env] = String(v.value);
  return env;
}
