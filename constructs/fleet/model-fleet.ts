import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Annotations, Aws, CfnOutput, RemovalPolicy, Stack, Stage, Token } from 'aws-cdk-lib';
import { Construct, DependencyGroup } from 'constructs';
import { EdgeDeploymentOptions, ModelComponent, ModelServerComponent, NodeRuntimeComponent } from '../greengrass/components';
import { IEdgeFleet } from '../greengrass/edge-fleet';
import { EdgeFleetMonitoring } from '../greengrass/fleet-monitoring';
import { ModelContract, ModelSource } from '../model';
import { FieldErrors } from '../core/private/field-errors';
import { ModelFleetError } from '../core/private/modelfleet-error';
import { KubernetesModelService, KubernetesModelServiceOptions } from '../kubernetes';
import { IModelStore, StoredModel } from '../model-store';
import { SageMakerEndpoint, SageMakerEndpointOptions } from '../sagemaker';
import { ServingImage } from '../serving-image';
import { GoldenRequest } from './golden-request';
import { ModelFleetResources } from './model-fleet-resources';
import { DEFAULT_GOLDEN_TOLERANCE, GoldenDocument, runGoldenInferences, V2InferRequest } from './private/golden';
import { HISTORY_ENTRY_FILE, historyEntryDocument, recordedVersion, recordedVersions, recordVersion } from './private/history';
import { goldenAssemblyPath, VERIFY_SCHEMA, VerifyTarget, verifyOutputKey } from './private/verify-target';

/**
 * How the model is served from a SageMaker endpoint (the `sagemaker` prop of `ModelFleet`): every option of
 * `SageMakerEndpoint`, passed through as given, and whether the target is on. `ModelFleet` wires in the model, the
 * stack's serving image and its shared alarm topic (`alarmEmail` subscribes to that topic, once per address).
 */
export interface ModelFleetSageMakerOptions extends SageMakerEndpointOptions {
  /**
   * Whether the model gets a SageMaker endpoint.
   *
   * @default true
   */
  readonly enabled?: boolean;
}

/**
 * How the model is served in a Kubernetes cluster (the `kubernetes` prop of `ModelFleet`): every option of
 * `KubernetesModelService`, passed through as given, and whether the target is on. `ModelFleet` wires in the model
 * and the stack's serving image.
 */
export interface ModelFleetKubernetesOptions extends KubernetesModelServiceOptions {
  /**
   * Whether the model gets a Kubernetes workload.
   *
   * @default true
   */
  readonly enabled?: boolean;
}

/**
 * How the model is served on the Greengrass fleet (the `edge` prop of `ModelFleet`): every option of the model's
 * component (`EdgeDeploymentOptions`), passed through as given, the fleet, and whether the target is on. Without a
 * `port`, each model of a fleet gets the next free one (8080, 8081, ...), so that models can share a device.
 */
export interface ModelFleetEdgeOptions extends EdgeDeploymentOptions {
  /**
   * Whether the model goes to the edge fleet.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * The fleet to deploy to.
   *
   * @default - the stack's shared fleet (`ModelFleetResources.of(this).edgeFleet`)
   */
  readonly fleet?: IEdgeFleet;
}

/** Properties of a `ModelFleet`. */
export interface ModelFleetProps {
  /** The ONNX model. */
  readonly model: ModelSource;

  /**
   * Name of the model in the store, the endpoints and the components: lower-case letters, digits and `-`.
   *
   * @default - the construct id in lower kebab case (`IrisClassifier` becomes `iris-classifier`)
   */
  readonly modelName?: string;

  /**
   * The version to deploy. Leave it unset to deploy the version of `model` (the first 12 hex characters of its
   * sha256). To roll back, set it to an earlier version: the targets then serve `models/<name>/<modelVersion>/`,
   * which the store still holds (its keys are never overwritten), and nothing is uploaded. The facts of that version
   * (sha256, size, contract, golden request) come from the history file, so it must be a version that this app
   * deployed before.
   *
   * @default - the version of `model`
   */
  readonly modelVersion?: string;

