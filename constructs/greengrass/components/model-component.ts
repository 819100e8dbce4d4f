import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { Duration, Token, Tokenization } from 'aws-cdk-lib';
import * as greengrassv2 from 'aws-cdk-lib/aws-greengrassv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { StoredModel } from '../../model-store';
import { EdgeComponentRef, IEdgeComponent } from './edge-component';
import { EdgePlatform } from './edge-platform';
import { ModelServerComponent } from './model-server-component';
import { ModelServerSettings } from './model-server-settings';
import { MODEL_METRICS_FILE } from './private/metrics-file';
import { PlatformId, runtimeZipFolder, sha256File } from './private/artifacts';
import { acknowledgeArtifactRead } from './private/acknowledgements';
import { componentNameProblem, RecipeSpec } from './private/recipe';
import { FieldErrors } from '../../core/private/field-errors';
import { createComponentVersion } from './private/component-base';
import { ErrorCode } from '../../core/private/error-codes';

/** Properties of a `ModelComponent`: the model, its runtime, and how the server serves it. */
export interface ModelComponentProps extends ModelServerSettings {
  /** The model to serve: its objects in the store are the component's artifacts. */
  readonly model: StoredModel;

  /** The runtime component (it brings the Node component with it); both become dependencies. */
  readonly modelServer: ModelServerComponent;

  /**
   * Prefix of the component name: the component is `<prefix>.Model.<model name>`.
   *
   * @default - the model server's prefix
   */
  readonly componentNamePrefix?: string;

  /**
   * TCP port the server listens on (`{configuration:/port}`). Each model on a device needs its own.
   *
   * @default 8080
   */
  readonly port?: number;

  /**
   * How long the `Install` step waits for the server to answer `GET /v2/health/ready` before failing the deployment.
   *
   * @default Duration.seconds(120)
   */
  readonly readinessTimeout?: Duration;
}

const MODEL_FILE = 'model.onnx';
const METRICS_FILE = MODEL_METRICS_FILE;

/**
 * `<prefix>.Model.<name>`: one model served by `modelfleet-edge` on the device. Its artifacts are the model's own
 * objects in the store (`model.onnx`, `contract.json`), so a model update publishes a new version of this component
 * only, and a device downloads the model's bytes plus a recipe.
 *
 * Lifecycle: `Install` starts the server once and waits for `/v2/health/ready` (a model that cannot load or serve fails
 * the step: three failures make the component BROKEN and the deployment rolls back), then stops it; `Run` starts the
 * server for good, and Greengrass restarts it whenever it exits. The nucleus runs `Install` again at every start: the
 * check runs once per component version and port (a marker in `{work:path}`), so a reboot loads the model once.
 */
export class ModelComponent extends Construct implements IEdgeComponent {
  public readonly componentName: string;
  public readonly componentVersion: string;
  public readonly ref: EdgeComponentRef;
  /** The component version resource. */
  public readonly resource: greengrassv2.CfnComponentVersion;
  /** The model served. */
  public readonly model: StoredModel;
  /** The runtime component this one depends on. */
  public readonly modelServer: ModelServerComponent;
  /** The port the server listens on by default (`{configuration:/port}`); a deployment may merge another. */
  public readonly port: number;

