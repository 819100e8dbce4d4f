import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

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
 * Renders a CloudFormation value the way cdk-nag names findings (`<LogicalId.Arn>/models/*`, `<AWS::Partition>`):
 * cdk-nag v3 matches acknowledgements by exact finding id.
 */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const o = node as Record<string, unknown>;
  if (o['Fn::Join']) {
    const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (o['Fn::Sub']) return flatten(o['Fn::Sub']);
  if (o['Fn::GetAtt']) {
    const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (o['Fn::ImportValue']) return flatten(o['Fn::ImportValue']);
  if (o.Ref) return `<${flatten(o.Ref)}>`;
  return JSON.stringify(node);
}

/**
 * Acknowledges the cdk-nag AwsSolutions-IAM5 findings that every SageMaker execution role made by the endpoint has,
 * each with the reason a reviewer reads. Only wildcards the endpoint itself introduces are acknowledged.
 */
export function acknowledgeRoleFindings(role: IConstruct, grants: RoleGrants): void {
  const stack = Stack.of(role);
  const resource = (arn: string) => `AwsSolutions-IAM5[Resource::${flatten(stack.resolve(arn))}]`;
  const ack = (id: string, reason: string) => Validations.of(role).acknowledge({ id, reason });

  for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*']) {
    ack(`AwsSolutions-IAM5[Action::${action}]`, 'Read access granted by StoredModel.grantRead: scoped to this model '
      + 'version\'s prefix (models/<name>/<version>/), which SageMaker downloads to /opt/ml/model.');
  }
  ack(resource(grants.modelObjectsArn), 'The model version\'s objects (model.onnx, contract.json) under its '
    + 'content-addressed prefix: the narrowest resource SageMaker\'s S3Prefix model data can be read with.');
  ack('AwsSolutions-IAM5[Resource::*]', 'ecr:GetAuthorizationToken and cloudwatch:PutMetricData (conditioned on the '
    + '/aws/sagemaker/Endpoints namespace) accept only Resource "*"'
    + (grants.vpc ? '; so do the ec2 network interface actions SageMaker needs to attach the model to the VPC.' : '.'));
  ack(resource(grants.logStreamsArn), 'SageMaker names the log streams (one per instance) at run time, inside this '
    + 'endpoint\'s own log group.');
  if (grants.captureObjectsArn) {
    ack('AwsSolutions-IAM5[Action::s3:Abort*]', 'Write access granted by bucket.grantPut for data capture: '
      + 'multipart upload abort on the capture prefix only.');
    ack(resource(grants.captureObjectsArn), 'SageMaker writes captured requests under '
      + '<prefix><endpoint>/<variant>/yyyy/mm/dd/hh/ with generated names.');
  }
  if (grants.kms) {
    for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
      ack(`AwsSolutions-IAM5[Action::${action}]`, 'Granted by key.grantEncryptDecrypt on the one KMS key given to the '
        + 'endpoint (storage volumes, captured data).');
    }
  }
}
