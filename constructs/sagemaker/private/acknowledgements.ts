import { Reference, Stack, Tokenization } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Acknowledgement, acknowledge } from '../../core/private/acknowledge';
import { flattenReference } from '../../model-store/private/acknowledgements';

/** What the endpoint granted its own execution role, for the acknowledgements. */
export interface RoleGrants {
  /** ARN pattern of the model's objects (`<bucket>/models/<name>/<version>/*`). */
  readonly modelObjectsArn: string;
  /** ARN pattern of the endpoint's log streams. */
  readonly logStreamsArn: string;
  /** ARN pattern of the captured data, when data capture is on. */
  readonly captureObjectsArn?: string;
  /** True when a KMS key was granted. */
  readonly kms: boolean;
  /** True when the role manages network interfaces in a VPC. */
  readonly vpc: boolean;
}

/**
 * Acknowledges the cdk-nag AwsSolutions-IAM5 findings that every SageMaker execution role made by the endpoint has,
 * each with the reason a reviewer reads. Only wildcards the endpoint itself introduces are acknowledged, and only on a
 * role `owner` created (core `acknowledge()`): a role the user passed in keeps its findings.
 *
 * @param owner the endpoint
 * @param role its execution role
 */
export function acknowledgeRoleFindings(owner: IConstruct, role: IConstruct, grants: RoleGrants): void {
  const stack = Stack.of(role);
  const now: Acknowledgement[] = [];
  const later: Array<() => Acknowledgement> = [];
  const ack = (id: string, reason: string) => now.push({ id, reason });
  // cdk-nag renders the ids (`<LogicalId.Arn>/models/*`, `<AWS::Partition>`) from the template and matches them exactly.
  // An ARN of another stack's resource (the store bucket of a platform stack) becomes an `Fn::ImportValue` of an export
  // named only once the app is prepared: its id is computed then, during validation.
  const resource = (arn: string, reason: string) => {
    const id = () => `AwsSolutions-IAM5[Resource::${flattenReference(stack.resolve(arn))}]`;
    if (referencesOtherStack(stack, arn)) {
      later.push(() => ({ id: id(), reason }));
    } else {
      ack(id(), reason);
    }
  };

  resource(grants.modelObjectsArn, 's3:GetObject (StoredModel.grantRead) on the model version\'s objects '
    + '(model.onnx, contract.json) under its content-addressed prefix models/<name>/<version>/, which SageMaker '
    + 'downloads to /opt/ml/model: the narrowest resource S3Prefix model data can be read with.');
  ack('AwsSolutions-IAM5[Resource::*]', 'ecr:GetAuthorizationToken and cloudwatch:PutMetricData (conditioned on the '
    + '/aws/sagemaker/Endpoints namespace) accept only Resource "*"'
    + (grants.vpc ? '; so do the ec2 network interface actions SageMaker needs to attach the model to the VPC.' : '.'));
  resource(grants.logStreamsArn, 'SageMaker names the log streams (one per instance) at run time, inside this '
    + 'endpoint\'s own log group.');
  if (grants.captureObjectsArn) {
    ack('AwsSolutions-IAM5[Action::s3:Abort*]', 'Write access granted by bucket.grantPut for data capture: '
      + 'multipart upload abort on the capture prefix only.');
    resource(grants.captureObjectsArn, 'SageMaker writes captured requests under '
      + '<prefix><endpoint>/<variant>/yyyy/mm/dd/hh/ with generated names.');
  }
  if (grants.kms) {
    for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
      ack(`AwsSolutions-IAM5[Action::${action}]`, 'Granted by key.grantEncryptDecrypt on the one KMS key given to the '
        + 'endpoint (storage volumes, captured data).');
    }
  }
  const owned = acknowledge(owner, role, ...now);
  if (!owned || later.length === 0) return;
  role.node.addValidation({
    validate: () => {
      acknowledge(owner, role, ...later.map((f) => f()));
      return [];
    },
  });
}

/** True when the value holds a reference to a resource of another stack than `stack`. */
function referencesOtherStack(stack: Stack, value: string): boolean {
  return Tokenization.reverseString(value).tokens.some((token) => token instanceof Reference
    && Stack.of(token.target) !== stack);
}