  /**
   * The version history file, which `modelVersion` reads to roll back: the facts of every version that was deployed
   * (sha256, size, `contract.json`, golden request). A synth does not write it (a `cdk ls` or `cdk diff` deploys
   * nothing): it writes this version's entry into the cloud assembly (`modelfleet/<name>/<version>/history-entry.json`),
   * and `modelfleet history record` (after a successful `cdk deploy`) adds the assembly's entries to the file.
   * Commit it, as you commit `cdk.context.json`.
   *
   * @default 'modelfleet.history.json' (in the current directory: the CDK app's directory)
   */
  readonly historyFile?: string;

  /**
   * Also record this version in `historyFile` at every synth (the behaviour before `modelfleet history record`), for
   * apps that deploy from every synth and want no extra CI step.
   *
   * @default false
   */
  readonly historyRecordAtSynth?: boolean;

  /**
   * Record nothing in the history file (tests, throw-away apps). Rolling back then needs the old model file.
   *
   * @default false
   */
  readonly historyDisabled?: boolean;

  /**
   * The shared resources (store, serving image, edge fleet, runtime components, alarm topic) to use. Give the
   * resources of another stack to spread many models over several stacks (a stack holds at most 500 resources):
   * the model's Greengrass component then goes to that stack too, next to the fleet's deployment.
   *
   * @default - the shared resources of this fleet's stack (`ModelFleetResources.of(this)`)
   */
  readonly resources?: ModelFleetResources;

  /**
   * The store the model goes to.
   *
   * @default - the shared store (`resources.store`)
   */
  readonly store?: IModelStore;

  /**
   * The serving image of the SageMaker endpoint and the Kubernetes workload.
   *
   * @default - the stack's shared image (`ModelFleetResources.of(this).servingImage`)
   */
  readonly servingImage?: ServingImage;

  /**
   * The sample request run through the model at synth and checked on every target by `modelfleet verify`.
   *
   * @default GoldenRequest.generated()
   */
  readonly goldenRequest?: GoldenRequest;

  /**
   * How far a target's answer may be from the golden response: `|got - expected| <= tolerance × max(1, |expected|)`.
   *
   * @default 1e-5
   */
  readonly goldenTolerance?: number;

  /**
   * The SageMaker target.
   *
   * @default - an endpoint with the `SageMakerEndpoint` defaults
   */
  readonly sagemaker?: ModelFleetSageMakerOptions;

  /**
   * The Kubernetes target.
   *
   * @default - a workload as GitOps YAML (in the cloud assembly, or in the model store after `cdk deploy`)
   */
  readonly kubernetes?: ModelFleetKubernetesOptions;

  /**
   * The edge target (Greengrass components deployed to an `EdgeFleet`).
   *
   * @default - the model on the stack's shared edge fleet
   */
  readonly edge?: ModelFleetEdgeOptions;

  /**
   * Register every deployed version in a SageMaker model package group (the model registry), with its sha256 and
   * contract in the package's customer metadata.
   *
   * @default true
   */
  readonly registryEnabled?: boolean;

  /**
   * Name of the model package group.
   *
   * @default - `<stack name>-<model name>`, shortened to 63 characters
   */
  readonly registryGroupName?: string;

  /**
   * What happens to the model package group and the packages of earlier versions when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN - the registry keeps every version that was ever deployed
   */
  readonly registryRemovalPolicy?: RemovalPolicy;
}

const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * One ONNX model, deployed everywhere it must answer: the model store, a SageMaker endpoint, a Kubernetes workload
 * (applied to an EKS cluster, or YAML for GitOps) and a Greengrass fleet of Raspberry Pis, with a golden request to check every target, the model registry and the
 * stack outputs that `modelfleet verify` reads.
 *
 * ```ts
 * new ModelFleet(stack, 'Iris', { model: ModelSource.fromAsset('models/iris.onnx') });
 * ```
 *
 * The models of one stack share one store, one serving image and one edge fleet (`ModelFleetResources`).
 */
export class ModelFleet extends Construct {
  /** The model's name. */
  public readonly modelName: string;

  /** The deployed version. */
  public readonly modelVersion: string;

  /** Whether this synth deploys an earlier version than `model`'s (a rollback through `modelVersion`). */
  public readonly rolledBack: boolean;

  /** The shared resources of the stack. */
  public readonly resources: ModelFleetResources;

  /** The store holding the model. */
  public readonly store: IModelStore;

