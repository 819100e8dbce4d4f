import { Stack, Token } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { IConstruct } from 'constructs';
import { acknowledge, Acknowledgement } from '../../core/private/acknowledge';

/**
 * Acknowledgements (cdk-nag AwsSolutions rules and CDK annotations) for the helper resources the model store makes
 * the CDK create: the BucketDeployment upload function, the S3 notifications handler (EventBridge) and the
 * AwsCustomResource that copies bucket models. Each carries the reason a reviewer needs. cdk-nag v3 matches finding
 * ids exactly, so the wildcard resources are spelled the way cdk-nag renders them (`<LogicalId.Arn>/*`).
 */

const LAMBDA_BASIC_EXECUTION =
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';

const LAMBDA_BASIC_REASON =
  'CDK-provided custom resource function: AWSLambdaBasicExecutionRole only lets it write its own CloudWatch logs.';

/** The upload function of `BucketDeployment` (a stack singleton) and its role. */
export function acknowledgeUploadFunction(deployment: s3deploy.BucketDeployment, storeBucket: s3.IBucket,
  assetBucket: s3.IBucket | undefined, kms: boolean): void {
  const role = deployment.handlerRole;
  const stack = Stack.of(deployment);
  const storeArn = `<${stack.resolve((storeBucket.node.defaultChild as s3.CfnBucket | undefined)?.logicalId ?? '')}.Arn>/*`;
  const rules: Acknowledgement[] = [
    { id: LAMBDA_BASIC_EXECUTION, reason: LAMBDA_BASIC_REASON },
    ...['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*'].map((action) => ({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason: 'Granted by the CDK BucketDeployment (read the staged asset zip, sync into the store bucket); ' +
        'scoped to the asset bucket and the model store bucket only.',
    })),
  ];
  const storeReason = 'The upload function writes models/<name>/<version>/ objects (and published deploy-time files) ' +
    'into the model store bucket; the BucketDeployment grants it the bucket, and the objects it writes are content-addressed.';
  if (Stack.of(storeBucket) === stack) {
    rules.push({ id: `AwsSolutions-IAM5[Resource::${storeArn}]`, reason: storeReason });
  } else {
    // A publisher in another stack: the bucket ARN is an import, whose export name exists only once the app is prepared.
    acknowledgeAfterPrepare(deployment, role, () => [{
      id: `AwsSolutions-IAM5[Resource::${flattenReference(stack.resolve(storeBucket.bucketArn))}/*]`, reason: storeReason,
    }]);
  }
  const assetArn = assetBucket ? renderedBucketArn(stack, assetBucket) : undefined;
  if (assetArn) {
    rules.push({
      id: `AwsSolutions-IAM5[Resource::${assetArn}/*]`,
      reason: 'The upload function reads the staged model zip from the CDK bootstrap asset bucket, whose object ' +
        'keys are content hashes known only at synth.',
    });
  }
  if (kms) {
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      rules.push({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: 'KMS actions granted by bucket.grantReadWrite for the store key, so the upload function can write ' +
          'SSE-KMS objects; limited to that one key.',
      });
    }
  }
  acknowledge(deployment, role, ...rules);
  const fn = role.node.scope;
  if (fn) {
    acknowledge(deployment, fn, {
      id: 'AwsSolutions-L1',
      reason: 'The BucketDeployment function and its runtime are provided and pinned by aws-cdk-lib; ' +
        'it is updated with aws-cdk-lib.',
    });
  }
}

/** The S3 bucket notifications handler (stack singleton) that turns on EventBridge. */
export function acknowledgeNotificationsHandler(store: IConstruct): void {
  const stack = Stack.of(store);
  for (const child of stack.node.children) {
    if (!child.node.id.startsWith('BucketNotificationsHandler')) continue;
    const role = child.node.tryFindChild('Role');
    if (role) acknowledge(store, role, { id: LAMBDA_BASIC_EXECUTION, reason: LAMBDA_BASIC_REASON });
  }
}

