import { Duration } from 'aws-cdk-lib';
import { RuntimeSettings } from '../../core/runtime-settings';

/**
 * How one model is served on the devices of a Greengrass fleet: every tunable setting of a `ModelComponent`, which
 * `ModelComponentProps` extends and `ModelFleet` passes through as its `edge` options.
 *
 * Each setting is a key of the component's configuration (`{configuration:/...}`), which a deployment may merge over.
 * The runtime settings (inherited from `RuntimeSettings`) become the server's command-line flags, with the edge
 * defaults `threads` 2, `maxBatch` 8 and `batchDelay` 2 ms; the others (`workers`, `maxQueue`, `maxBodySize`,
 * `logLevel`) are passed only when set, else the runtime's defaults apply.
 */
export interface EdgeDeploymentOptions extends RuntimeSettings {
  /**
   * Address the server binds (`{configuration:/host}`). `0.0.0.0` exposes the model to the LAN.
   *
   * @default '127.0.0.1'
   */
  readonly host?: string;

  /**
   * TCP port the server listens on (`{configuration:/port}`). Each model on a device needs its own.
   *
   * @default 8080 - for a `ModelComponent`; a `ModelFleet` gives each model of a fleet the next free port from 8080
   */
  readonly port?: number;

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

  /**
   * How long the `Install` step waits for the server to answer `GET /v2/health/ready` before failing the deployment
   * (whole seconds from 5 to 3600).
   *
   * @default Duration.seconds(120)
   */
  readonly readinessTimeout?: Duration;

  /**
   * Prefix of the component name: the component is `<prefix>.Model.<model name>`.
   *
   * @default - the model server component's prefix
   */
  readonly componentNamePrefix?: string;
}
