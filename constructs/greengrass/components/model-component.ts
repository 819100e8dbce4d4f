import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { Duration, Size, Token, Tokenization } from 'aws-cdk-lib';
import * as greengrassv2 from 'aws-cdk-lib/aws-greengrassv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { StoredModel } from '../../model-store';
import { FieldErrors } from '../../core/private/field-errors';
import { FLAGS } from '../../core/private/runtime-flags';
import { runtimeFlagValues, validateRuntimeSettings } from '../../core/private/runtime-settings';
import { LogLevel, RuntimeSettings } from '../../core/runtime-settings';
import { EdgeComponentRef, IEdgeComponent } from './edge-component';
import { EdgeDeploymentOptions } from './edge-deployment-options';
import { EdgePlatform } from './edge-platform';
import { ModelServerComponent } from './model-server-component';
import { MODEL_METRICS_FILE } from './private/metrics-file';
import { PlatformId, runtimeZipFolder, sha256File } from './private/artifacts';
import { componentNameProblem, RecipeSpec } from './private/recipe';
import { createComponentVersion } from './private/component-base';

/** Properties of a `ModelComponent`: how the model is served (`EdgeDeploymentOptions`), the model and its runtime. */
export interface ModelComponentProps extends EdgeDeploymentOptions {
  /** The model to serve: its objects in the store are the component's artifacts. */
  readonly model: StoredModel;

  /** The runtime component (it brings the Node component with it); both become dependencies. */
  readonly modelServer: ModelServerComponent;
}

/** The runtime settings a device gets when they are not set (the rest are the runtime's own defaults). */
const EDGE_RUNTIME_DEFAULTS = { threads: 2, maxBatch: 8, batchDelay: Duration.millis(2) };

/**
 * The runtime flag of every `RuntimeSettings` member, in the runtime table's order. The values only list them: a
 * member added to `RuntimeSettings` must be added here too (`Required` makes tsc say so).
 */
