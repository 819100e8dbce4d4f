/**
 * Example: a cluster-only app that writes plain Kubernetes YAML for a GitOps tool (Argo CD, Flux).
 *
 *   npm run build && npx cdk synth --app "node dist/examples/gitops-cluster.js"
 *   ls cdk.out/*.k8s.yaml      # commit these to the repository your GitOps tool watches
 *
 * The YAML must hold only literal values: the stack has an account and a region, the store bucket a name, the image a
 * registry URI, and the pods' IAM role (trusted by your cluster's OIDC provider for the service account
 * `modelfleet-iris` in namespace `ml`) an ARN. `cdk deploy` still creates the store and uploads the model.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ModelFleet, ModelFleetResources, ModelSource, ModelStore, ServingImage } from '../constructs';

/** Props of `GitOpsClusterStack`. */
export interface GitOpsClusterStackProps extends StackProps {
  /** Where the version history lives. */
  readonly historyFile?: string;
}

/** The iris model as GitOps YAML. */
export class GitOpsClusterStack extends Stack {
  /** The fleet. */
  public readonly fleet: ModelFleet;

  constructor(scope: Construct, id: string, props: GitOpsClusterStackProps = {}) {
    super(scope, id, { env: { account: '111111111111', region: 'eu-west-1' }, ...props });
    new ModelFleetResources(this, ModelFleetResources.ID, {
      store: new ModelStore(this, 'Store', { bucketName: `acme-models-${this.account}-${this.region}` }),
      servingImage: ServingImage.fromRegistry('ghcr.io/acme/modelfleet-edge:0.1.0'),
    });
    this.fleet = new ModelFleet(this, 'Iris', {
      model: ModelSource.fromAsset('models/iris.onnx'),
      historyFile: props.historyFile,
      sagemaker: { enabled: false },
      edge: { enabled: false },
      registryEnabled: false,
      kubernetes: {
        serviceAccountRole: iam.Role.fromRoleArn(this, 'PodRole', `arn:aws:iam::${this.account}:role/modelfleet-iris-pods`),
        namespaceName: 'ml',
        replicas: 2,
        autoscalingMaxReplicas: 6,
      },
    });
  }
}

if (require.main === module) {
  const app = new App();
  new GitOpsClusterStack(app, 'IrisGitOps');
  app.synth();
}