  constructor(scope: Construct, id: string, props: ModelComponentProps) {
    super(scope, id);
    const model = props.model;
    const server = props.modelServer;
    const nodeRuntime = server.nodeRuntime;
    const prefix = props.componentNamePrefix ?? server.componentName.replace(/\.ModelServer$/, '');
    const port = props.port ?? 8080;
    const host = props.host ?? '127.0.0.1';
    const threads = props.threads ?? 2;
    const maxBatch = props.maxBatch ?? 8;
    const batchDelay = props.batchDelay ?? Duration.millis(2);
    const readiness = props.readinessTimeout ?? Duration.seconds(120);
    const metricsSeconds = (props.metricsInterval ?? Duration.minutes(5)).toSeconds({ integral: false });

    const problems = new FieldErrors();
    const name = `${prefix}.Model.${model.name}`;
    const nameProblem = componentNameProblem(name);
    if (nameProblem) problems.add('EdgeComponentNameInvalid', `component name ${nameProblem}: rename the model or change componentNamePrefix`);
    const integer = (field: string, value: number, min: number, max: number, code: ErrorCode): void => {
      if (Token.isUnresolved(value)) return;
      if (!Number.isInteger(value) || value < min || value > max) {
        problems.add(code, `${field} must be a whole number from ${min} to ${max}, got ${value}`);
      }
    };
    integer('port', port, 1, 65535, 'EdgeModelPortOutOfRange');
    integer('threads', threads, 1, 64, 'EdgeModelThreadsOutOfRange');
    integer('maxBatch', maxBatch, 1, 4096, 'EdgeModelMaxBatchOutOfRange');
    if (!Token.isUnresolved(batchDelay.toMilliseconds({ integral: false }))) {
      const ms = batchDelay.toMilliseconds({ integral: false });
      if (!Number.isInteger(ms) || ms < 0 || ms > 1000) {
        problems.add('EdgeModelBatchDelayOutOfRange', `batchDelay must be whole milliseconds from 0 to 1000, got ${ms} ms`);
      }
    }
    if (!Token.isUnresolved(metricsSeconds) && metricsSeconds !== 0
      && (!Number.isInteger(metricsSeconds) || metricsSeconds < 10 || metricsSeconds > 3600)) {
      problems.add('EdgeModelMetricsIntervalOutOfRange',
        `metricsInterval must be whole seconds from 10 to 3600 (or 0: no metrics), got ${metricsSeconds} s`);
    }
    const readinessSeconds = readiness.toSeconds({ integral: false });
    if (!Number.isInteger(readinessSeconds) || readinessSeconds < 5 || readinessSeconds > 3600) {
      problems.add('EdgeModelReadinessTimeoutOutOfRange',
        `readinessTimeout must be whole seconds from 5 to 3600, got ${readinessSeconds} s`);
    }
    if (!Token.isUnresolved(host) && !/^[A-Za-z0-9.:-]+$/.test(host)) {
      problems.add('EdgeModelHostInvalid', `host must be an IP address or a host name, got '${host}'`);
    }
    if (props.tokenFile !== undefined && !Token.isUnresolved(props.tokenFile)
      && (!path.posix.isAbsolute(props.tokenFile) || /['"\\$`\s]/.test(props.tokenFile))) {
      problems.add('EdgeModelTokenFileInvalid',
        `tokenFile must be an absolute path without quotes, spaces or '$', got '${props.tokenFile}'`);
    }
    if (path.posix.basename(model.objectKey) !== MODEL_FILE) {
      problems.add('EdgeModelObjectKeyUnexpected', `the model object key must end in /${MODEL_FILE}, got '${model.objectKey}'`);
    }
    if (!model.localContractPath) {
      problems.add('EdgeModelContractFileMissing',
        `the stored model '${model.name}' has no contract.json written at synth (localContractPath): its digest is needed for the recipe`);
    }
    for (const p of server.platforms) {
      if (!nodeRuntime.platforms.includes(p)) {
        problems.add('EdgeComponentPlatformWithoutNode', `platform ${p.nodePlatform} has no Node in ${nodeRuntime.node.path}`);
      }
    }
    problems.throwIfAny(this);

    this.model = model;
    this.modelServer = server;
    this.componentName = name;
    const asString = (n: number): string => (Token.isUnresolved(n) ? Tokenization.stringifyNumber(n) : String(n));
    this.port = port;
    const defaultConfiguration = {
      host,
      port: asString(port),
      threads: asString(threads),
      maxBatch: asString(maxBatch),
      batchDelayMs: asString(batchDelay.toMilliseconds()),
      tokenFile: props.tokenFile ?? '',
      metricsIntervalSeconds: metricsSeconds === 0 ? '' : asString(metricsSeconds),
    };

    const contractSha256 = sha256File(model.localContractPath as string);
    // What the readiness check checked: the model's bytes, the Node and runtime versions, the settings it ran with.
    const readyKey = (platform: string): string => createHash('sha256').update(JSON.stringify([
      platform, model.sha256, contractSha256, nodeRuntime.componentVersion, server.componentVersion, defaultConfiguration,
      model.name, model.version, readinessSeconds,
    ])).digest('hex').slice(0, 16);
    const nodeName = nodeRuntime.componentName;
    const serverName = server.componentName;
    const spec: RecipeSpec = {
      componentName: name,
      description: `The ${model.name} model (version ${model.version}, sha256 ${model.sha256.slice(0, 12)}...) served by modelfleet-edge`,
      publisher: 'modelfleet',
      dependencies: { [nodeName]: nodeRuntime.componentVersion, [serverName]: server.componentVersion },
      defaultConfiguration,
      manifests: server.platforms.map((p: EdgePlatform) => {
        const node = `{${nodeName}:artifacts:path}/node`;
        const runtime = `{${serverName}:artifacts:decompressedPath}/${runtimeZipFolder(p.nodePlatform as PlatformId)}`;
        const serve = [
          `'${node}' '${runtime}/cli.js' serve`,
          `--model '{artifacts:path}/${MODEL_FILE}' --name '${model.name}' --model-version '${model.version}'`,
          "--host '{configuration:/host}' --port '{configuration:/port}' --threads '{configuration:/threads}'",
          "--max-batch '{configuration:/maxBatch}' --batch-delay-ms '{configuration:/batchDelayMs}'",
          '${TOKEN_FILE:+--token-file "$TOKEN_FILE"}',
          `\${EMF_INTERVAL:+--emf-file '{work:path}/${METRICS_FILE}' --emf-interval-s "$EMF_INTERVAL" --emf-device '{iot:thingName}'}`,
        ].join(' ');
        // Node's compile cache in the component's writable work folder: the Run start reuses what Install compiled.
        // MALLOC_ARENA_MAX=2: fewer glibc malloc arenas for the worker threads (about 30 MB less RSS, same speed).
        const preamble = [
          "TOKEN_FILE='{configuration:/tokenFile}'",
          "EMF_INTERVAL='{configuration:/metricsIntervalSeconds}'",
          "export NODE_COMPILE_CACHE='{work:path}/node-compile-cache'",
          'export MALLOC_ARENA_MAX=2',
        ].join('\n');
        return {
          os: p.os,
          architecture: p.architecture,
          artifacts: [
            { key: model.objectKey, sha256: model.sha256 },
            { key: model.contractKey, sha256: contractSha256 },
          ],
          lifecycle: {
            Install: {
              // The nucleus runs Install at every start, not only at install (Lifecycle: a service begins in NEW and
              // handleCurrentStateNew runs install(); KernelLifecycle starts every service so at each boot). The
              // check gates a deployment (a failure there rolls back); at boot there is nothing to roll back to,
              // and three failed boot-time checks within an hour would leave the model BROKEN. So it runs once per
              // version and port: a marker in {work:path} (which survives restarts) records that it passed.
              Script: [
                preamble,
                `READY_MARK='{work:path}/ready-${readyKey(p.nodePlatform)}-{configuration:/port}'`,
                'if [ -f "$READY_MARK" ]; then',
                '  echo "modelfleet: the readiness check already passed for this version ($READY_MARK): skipped"',
                '  exit 0',
                'fi',
                `${serve} &`,
                'pid=$!',
                `'${node}' '${runtime}/wait-ready.js' '{configuration:/host}' '{configuration:/port}' ${readinessSeconds} "$pid"`,
                'status=$?',
                'kill "$pid" 2>/dev/null',
                'wait "$pid" 2>/dev/null',
                `if [ "$status" -eq 0 ]; then rm -f '{work:path}'/ready-*; : > "$READY_MARK"; fi`,
                'exit $status',
              ].join('\n'),
              Timeout: readinessSeconds + 60,
            },
            Run: { Script: `${preamble}\nexec ${serve}` },
          },
        };
      }),
    };
    const created = createComponentVersion(this, spec, model.bucket, () => [model.upload]);
    this.componentVersion = created.version;
    this.resource = created.resource;
    this.ref = { componentName: this.componentName, componentVersion: this.resource.attrComponentVersion };
  }

  /** Read access to the model's objects and to the runtime and Node artifacts this component depends on. */
  public grantArtifactRead(grantee: iam.IGrantable): iam.Grant {
    this.modelServer.grantArtifactRead(grantee);
    acknowledgeArtifactRead(grantee, this.model.bucket, this.model.prefix);
    return this.model.grantRead(grantee);
  }
}
