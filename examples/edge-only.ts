/**
 * Example: models for a fleet of Raspberry Pis only (no cloud endpoint, no cluster), with a cautious staged rollout.
 *
 *   npm run build && npx cdk synth --app "node dist/examples/edge-only.js"
 *
 * A Pi joins the fleet with `npx modelfleet pi-bootstrap` (see the edge fleet section of the README); each model
 * listens on its own port on the device (8080, 8081, ...).
 */
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ModelFleet, ModelFleetResources, ModelSource } from '../constructs';
import { DeploymentFailureHandling, EdgeFleet } from '../constructs/greengrass';

/** Props of `EdgeOnlyStack`. */
export interface EdgeOnlyStackProps extends StackProps {
  /** The model files, by model name. */
  readonly models?: Record<string, string>;
  /** Where the version history lives. */
  readonly historyFile?: string;
}

/** Models on the Pis only. */
export class EdgeOnlyStack extends Stack {
  /** The fleet of devices. */
  public readonly edgeFleet: EdgeFleet;
  /** One `ModelFleet` per model. */
  public readonly models: ModelFleet[];

  constructor(scope: Construct, id: string, props: EdgeOnlyStackProps = {}) {
    super(scope, id, props);
    this.edgeFleet = new EdgeFleet(this, 'Pis', {
      thingGroupName: 'shop-floor-pis',
      deploymentFailureHandling: DeploymentFailureHandling.ROLLBACK,
      rolloutBaseRatePerMinute: 1,
      rolloutIncrementFactor: 2,
      rolloutMaximumPerMinute: 10,
      rolloutAbortThresholdPercent: 10,
      rolloutAbortMinExecutedThings: 5,
      rolloutInProgressTimeout: Duration.minutes(30),
    });
    // Every model of the stack goes to this fleet, and the runtime components are shared.
    new ModelFleetResources(this, ModelFleetResources.ID, { edgeFleet: this.edgeFleet });

    const models = props.models ?? { iris: 'models/iris.onnx' };
    this.models = Object.entries(models).map(([name, file]) => new ModelFleet(this, name, {
      model: ModelSource.fromAsset(file),
      modelName: name,
      historyFile: props.historyFile,
      sagemaker: { enabled: false },
      kubernetes: { enabled: false },
      // Listen on the LAN so that the shop-floor app can call the Pi (the default is 127.0.0.1).
      edge: { host: '0.0.0.0', threads: 2, tokenFile: '/etc/modelfleet/token' },
    }));
  }
}

if (require.main === module) {
  const app = new App();
  new EdgeOnlyStack(app, 'EdgeOnly');
  app.synth();
}