  /** The model as stored: what every target serves. */
  public readonly storedModel: StoredModel;

  /** The golden request and response (`golden.json`), when one was made. */
  public readonly goldenJson?: string;

  /** Path of `golden.json` relative to the cloud assembly's root directory, when one was written. */
  public readonly goldenAssemblyPath?: string;

  /** The SageMaker endpoint, when that target is on. */
  public readonly endpoint?: SageMakerEndpoint;

  /** The Kubernetes workload (chart, and manifest or YAML file), when that target is on. */
  public readonly kubernetes?: KubernetesModelService;

  /** The edge fleet the model is deployed to, when that target is on. */
  public readonly edgeFleet?: IEdgeFleet;

  /** The model's Greengrass component, when the edge target is on. */
  public readonly modelComponent?: ModelComponent;

  /** The shared model server component, when the edge target is on. */
  public readonly modelServerComponent?: ModelServerComponent;

  /** The shared Node runtime component, when the edge target is on. */
  public readonly nodeRuntimeComponent?: NodeRuntimeComponent;

  /** The port of the model server on the devices, when the edge target is on. */
  public readonly edgePort?: number;

  /** The monitoring of the edge fleet (shared by the fleet's models), when the edge target and monitoring are on. */
  public readonly edgeMonitoring?: EdgeFleetMonitoring;

  /** The model package group (model registry), when registration is on. */
  public readonly modelPackageGroup?: sagemaker.CfnModelPackageGroup;

  /** The model package of this version, when registration is on. */
  public readonly modelPackage?: sagemaker.CfnModelPackage;

  /** The stack output that `modelfleet verify` reads. */
  public readonly verifyOutput: CfnOutput;

