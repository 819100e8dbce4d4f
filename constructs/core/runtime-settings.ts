import { Duration, Size } from 'aws-cdk-lib';

/** The runtime's log level (`--log-level` / `MODELFLEET_LOG_LEVEL`). */
export enum LogLevel {
  /** Every request, batch and swap. */
  DEBUG = 'debug',
  /** Start, swaps, drain and problems. */
  INFO = 'info',
  /** Problems only. */
  WARN = 'warn',
  /** Failures only. */
  ERROR = 'error',
  /** Nothing. */
  SILENT = 'silent',
}

/**
 * How the model server (`modelfleet-edge`, the same runtime on every target) serves a model: one contract for the
 * SageMaker endpoint, the Kubernetes workload and the edge devices. Each setting is one runtime flag, with the
 * runtime's own range: SageMaker and Kubernetes pass them as `MODELFLEET_*` variables, the Greengrass component as
 * command-line flags. Only what is set is passed; the rest is the runtime's default.
 */
export interface RuntimeSettings {
  /**
   * onnxruntime intra-op threads over all session workers (`--threads`, `MODELFLEET_THREADS`; 1 to 256).
   *
   * @default - the target's: the instance's cores on SageMaker, the CPU limit in whole cores on Kubernetes, 2 on a
   * device (a Pi 4 has 4 cores; the nucleus and the HTTP side need some too)
   */
  readonly threads?: number;

  /**
   * Session workers: worker threads with one onnxruntime session each (`--workers`, `MODELFLEET_WORKERS`; 1 to 64).
   *
   * @default - one per 4 threads, at least 1
   */
  readonly workers?: number;

  /**
   * The most requests' rows joined into one inference run (`--max-batch`, `MODELFLEET_MAX_BATCH`; 1 to 4096; 1 turns
   * batching off).
   *
   * @default 8
   */
  readonly maxBatch?: number;

  /**
   * The longest a request waits for batch-mates (`--batch-delay-ms`, `MODELFLEET_BATCH_DELAY_MS`; 0 to 1000 ms).
   *
   * @default Duration.millis(2)
   */
  readonly batchDelay?: Duration;

  /**
   * Requests queued before the server answers 503 (`--max-queue`, `MODELFLEET_MAX_QUEUE`; 1 to 1,000,000).
   *
   * @default 64
   */
  readonly maxQueue?: number;

  /**
   * The largest request body (`--max-body-mb`, `MODELFLEET_MAX_BODY_MB`; up to 4 GiB).
   *
   * @default - the target's: SageMaker's payload limit (6 MiB, or 4 MiB serverless), else 32 MiB
   */
  readonly maxBodySize?: Size;

  /**
   * What the server logs (`--log-level`, `MODELFLEET_LOG_LEVEL`).
   *
   * @default LogLevel.INFO
   */
  readonly logLevel?: LogLevel;
}