const ALL_RUNTIME_SETTINGS: Required<RuntimeSettings> = {
  threads: 1, workers: 1, maxBatch: 1, batchDelay: Duration.millis(1), maxQueue: 1, maxBodySize: Size.mebibytes(1),
  logLevel: LogLevel.INFO,
};
const RUNTIME_FLAGS = runtimeFlagValues(ALL_RUNTIME_SETTINGS).map((v) => ({ flag: v.flag, env: v.env }));

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
  public readonly componentRef: EdgeComponentRef;
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
    const settings: RuntimeSettings = {
      threads: props.threads ?? EDGE_RUNTIME_DEFAULTS.threads,
      workers: props.workers,
      maxBatch: props.maxBatch ?? EDGE_RUNTIME_DEFAULTS.maxBatch,
      batchDelay: props.batchDelay ?? EDGE_RUNTIME_DEFAULTS.batchDelay,
      maxQueue: props.maxQueue,
      maxBodySize: props.maxBodySize,
      logLevel: props.logLevel,
    };
    const readiness = props.readinessTimeout ?? Duration.seconds(120);
    const metricsSeconds = (props.metricsInterval ?? Duration.minutes(5)).toSeconds({ integral: false });

    const problems = new FieldErrors();
    const name = `${prefix}.Model.${model.name}`;
    const nameProblem = componentNameProblem(name);
    if (nameProblem) problems.add('EdgeComponentNameInvalid', `component name ${nameProblem}: rename the model or change componentNamePrefix`);
    // 0 (a port the system picks) is the runtime's, not a device's: the readiness check must know the port.
    problems.range('EdgeModelPortOutOfRange', 'port', port, 1, FLAGS.port.max!,
      'give each model on a device its own port, e.g. 8080');
    validateRuntimeSettings(problems, settings);
    const emf = FLAGS['emf-interval-s'];
    if (!Token.isUnresolved(metricsSeconds) && metricsSeconds !== 0
      && (!Number.isInteger(metricsSeconds) || metricsSeconds < emf.min! || metricsSeconds > emf.max!)) {
      problems.add('EdgeModelMetricsIntervalOutOfRange', `metricsInterval (--emf-interval-s) must be whole seconds from `
        + `${emf.min} to ${emf.max} (or 0: no metrics), got ${metricsSeconds} s; e.g. Duration.minutes(5)`);
    }
    const readinessSeconds = readiness.toSeconds({ integral: false });
    if (!Number.isInteger(readinessSeconds) || readinessSeconds < 5 || readinessSeconds > 3600) {
      problems.add('EdgeModelReadinessTimeoutOutOfRange',
        `readinessTimeout must be whole seconds from 5 to 3600, got ${readinessSeconds} s; a Pi loads most models in 10 to 60 s`);
    }
    if (!Token.isUnresolved(host) && !/^[A-Za-z0-9.:-]+$/.test(host)) {
      problems.add('EdgeModelHostInvalid', `host must be an IP address or a host name, got '${host}'; e.g. '127.0.0.1' or '0.0.0.0'`);
    }
    if (props.tokenFile !== undefined && !Token.isUnresolved(props.tokenFile)
      && (!path.posix.isAbsolute(props.tokenFile) || /['"\\$`\s]/.test(props.tokenFile))) {
      problems.add('EdgeModelTokenFileInvalid',
        `tokenFile must be an absolute path without quotes, spaces or '$', got '${props.tokenFile}'; e.g. '/etc/modelfleet/token'`);
    }
    if (path.posix.basename(model.objectKey) !== MODEL_FILE) {
      problems.add('EdgeModelObjectKeyUnexpected', `the model object key must end in /${MODEL_FILE}, got '${model.objectKey}'; `
        + 'store the model with ModelStore.addModel');
    }
    if (!model.localContractPath) {
      problems.add('EdgeModelContractFileMissing',
        `the stored model '${model.name}' has no contract.json written at synth (localContractPath): its digest is needed for the recipe; `
        + 'store the model with ModelStore.addModel in this app');
    }
    for (const p of server.platforms) {
      if (!nodeRuntime.platforms.includes(p)) {
        problems.add('EdgeComponentPlatformWithoutNode', `platform ${p.nodePlatform} has no Node in ${nodeRuntime.node.path}: add it there`);
      }
    }
    problems.throwIfAny(this);

    this.model = model;
    this.modelServer = server;
    this.componentName = name;
    const asString = (n: number): string => (Token.isUnresolved(n) ? Tokenization.stringifyNumber(n) : String(n));
    this.port = port;
    // The runtime settings as configuration keys named by the runtime's flag table (`threads`, `maxBatch`,
    // `batchDelayMs`, `workers`, `maxQueue`, `maxBodyMb`, `logLevel`): '' when unset (the runtime's default).
    const values = new Map(runtimeFlagValues(settings).map((v) => [v.flag, v.value]));
    const runtimeConfiguration: Record<string, string> = {};
    for (const { flag } of RUNTIME_FLAGS) {
      const value = values.get(flag);
      runtimeConfiguration[FLAGS[flag].key] = value === undefined ? '' : typeof value === 'number' ? asString(value) : value;
    }
    const defaultConfiguration = {
      host,
      port: asString(port),
      ...runtimeConfiguration,
      tokenFile: props.tokenFile ?? '',
      metricsIntervalSeconds: metricsSeconds === 0 ? '' : asString(metricsSeconds),
    };
    // A setting with an edge default is always passed; the others only when the configuration has a value.
    const withDefault = new Set(['threads', 'max-batch', 'batch-delay-ms']);
    const shellVar = (env: string): string => env.replace(/^MODELFLEET_/, 'SETTING_');
    const ordered = [...RUNTIME_FLAGS.filter((f) => withDefault.has(f.flag)), ...RUNTIME_FLAGS.filter((f) => !withDefault.has(f.flag))];
    const runtimeFlags = ordered.map(({ flag, env }) => (withDefault.has(flag)
      ? `--${flag} '{configuration:/${FLAGS[flag].key}}'`
      : `\${${shellVar(env)}:+--${flag} "$${shellVar(env)}"}`));
    const optionalSettings = RUNTIME_FLAGS.filter(({ flag }) => !withDefault.has(flag))
      .map(({ flag, env }) => `${shellVar(env)}='{configuration:/${FLAGS[flag].key}}'`);

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
          "--host '{configuration:/host}' --port '{configuration:/port}'",
          ...runtimeFlags,
          '${TOKEN_FILE:+--token-file "$TOKEN_FILE"}',
          `\${EMF_INTERVAL:+--emf-file '{work:path}/${METRICS_FILE}' --emf-interval-s "$EMF_INTERVAL" --emf-device '{iot:thingName}'}`,
        ].join(' ');
        // Node's compile cache in the component's writable work folder: the Run start reuses what Install compiled.
        // MALLOC_ARENA_MAX=2: fewer glibc malloc arenas for the worker threads (about 30 MB less RSS, same speed).
        const preamble = [
          "TOKEN_FILE='{configuration:/tokenFile}'",
          "EMF_INTERVAL='{configuration:/metricsIntervalSeconds}'",
          ...optionalSettings,
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
    this.componentRef = { componentName: this.componentName, componentVersion: this.resource.attrComponentVersion };
  }

  /** Read access to the model's objects and to the runtime and Node artifacts this component depends on. */
  public grantArtifactRead(grantee: iam.IGrantable): iam.Grant {
    return this.modelServer.grantArtifactRead(grantee).combine(this.model.grantRead(grantee));
  }
}