  constructor(scope: Construct, id: string, props: ModelFleetProps) {
    super(scope, id);
    this.resources = props.resources ?? ModelFleetResources.of(this);
    this.modelName = props.modelName ?? kebab(id);
    validate(this, props, this.modelName);

    this.store = props.store ?? this.resources.store;
    const historyFile = path.resolve(props.historyFile ?? 'modelfleet.history.json');
    const history = props.historyDisabled ? undefined : historyFile;
    const sourceContract = props.model.contract(this);
    const sourceVersion = sourceContract?.sha256?.slice(0, 12);
    const wanted = props.modelVersion;
    // A bucket source's version is only known to the store: there, a recorded version means a rollback.
    this.rolledBack = wanted !== undefined && !Token.isUnresolved(wanted) && wanted !== sourceVersion
      && (sourceVersion !== undefined || (history !== undefined && recordedVersion(history, this.modelName, wanted) !== undefined));

    // ---- the stored model: added (and uploaded), or an earlier version the store still holds ----
    let golden: GoldenDocument | undefined;
    if (this.rolledBack) {
      const entry = history ? recordedVersion(history, this.modelName, wanted!) : undefined;
      if (!entry) {
        const known = history ? recordedVersions(history, this.modelName) : [];
        throw new ModelFleetError('ModelVersionUnknown', `modelVersion '${wanted}' of model '${this.modelName}' is neither `
          + `the version of the model file (${sourceVersion ?? 'unknown'}) nor a version recorded in ${historyFile} `
          + `(recorded: ${known.length ? known.join(', ') : 'none'}); roll back to a recorded version, or give the old `
          + 'model file as `model`', this);
      }
      this.storedModel = this.rollbackModel(wanted!, entry.sha256, entry.sizeBytes, entry.contractJson);
      golden = entry.golden;
      Annotations.of(this).addInfo(`model '${this.modelName}' rolled back to version ${wanted} (the model file is version `
        + `${sourceVersion ?? 'unknown'})`);
    } else {
      this.storedModel = this.store.addModel(this.modelName, props.model);
      golden = this.makeGolden(props);
    }
    this.modelVersion = this.storedModel.version;

    // ---- golden.json: into the cloud assembly and the store; the version into the history ----
    if (golden) {
      this.goldenJson = JSON.stringify(golden, undefined, 2) + '\n';
      this.goldenAssemblyPath = this.writeToAssembly(this.modelVersion, 'golden.json', this.goldenJson).relative;
      if (!this.rolledBack) this.store.stageFile(this.storedModel, 'golden.json', this.goldenJson);
    }
    if (this.storedModel.localContractPath && fs.existsSync(this.storedModel.localContractPath)) {
      const contractJson = fs.readFileSync(this.storedModel.localContractPath, 'utf8');
      if (!this.rolledBack) this.writeToAssembly(this.modelVersion, 'contract.json', contractJson);
      if (!this.rolledBack) {
        const entry = { sha256: this.storedModel.sha256, sizeBytes: this.storedModel.sizeBytes, contractJson, golden };
        this.writeToAssembly(this.modelVersion, HISTORY_ENTRY_FILE, historyEntryDocument(this.modelName, this.modelVersion, entry));
        if (history && props.historyRecordAtSynth) recordVersion(history, this.modelName, this.modelVersion, entry);
      }
    }

    // ---- targets ----
    const image = props.servingImage ?? this.resources.servingImage;
    const { enabled: sagemakerEnabled, alarmEmail, ...sagemakerOptions } = props.sagemaker ?? {};
    if (sagemakerEnabled ?? true) {
      this.endpoint = new SageMakerEndpoint(this, 'SageMaker', {
        ...sagemakerOptions,
        model: this.storedModel,
        image,
        alarmTopic: this.resources.alarmTopic,
      });
      // The topic is the stack's: one subscription per address, however many models give it.
      if (alarmEmail !== undefined) this.resources.addAlarmEmail(alarmEmail);
    }

    const { enabled: kubernetesEnabled, ...kubernetesOptions } = props.kubernetes ?? {};
    if (kubernetesEnabled ?? true) {
      this.kubernetes = new KubernetesModelService(this, 'Kubernetes', {
        ...kubernetesOptions,
        model: this.storedModel,
        image,
      });
    }

    const { enabled: edgeEnabled, fleet: edgeFleet, ...edge } = props.edge ?? {};
    if (edgeEnabled ?? true) {
      this.edgeFleet = edgeFleet ?? this.resources.edgeFleet;
      const { nodeRuntime, modelServer } = this.resources._runtimeComponents(this.store, this.edgeFleet);
      this.nodeRuntimeComponent = nodeRuntime;
      this.modelServerComponent = modelServer;
      const reserved = Token.isUnresolved(edge.port)
        ? { port: edge.port! }
        : this.resources._reserveEdgePort(this.edgeFleet, this.modelName, edge.port);
      if (reserved.conflict) {
        throw new ModelFleetError('EdgePortInUse', `edge.port ${reserved.port} is already the port of model `
          + `'${reserved.conflict}' on the same fleet: two servers cannot share a port on a device; give another port, `
          + 'or leave edge.port unset to get the next free one', this);
      }
      this.edgePort = reserved.port;
      // In the resources' scope: the fleet's deployment lists the component, so both must be in one stack.
      this.modelComponent = new ModelComponent(this.resources, `EdgeModel-${this.modelName}`, {
        ...edge,
        model: this.storedModel,
        modelServer,
        port: this.edgePort,
      });
      // Adds the component to the fleet's deployment and grants the fleet's role its artifacts.
      this.edgeFleet.addEdgeComponent(this.modelComponent);
      this.edgeMonitoring = this.resources.edgeMonitoring(this.edgeFleet);
      this.edgeMonitoring?.addModel(this.modelName, this.modelComponent.componentName, edge.metricsInterval);
    }

    // ---- the model registry ----
    if (props.registryEnabled ?? true) {
      const removalPolicy = props.registryRemovalPolicy ?? RemovalPolicy.RETAIN;
      const packageGroupName = props.registryGroupName ?? groupName(Stack.of(this).stackName, this.modelName);
      this.modelPackageGroup = new sagemaker.CfnModelPackageGroup(this, 'ModelPackageGroup', {
        modelPackageGroupName: packageGroupName,
        modelPackageGroupDescription: `modelfleet model '${this.modelName}': every version deployed by stack ${Stack.of(this).stackName}`,
      });
      this.modelPackageGroup.applyRemovalPolicy(removalPolicy);
      this.modelPackage = new sagemaker.CfnModelPackage(this, `ModelPackage${this.modelVersion.replace(/[^A-Za-z0-9]/g, '')}`, {
        modelPackageGroupName: packageGroupName,
        modelPackageDescription: `${this.modelName} version ${this.modelVersion} (sha256 ${this.storedModel.sha256})`,
        modelApprovalStatus: 'Approved',
        customerMetadataProperties: registryMetadata(this.storedModel, this.goldenAssemblyPath !== undefined),
        inferenceSpecification: this.endpoint ? {
          containers: [{
            image: this.endpoint.imageUri,
            modelDataSource: {
              s3DataSource: { s3Uri: this.storedModel.s3PrefixUrl, s3DataType: 'S3Prefix', compressionType: 'None' },
            },
          }],
          supportedContentTypes: ['application/json'],
          supportedResponseMimeTypes: ['application/json'],
        } : undefined,
      });
      this.modelPackage.applyRemovalPolicy(removalPolicy);
      this.modelPackage.node.addDependency(this.modelPackageGroup);
      this.modelPackage.node.addDependency(this.storedModel.upload);
    }

    // ---- what `modelfleet verify` reads ----
    const target: VerifyTarget = {
      modelfleet: VERIFY_SCHEMA,
      model: this.modelName,
      version: this.modelVersion,
      region: Aws.REGION,
      sagemakerEndpointName: this.endpoint?.endpointName,
      kubernetesServiceUrl: kubernetesOptions.cluster && this.kubernetes ? this.kubernetes.url : undefined,
      kubernetesManifestUrl: this.kubernetes?.manifestUrl,
      bucket: this.storedModel.bucket.bucketName,
      goldenKey: golden ? `${this.storedModel.prefix}golden.json` : undefined,
      goldenAssemblyPath: this.goldenAssemblyPath,
    };
    this.verifyOutput = new CfnOutput(this, 'Verify', {
      value: Stack.of(this).toJsonString(target),
      description: `modelfleet verify: targets of model ${this.modelName}`,
    });
    this.verifyOutput.overrideLogicalId(verifyOutputKey(this.modelName));
  }

