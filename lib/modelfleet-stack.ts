import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ModelSource } from '../constructs/model';
import { ModelStore, StoredModel } from '../constructs/model-store';

/** Properties of the default modelfleet stack. */
export interface ModelFleetStackProps extends StackProps {
  /** Path of the ONNX model to deploy (the app passes `models/iris.onnx`). */
  readonly modelPath: string;

  /**
   * Name of the model in the store.
   *
   * @default 'iris'
   */
  readonly modelName?: string;
}

/** The default app's stack: a model store holding one model. Environment-agnostic. */
export class ModelFleetStack extends Stack {
  /** The model store. */
  public readonly store: ModelStore;

  /** The stored model. */
  public readonly model: StoredModel;

  constructor(scope: Construct, id: string, props: ModelFleetStackProps) {
    super(scope, id, props);
    this.store = new ModelStore(this, 'Store');
    this.model = this.store.addModel(props.modelName ?? 'iris', ModelSource.fromAsset(props.modelPath));
  }
}
