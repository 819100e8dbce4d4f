/**
 * Example: the iris model on all three targets: a SageMaker endpoint, an EKS cluster and a fleet of Raspberry Pis.
 *
 *   npm run build && npx cdk synth --app "node dist/examples/iris-fleet.js"
 *
 * The cluster is imported (replace the placeholders with your cluster's name, kubectl role and OIDC provider).
 */
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LogLevel, ModelFleet, ModelSource, SageMakerInstanceType, TrafficShift } from '../constructs';

/** Props of `IrisFleetStack`. */
export interface IrisFleetStackProps extends StackProps {
  /** The ONNX model file. */
  readonly modelFile?: string;
  /** Where the version history lives (commit it: it is what `modelVersion` rolls back with). */
  readonly historyFile?: string;
  /** Roll back to this earlier version. */
  readonly modelVersion?: string;
}

/** The iris model everywhere it must answer. */
export class IrisFleetStack extends Stack {
  /** The fleet: every created resource is a field of it. */
  public readonly fleet: ModelFleet;

  constructor(scope: Construct, id: string, props: IrisFleetStackProps = {}) {
    super(scope, id, props);
    const cluster = eks.Cluster.fromClusterAttributes(this, 'Cluster', {
      clusterName: 'ml-platform',
      kubectlRoleArn: `arn:${this.partition}:iam::${this.account}:role/ml-platform-kubectl`,
      openIdConnectProvider: iam.OpenIdConnectProvider.fromOpenIdConnectProviderArn(this, 'Oidc',
        `arn:${this.partition}:iam::${this.account}:oidc-provider/oidc.eks.${this.region}.amazonaws.com/id/EXAMPLE`),
    });

    this.fleet = new ModelFleet(this, 'Iris', {
      // Relative paths resolve from the current directory: run the app from the project's root, as cdk does.
      model: ModelSource.fromAsset(props.modelFile ?? 'models/iris.onnx'),
      modelVersion: props.modelVersion,
      historyFile: props.historyFile,
      sagemaker: {
        instanceType: SageMakerInstanceType.ML_C6I_LARGE,
        autoscalingMaxCapacity: 4,
        deploymentTrafficShift: TrafficShift.canary(10, Duration.minutes(5)),
        alarmEmail: 'ml-oncall@example.com',
        // the runtime settings have the same names on every target (RuntimeSettings)
        maxBatch: 16,
        logLevel: LogLevel.WARN,
      },
      kubernetes: { cluster, namespaceName: 'default', replicas: 2 },
      edge: { threads: 2, maxBatch: 4, logLevel: LogLevel.WARN },
    });
  }
}

if (require.main === module) {
  const app = new App();
  new IrisFleetStack(app, 'IrisFleet');
  app.synth();
}