  /** Runs the golden request through the model (synth time, onnxruntime-web). */
  private makeGolden(props: ModelFleetProps): GoldenDocument | undefined {
    const contract = this.storedModel.contract;
    const config = (props.goldenRequest ?? GoldenRequest.generated()).bind(this, contract);
    if (!config.requestJson) return undefined;
    const modelPath = this.storedModel.localPath;
    if (!modelPath) {
      Annotations.of(this).addWarningV2('modelfleet:goldenWithoutFile', `model '${this.modelName}' is not a local file, `
        + 'so no golden response is computed at synth and `modelfleet verify` cannot check it; use ModelSource.fromAsset '
        + 'or pass verify a golden.json with --golden');
      return undefined;
    }
    const request = JSON.parse(config.requestJson) as V2InferRequest;
    const job = {
      name: this.modelName, version: this.storedModel.version, modelPath, sha256: this.storedModel.sha256, request,
    };
    const [result] = runGoldenInferences([job]);
    if (!result.response) {
      const message = `the golden request failed on model '${this.modelName}' (${modelPath}): ${result.error}`;
      if (!config.generated) throw new ModelFleetError('GoldenRequestFailed', `${message}; fix the request`, this);
      Annotations.of(this).addWarningV2('modelfleet:goldenFailed', `${message}; give a request that fits with `
        + 'goldenRequest: GoldenRequest.fromFile(path)');
      return undefined;
    }
    return {
      model: this.modelName,
      version: this.storedModel.version,
      request,
      response: result.response,
      tolerance: props.goldenTolerance ?? DEFAULT_GOLDEN_TOLERANCE,
    };
  }

  /** A stored model for an earlier version the store holds: nothing is uploaded. */
  private rollbackModel(version: string, sha256: string, sizeBytes: number, contractJson: string): StoredModel {
    const doc = JSON.parse(contractJson) as { inputs: ModelContract['inputs']; outputs: ModelContract['outputs'] };
    return new StoredModel({
      name: this.modelName,
      version,
      bucket: this.store.bucket,
      sha256,
      sizeBytes,
      contract: ModelContract.of({ inputs: doc.inputs, outputs: doc.outputs }),
      localContractPath: this.writeToAssembly(version, 'contract.json', contractJson).file,
      upload: new DependencyGroup(),
    });
  }

