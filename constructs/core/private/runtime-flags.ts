/**
 * The runtime's flags: one table, read by the runtime's own parser (`edge/config.ts`) and by the constructs that
 * configure it (SageMaker and Kubernetes through `MODELFLEET_*` variables, Greengrass through the component's
 * command line), so a flag's name, environment variable and range are defined once. Pure data: no imports, so the
 * runtime bundle takes nothing else from the constructs.
 */

/** Log levels of the runtime, most verbose first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

export interface FlagSpec {
  readonly key: string;
  readonly kind: 'string' | 'int' | 'number' | 'bool' | 'level' | 'policy';
  readonly help: string;
  readonly min?: number;
  readonly max?: number;
}

/** Every flag, as `--kebab-case` and `MODELFLEET_UPPER_SNAKE`. */
export const FLAGS: Readonly<Record<string, FlagSpec>> = {
  'model': { key: 'model', kind: 'string', help: 'ONNX model file (default: the single .onnx under /opt/ml/model)' },
  'name': { key: 'name', kind: 'string', help: 'model name in URLs (default: contract.json name, else file base name)' },
  'model-version': { key: 'modelVersion', kind: 'string', help: 'model version (default: contract.json version, else sha256[0:12])' },
  'host': { key: 'host', kind: 'string', help: 'listen address (default 127.0.0.1)' },
  'port': { key: 'port', kind: 'int', min: 0, max: 65535, help: 'listen port (default 8080)' },
  'threads': { key: 'threads', kind: 'int', min: 1, max: 256, help: 'intra-op threads over all workers (default: CPU cores)' },
  'workers': { key: 'workers', kind: 'int', min: 1, max: 64, help: 'session worker threads (default: 1 per 4 threads, at least 1)' },
  'worker-nice': { key: 'workerNice', kind: 'int', min: 0, max: 19, help: 'nice value of the inference threads, 0-19 (default 10: health checks first)' },
  'worker-policy': { key: 'workerPolicy', kind: 'policy', help: 'scheduling of the inference threads: batch | normal (default batch)' },
  'max-batch': { key: 'maxBatch', kind: 'int', min: 1, max: 4096, help: 'rows joined into one run (default 8)' },
  'batch-delay-ms': { key: 'batchDelayMs', kind: 'number', min: 0, max: 1000, help: 'longest wait for batch-mates (default 2)' },
  'batching': { key: 'batching', kind: 'bool', help: 'dynamic batching on/off (default true)' },
  'max-queue': { key: 'maxQueue', kind: 'int', min: 1, max: 1000000, help: 'queued requests before 503 (default 64)' },
  'max-body-mb': { key: 'maxBodyMb', kind: 'number', min: 0.001, max: 4096, help: 'largest request body in MiB (default 32)' },
  'max-inflight-body-mb': { key: 'maxInflightBodyMb', kind: 'number', min: 0.001, max: 65536, help: 'request bodies held at once in MiB, over all requests (default 64, at least --max-body-mb)' },
  'max-connections': { key: 'maxConnections', kind: 'int', min: 2, max: 1000000, help: 'open connections at most; the oldest idle one is closed for a new one (default 512)' },
  'headers-timeout-ms': { key: 'headersTimeoutMs', kind: 'int', min: 100, max: 600000, help: 'longest wait for the headers of a request, then 408 (default 10000)' },
  'request-timeout-ms': { key: 'requestTimeoutMs', kind: 'int', min: 100, max: 3600000, help: 'longest wait for a whole request (headers and body), then 408 (default 60000)' },
  'token-file': { key: 'tokenFile', kind: 'string', help: 'file with a bearer token required for inference and metadata' },
  'metrics-auth': { key: 'metricsAuth', kind: 'bool', help: 'with --token-file, /metrics needs the token too (default true)' },
  'log-level': { key: 'logLevel', kind: 'level', help: 'debug | info | warn | error | silent (default info)' },
  'allow-contract-change': { key: 'allowContractChange', kind: 'bool', help: 'let a hot swap change inputs/outputs (default false)' },
  'watch': { key: 'watch', kind: 'bool', help: 'swap when the model file changes (default true)' },
  'emf-file': { key: 'emfFile', kind: 'string', help: 'append CloudWatch embedded metric format lines to this file (default: none)' },
  'emf-interval-s': { key: 'emfIntervalS', kind: 'int', min: 10, max: 3600, help: 'seconds between EMF lines (default 300)' },
  'emf-device': { key: 'emfDevice', kind: 'string', help: 'the Device dimension of the EMF lines (default: the host name)' },
  'drain-timeout-ms': { key: 'drainTimeoutMs', kind: 'int', min: 0, max: 600000, help: 'SIGTERM: longest wait for in-flight requests (default 25000)' },
};

/** The environment variable of a flag: `max-batch` is `MODELFLEET_MAX_BATCH`. */
export function flagEnvName(flag: string): string {
  return `MODELFLEET_${flag.toUpperCase().replace(/-/g, '_')}`;
}
