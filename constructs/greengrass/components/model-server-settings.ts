import { Duration } from 'aws-cdk-lib';

/**
 * How `modelfleet-edge` serves one model on a device: the component configuration of a `ModelComponent`
 * (`{configuration:/...}`), which a deployment may merge over. `ModelComponentProps` and the `edge` options of
 * `ModelFleet` both extend it. The port is not here: its default differs (a component's is 8080, a fleet gives each
 * model the next free port), and jsii does not let an interface declare again a member it inherits.
 */
export interface ModelServerSettings {
  /**
   * Address the server binds (`{configuration:/host}`). `0.0.0.0` exposes the model to the LAN.
   *
   * @default '127.0.0.1'
   */
  readonly host?: string;

  /**
   * onnxruntime intra-op threads (`{configuration:/threads}`). A Pi 4 has 4 cores; the nucleus and the HTTP side need
   * some too.
   *
   * @default 2
   */
  readonly threads?: number;

  /**
   * Largest dynamic batch (`{configuration:/maxBatch}`).
   *
   * @default 8
   */
  readonly maxBatch?: number;

  /**
   * How long a batch waits for more requests (`{configuration:/batchDelayMs}`, whole milliseconds).
   *
   * @default Duration.millis(2)
   */
  readonly batchDelay?: Duration;

  /**
   * Absolute path of a file on the device holding the bearer token that inference and metadata requests must present
   * (`{configuration:/tokenFile}`); requests then need `Authorization: Bearer <token>`.
   *
   * @default - no token: the server answers anyone who can reach it (it binds 127.0.0.1 by default)
   */
  readonly tokenFile?: string;

  /**
   * How often the server appends one metrics line (CloudWatch embedded metric format: requests, errors, p50/p99
   * latency) to `{work:path}/modelfleet-metrics.log`, which the fleet's log manager uploads to CloudWatch
   * (`{configuration:/metricsIntervalSeconds}`, whole seconds from 10 to 3600; `Duration.seconds(0)` writes none).
   * About 520 bytes a line: 150 KB a day at 5 minutes, before the upload's own overhead.
   *
   * @default Duration.minutes(5)
   */
  readonly metricsInterval?: Duration;
}