  /** Writes a file under `modelfleet/<name>/<version>/` in the cloud assembly. */
  private writeToAssembly(version: string, fileName: string, contents: string): { file: string; relative: string } {
    const stageDir = Stage.of(this)?.outdir ?? '.';
    const rootDir = (this.node.root as Stage).outdir ?? stageDir;
    const file = path.join(stageDir, path.dirname(goldenAssemblyPath(this.modelName, version)), fileName);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, contents);
    return { file, relative: path.relative(rootDir, file).split(path.sep).join('/') };
  }
}

function kebab(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase();
}

function validate(scope: Construct, props: ModelFleetProps, name: string): void {
  const errors = new FieldErrors();
  if (!Token.isUnresolved(name) && !NAME_PATTERN.test(name)) {
    errors.add('ModelFleetNameInvalid', `modelName '${name}' must be 1 to 63 lower-case letters, digits or '-' (e.g. 'iris'); `
      + 'set modelName or give the construct a simpler id');
  }
  const tol = props.goldenTolerance;
  if (tol !== undefined && Token.isUnresolved(tol)) {
    errors.add('GoldenToleranceInvalid', 'goldenTolerance must be a literal number, not a token: it is written into golden.json at synth');
  } else if (tol !== undefined && !(tol >= 0 && Number.isFinite(tol))) {
    errors.add('GoldenToleranceInvalid', `goldenTolerance must be a finite number >= 0, got ${tol}; e.g. 1e-5`);
  }
  if (props.modelVersion !== undefined && !Token.isUnresolved(props.modelVersion)
    && !/^[A-Za-z0-9._-]{1,64}$/.test(props.modelVersion)) {
    errors.add('ModelVersionInvalid', `modelVersion '${props.modelVersion}' must be 1 to 64 letters, digits, '.', '_' or '-'`);
  }
  if (props.modelVersion !== undefined && Token.isUnresolved(props.modelVersion)) {
    errors.add('ModelVersionUnresolved', 'modelVersion must be a literal version, not a token: the history is read at synth');
  }
  if (props.registryGroupName !== undefined && !Token.isUnresolved(props.registryGroupName)
    && !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(props.registryGroupName)) {
    errors.add('RegistryGroupNameInvalid', `registryGroupName '${props.registryGroupName}' must be 1 to 63 letters, digits or '-', `
      + 'starting and ending with a letter or digit');
  }
  errors.throwIfAny(scope);
}

function groupName(stackName: string, modelName: string): string {
  const raw = `${stackName}-${modelName}`.replace(/[^A-Za-z0-9-]/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  if (raw.length <= 63) return raw;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 8);
  return `${raw.slice(0, 54)}-${hash}`.replace(/-+/g, '-');
}

/** Customer metadata: values may only hold letters, digits, spaces and `_.:/=+-@`, up to 256 characters. */
function registryMetadata(model: StoredModel, hasGolden: boolean): Record<string, string> {
  const clean = (v: string) => v.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, 256);
  const meta: Record<string, string> = {
    'modelfleet:name': model.name,
    'modelfleet:version': model.version,
    'modelfleet:sha256': model.sha256,
    'modelfleet:sizeBytes': String(model.sizeBytes),
    'modelfleet:contract': model.bucket.s3UrlForObject(model.contractKey),
    'modelfleet:model': model.s3Url,
  };
  if (model.contract.opset !== undefined) meta['modelfleet:opset'] = String(model.contract.opset);
  if (hasGolden) meta['modelfleet:golden'] = model.bucket.s3UrlForObject(`${model.prefix}golden.json`);
  const tensors = [
    ...model.contract.inputs.map((t) => [`input:${t.name}`, t] as const),
    ...model.contract.outputs.map((t) => [`output:${t.name}`, t] as const),
  ];
  const room = 49 - Object.keys(meta).length;
  for (const [key, t] of tensors.slice(0, room)) {
    meta[clean(key).slice(0, 128)] = clean(`${t.datatype} ${t.shape.join(' ')}`);
  }
  if (tensors.length > room) meta['modelfleet:tensors'] = `${tensors.length} tensors: see modelfleet:contract`;
  return meta;
}
