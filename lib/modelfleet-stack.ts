import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ModelFleet } from '../constructs/fleet';
import { ModelSource } from '../constructs/model';
import { IModelStore, StoredModel } from '../constructs/model-store';

/** Properties of the default modelfleet stack. */
export interface ModelFleetStackProps extends StackProps {
  /** Path of the ONNX model to deploy (the app passes `models/iris.onnx`). */
  readonly modelPath: string;

  /**
   * Name of the model in the store, the endpoint and the components.
   *
   * @default 'iris'
   */
  readonly modelName?: string;

  /**
   * The version to deploy: an earlier version recorded in the history file rolls back to it.
   *
   * @default - the version of the model file
   */
  readonly modelVersion?: string;

  /**
   * The version history file (what `modelVersion` rolls back with).
   *
   * @default - `ModelFleet`'s default: `modelfleet.history.json` in the current directory
   */
  readonly historyFile?: string;

  /**
   * Record nothing in the history file (tests).
   *
   * @default false
   */
  readonly historyDisabled?: boolean;
}

/**
 * The default app's stack: the model on every target with `ModelFleet`'s defaults: the model store, a SageMaker
 * endpoint, a Kubernetes workload as GitOps YAML, Greengrass components deployed to an edge fleet, the model registry
 * and a golden request. Environment-agnostic: it synthesizes offline, without credentials.
 */
export class ModelFleetStack extends Stack {
  /** The model on all targets: every created resource is a field of it. */
  public readonly fleet: ModelFleet;

  /** The model store. */
  public readonly store: IModelStore;

  /** The stored model. */
  public readonly model: StoredModel;

  constructor(scope: Construct, id: string, props: ModelFleetStackProps) {
    super(scope, id, props);
    this.fleet = new ModelFleet(this, 'Iris', {
      model: ModelSource.fromAsset(props.modelPath),
      modelName: props.modelName ?? 'iris',
      modelVersion: props.modelVersion,
      historyFile: props.historyFile,
      historyDisabled: props.historyDisabled,
    });
    this.store = this.fleet.store;
    this.model = this.fleet.storedModel;
  }
}