/** The AwsCustomResource singleton function that copies models from another bucket. */
export function acknowledgeAwsCustomResourceFunction(store: IConstruct): void {
  const stack = Stack.of(store);
  for (const child of stack.node.children) {
    if (!child.node.id.startsWith('AWS679f53fac002430cb0da5b7982bd2287')) continue;
    acknowledge(store, child,
      { id: LAMBDA_BASIC_EXECUTION, reason: LAMBDA_BASIC_REASON },
      {
        id: 'AwsSolutions-L1',
        reason: 'The AwsCustomResource function and its runtime are provided and pinned by aws-cdk-lib.',
      },
    );
  }
}

/** The replication role S3 assumes to copy the store's models to the destination bucket. */
export function acknowledgeReplicationRole(store: IConstruct, storeBucket: s3.IBucket, destination: s3.IBucket): void {
  const role = storeBucket.node.tryFindChild('ReplicationRole');
  if (!role) return;
  const stack = Stack.of(storeBucket);
  const reason = 'Replication copies the models/ objects (and their versions) of the model store to the disaster-recovery ' +
    'bucket; the role the CDK grants for replication reads the source objects and writes the destination objects by ' +
    'bucket-wide object ARNs, while the replication rule\'s filter limits what S3 replicates to models/.';
  const arns = [
    `<${stack.resolve((storeBucket.node.defaultChild as s3.CfnBucket | undefined)?.logicalId ?? '')}.Arn>`,
    renderedBucketArn(stack, destination),
  ];
  acknowledge(store, role, ...arns.filter((a): a is string => a !== undefined)
    .map((arn) => ({ id: `AwsSolutions-IAM5[Resource::${arn}/*]`, reason })));
}

/** `arn:<AWS::Partition>:s3:::<name>` as cdk-nag renders it, or undefined if the name has another shape. */
function renderedBucketArn(stack: Stack, bucket: s3.IBucket): string | undefined {
  const name: unknown = stack.resolve(bucket.bucketName);
  let rendered: string | undefined;
  if (typeof name === 'string' && !Token.isUnresolved(name)) {
    rendered = name;
  } else if (name && typeof name === 'object' && typeof (name as Record<string, unknown>)['Fn::Sub'] === 'string') {
    rendered = ((name as Record<string, string>)['Fn::Sub']).replace(/\$\{([^}]+)\}/g, '<$1>');
  } else if (name && typeof name === 'object' && typeof (name as Record<string, unknown>).Ref === 'string') {
    // A bucket of the same stack: cdk-nag renders its ARN from the bucket's logical id.
    return `<${(name as Record<string, string>).Ref}.Arn>`;
  }
  return rendered === undefined ? undefined : `arn:<AWS::Partition>:s3:::${rendered}`;
}

/**
 * Acknowledges findings whose ids hold values known only once the app is prepared (a cross-stack reference becomes an
 * `Fn::ImportValue` of an export named then): computed when the tree is validated, after `prepare`, before the
 * templates are written. Only on a resource `owner` created (core `acknowledge`).
 */
export function acknowledgeAfterPrepare(owner: IConstruct, resource: IConstruct, rules: () => Acknowledgement[]): void {
  resource.node.addValidation({
    validate: () => {
      acknowledge(owner, resource, ...rules());
      return [];
    },
  });
}

/** A resolved CloudFormation value as one string, the way cdk-nag renders it in a finding id. */
export function flattenReference(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const v = (value ?? {}) as {
    'Fn::Join'?: [string, unknown[]]; 'Fn::Sub'?: unknown; 'Fn::GetAtt'?: unknown[]; 'Fn::ImportValue'?: unknown; Ref?: unknown;
  };
  if (v['Fn::Join']) return v['Fn::Join'][1].map(flattenReference).join(v['Fn::Join'][0]);
  if (v['Fn::Sub']) return flattenReference(v['Fn::Sub']);
  if (v['Fn::GetAtt']) return `<${flattenReference(v['Fn::GetAtt'][0])}.${flattenReference(v['Fn::GetAtt'][1])}>`;
  if (v['Fn::ImportValue']) return flattenReference(v['Fn::ImportValue']);
  if (v.Ref) return `<${flattenReference(v.Ref)}>`;
  return JSON.stringify(value);
}
