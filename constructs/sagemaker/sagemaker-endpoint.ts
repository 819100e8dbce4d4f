import { Annotations, ArnFormat, Duration, Names, Resource, Size, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ModelFleetError } from '../core/private/modelfleet-error';
import { RuntimeSettings } from '../core/runtime-settings';
import { runtimeEnvironment } from '../core/private/runtime-settings';
import { StoredModel } from '../model-store';
import { DATA_CAPTURE_PREFIX } from '../model-store/private/prefix-read';
import { ServingImage } from '../serving-image';
import { SageMakerInstanceType } from './instance-type';
import { acknowledgeRoleFindings } from './private/acknowledgements';
import { validateProps } from './private/validate-props';
import { TrafficShift, TrafficShiftMode } from './traffic-shift';

/** Instance families with local NVMe instance storage, whose volumes take no KMS key. */
const INSTANCE_STORAGE_TYPES = /^ml\.(c5d|m5d|r5d|g4dn|g5|g6|g6e|p3dn|p4d|p4de|p5|p5e|p5en|trn1|trn1n)\./;
/** SageMaker's largest request payload, the default body limit (MiB; InvokeEndpoint: 6 MB, serverless 4 MB). */
const PAYLOAD_MIB = 6;
const SERVERLESS_PAYLOAD_MIB = 4;
/** The namespace of SageMaker's endpoint invocation metrics. */
const INVOCATION_NAMESPACE = 'AWS/SageMaker';
/** The namespace of SageMaker's per-instance metrics (CPU, memory, disk). */
const INSTANCE_NAMESPACE = '/aws/sagemaker/Endpoints';

/**
 * A SageMaker real-time endpoint serving a model: invoke it (`grantInvoke(grantee)`, from `sagemaker.IEndpoint`), watch
 * it.
 */
export interface ISageMakerEndpoint extends sagemaker.IEndpoint {
  /**
   * The production variant that serves the traffic.
   *
   * @attribute
   */
  readonly variantName: string;

  /** A metric of this endpoint's variant in the `AWS/SageMaker` namespace. */
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Requests sent to the model (sum per period). */
  metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Requests per instance (sum per period): what autoscaling tracks. */
  metricInvocationsPerInstance(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Time the container took to answer, in microseconds (p99 by default). */
  metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Time SageMaker added around the container, in microseconds (p99 by default). */
  metricOverheadLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Requests the model answered with a 4xx status (sum per period). */
  metric4xx(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Requests the model answered with a 5xx status (sum per period). */
  metric5xx(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * The fraction of requests the model answered with a 5xx status (0 to 1: the Average of `Invocation5XXErrors`,
   * which SageMaker reports as 1 for a 5xx answer and 0 for any other).
   */
  metric5xxRate(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** CPU utilization of the instances, in percent of one core times the cores (average). */
  metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Memory utilization of the instances, in percent (average). */
  metricMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/** An existing endpoint, for `SageMakerEndpoint.fromEndpointAttributes()`. */
export interface SageMakerEndpointAttributes {
  /** The endpoint's name. */
  readonly endpointName: string;

  /**
   * The production variant that serves the traffic.
   * @default 'AllTraffic'
   */
  readonly variantName?: string;
}

/**
 * Every tunable setting of a `SageMakerEndpoint`, all optional: how the runtime serves (the inherited
 * `RuntimeSettings`, passed as `MODELFLEET_*` variables), compute, network, encryption, data capture, deployment
 * guardrails, autoscaling, alarms and the dashboard. `ModelFleet` takes these as its SageMaker options and passes them
 * through unchanged.
 */
export interface SageMakerEndpointOptions extends RuntimeSettings {
  /**
   * The endpoint's name (unique in the account and region; changing it replaces the endpoint).
   * @default - a name derived from the construct path (the alarms need it before the endpoint exists)
   */
  readonly endpointName?: string;

  /**
   * The production variant's name; successive updates must keep it (deployment guardrails require it).
   * @default 'AllTraffic'
   */
  readonly variantName?: string;

  /**
   * The execution role SageMaker assumes to fetch the model and image and write logs. A given role gets the same
   * grants added where it is mutable, and keeps its cdk-nag findings for its owner to judge (the endpoint acknowledges
   * findings only on the role it creates).
   * @default - a role that may read only this model's prefix, pull the image and write this endpoint's logs
   */
  readonly role?: iam.IRole;

  // ---- compute: instances (the default) or serverless ----

  /**
   * The instance type of the variant (x86-64 only). SageMaker refuses to change the instance type of an autoscaled
   * variant: to change it, deploy once without the autoscaling* props, then add them back.
   * @default SageMakerInstanceType.ML_C6I_LARGE
   * @see https://aws.amazon.com/sagemaker/pricing/
   */
  readonly instanceType?: SageMakerInstanceType;

  /**
   * The number of instances at creation (at least 1), and the autoscaling minimum unless `autoscalingMinCapacity` is
   * given.
   * @default - autoscalingMinCapacity when given, else 1
   */
  readonly instanceCount?: number;

  /**
   * Serverless inference with this much memory (1024 to 6144 MiB in 1024 MiB steps); setting any `serverless*` prop
   * makes the endpoint serverless (no instances, no autoscaling, no VPC, no network isolation, no data capture).
   * @default - an instance-backed endpoint; 2048 MiB when serverless
   * @see https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html
   */
  readonly serverlessMemorySize?: Size;

  /**
   * The most concurrent invocations of a serverless endpoint (1 to 200).
   * @default - an instance-backed endpoint; 5 when serverless
   */
  readonly serverlessMaxConcurrency?: number;

  /**
   * Pre-warmed concurrency of a serverless endpoint (1 to serverlessMaxConcurrency); with `autoscalingMaxCapacity`
   * it is autoscaled on its utilization (`sagemaker:variant:DesiredProvisionedConcurrency`).
   * @default - no provisioned concurrency (cold starts possible)
   * @see https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-autoscale.html
   */
  readonly serverlessProvisionedConcurrency?: number;

  /**
   * How long SageMaker waits for `GET /ping` to succeed after the container starts (60 to 3600 seconds).
   * @default - the service default (instances only)
   */
  readonly containerStartupHealthCheckTimeout?: Duration;

  /**
   * How long SageMaker may take to download the model to each instance (60 to 3600 seconds).
   * @default - the service default (instances only)
   */
  readonly modelDataDownloadTimeout?: Duration;

  // ---- network ----

  /**
   * Run the container without any network access (the runtime needs none: SageMaker mounts the model).
   * @default - true for instance-backed endpoints, false for serverless ones (unsupported there)
   */
  readonly networkIsolation?: boolean;

  /**
   * The VPC to attach the model's network interfaces to.
   * @default - no VPC (SageMaker's own network)
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets of `vpc` to use.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups for the model's network interfaces in `vpc`.
   * @default - one new security group with outbound access only
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  // ---- encryption and data capture ----

  /**
   * A KMS key for the instances' storage volumes (instance-backed endpoints; not for types with local NVMe storage),
   * captured data and the alarm topic.
   * @default - AWS managed keys (storage volumes), the bucket's encryption (captured data), no topic encryption
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Capture requests and responses to the model store bucket.
   * @default - true when dataCapturePrefix or dataCaptureSamplingPercentage is set, else false
   * @see https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html
   */
  readonly dataCapture?: boolean;

  /**
   * The key prefix for captured data in the store bucket (SageMaker appends `<endpoint>/<variant>/yyyy/mm/dd/hh/`).
   * @default - 'data-capture/<model name>/'
   */
  readonly dataCapturePrefix?: string;

  /**
   * The percentage of requests to capture (1 to 100).
   * @default 100
   */
  readonly dataCaptureSamplingPercentage?: number;

  // ---- runtime settings: inherited from RuntimeSettings (threads, workers, maxBatch, batchDelay, maxQueue,
  // maxBodySize: SageMaker's payload limit by default, 6 MiB or 4 MiB serverless; logLevel) ----

  // ---- deployment guardrails ----

  /**
   * How updates shift traffic to the new fleet (blue/green).
   * @default TrafficShift.allAtOnce(Duration.minutes(5))
   * @see https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails.html
   */
  readonly deploymentTrafficShift?: TrafficShift;

  /**
   * How long the old fleet stays up after the traffic shift completes (0 to 3600 seconds).
   * @default - Duration.seconds(0)
   */
  readonly deploymentTerminationWait?: Duration;

  /**
   * The longest a blue/green update may run (600 to 28800 seconds).
   * @default - the service default
   */
  readonly deploymentMaximumExecutionTimeout?: Duration;

  /**
   * Roll an update back when a rollback alarm (the 5XX error rate and model latency alarms, plus
   * `deploymentRollbackAlarms`) fires during a baking period. The alarms watch the whole endpoint, the old fleet too:
   * while the endpoint is failing, every update rolls back; turn this off for the deployment that fixes it.
   * @default true
   * @see https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html
   */
  readonly deploymentAutoRollback?: boolean;

  /**
   * More CloudWatch alarms that roll an update back, besides the endpoint's own two (at most 10 in all). The
   * execution role may describe them (SageMaker reads them with its role).
   * @default - only the endpoint's 5XX error rate and model latency alarms
   */
  readonly deploymentRollbackAlarms?: cloudwatch.IAlarm[];

  // ---- autoscaling: instances, or a serverless endpoint's provisioned concurrency ----

  /**
   * Autoscale the instances (target tracking on invocations per instance, with the instance count kept across
   * updates). Serverless endpoints scale by themselves; their provisioned concurrency is autoscaled when
   * `autoscalingMaxCapacity` is set.
   * @default - true for instance types that support it (not the burstable `ml.t*`), false for serverless
   * @see https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling.html
   */
  readonly autoscaling?: boolean;

  /**
   * The most instances (or, serverless, the most provisioned concurrency: at most serverlessMaxConcurrency).
   * @default - 4 times autoscalingMinCapacity (4 instances with the defaults); serverless: serverlessMaxConcurrency
   */
  readonly autoscalingMaxCapacity?: number;

  /**
   * The fewest instances (or, serverless, the least provisioned concurrency).
   * @default - instanceCount, else 1; serverless: serverlessProvisionedConcurrency
   */
  readonly autoscalingMinCapacity?: number;

  /**
   * The invocations per instance per minute to hold (`SageMakerVariantInvocationsPerInstance`); measure an
   * instance's sustainable rate and take about half.
   * @default 600
   */
  readonly autoscalingTargetInvocationsPerInstance?: number;

  /**
   * The provisioned concurrency utilization (above 0, at most 1) to hold on a serverless endpoint
   * (`SageMakerVariantProvisionedConcurrencyUtilization`).
   * @default 0.7
   */
  readonly autoscalingTargetProvisionedConcurrencyUtilization?: number;

  /**
   * The wait after a scale-in before the next.
   * @default Duration.minutes(5)
   */
  readonly autoscalingScaleInCooldown?: Duration;

  /**
   * The wait after a scale-out before the next.
   * @default Duration.minutes(1)
   */
  readonly autoscalingScaleOutCooldown?: Duration;

  // ---- alarms and dashboard ----

  /**
   * An e-mail address subscribed to the alarm topic (confirm the subscription from the mail).
   * @default - no subscription
   */
  readonly alarmEmail?: string;

  /**
   * The percentage of requests answered with 5XX above which the endpoint counts as failing (alarm after 2 such
   * minutes in a row): an error rate, so that it means the same on a busy and a quiet endpoint.
   * @default 1
   */
  readonly alarm5xxRatePercent?: number;

  /**
   * The p99 model latency that counts as too slow (alarm after 3 such minutes in a row).
   * @default Duration.seconds(1)
   */
  readonly alarmModelLatencyThreshold?: Duration;

  /**
   * Create a CloudWatch dashboard for the endpoint.
   * @default true
   */
  readonly dashboard?: boolean;
}

/** Properties of a `SageMakerEndpoint`: its options, and what a caller such as `ModelFleet` wires in. */
export interface SageMakerEndpointProps extends SageMakerEndpointOptions {
  /** The model to serve, from the model store (`ModelStore.addModel()`). */
  readonly model: StoredModel;

  /**
   * The container image that serves the model.
   * @default - ServingImage.fromAsset(): the modelfleet runtime built from edge/Dockerfile by `cdk deploy`
   */
  readonly image?: ServingImage;

  /**
   * The topic the alarms notify (`ModelFleet` passes the stack's shared topic).
   * @default - a new topic (encrypted with encryptionKey when given)
   */
  readonly alarmTopic?: sns.ITopic;
}

abstract class SageMakerEndpointBase extends Resource implements ISageMakerEndpoint {
  public abstract readonly endpointName: string;
  public abstract readonly endpointArn: string;
  public abstract readonly variantName: string;

  public get endpointRef(): sagemaker.EndpointReference {
    return { endpointArn: this.endpointArn };
  }

  /** Grants `sagemaker:InvokeEndpoint` on this endpoint to `grantee`. */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:InvokeEndpoint'],
      resourceArns: [this.endpointArn],
    });
  }

  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: INVOCATION_NAMESPACE,
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: this.variantName },
      period: Duration.minutes(1),
      ...props,
    }).attachTo(this);
  }

  public metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocations', { statistic: 'Sum', ...props });
  }

  public metricInvocationsPerInstance(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('InvocationsPerInstance', { statistic: 'Sum', ...props });
  }

  public metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelLatency', { statistic: 'p99', ...props });
  }

  public metricOverheadLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('OverheadLatency', { statistic: 'p99', ...props });
  }

  public metric4xx(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation4XXErrors', { statistic: 'Sum', ...props });
  }

  public metric5xx(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation5XXErrors', { statistic: 'Sum', ...props });
  }

  public metric5xxRate(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    // 1 per 5xx answer, 0 per other answer: the Average is the error rate
    return this.metric('Invocation5XXErrors', { statistic: 'Average', ...props });
  }

  public metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.instanceMetric('CPUUtilization', props);
  }

  public metricMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.instanceMetric('MemoryUtilization', props);
  }

  private instanceMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: INSTANCE_NAMESPACE,
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: this.variantName },
      period: Duration.minutes(1),
      statistic: 'Average',
      ...props,
    }).attachTo(this);
  }
}

/**
 * A SageMaker real-time endpoint that serves one model from the model store with the modelfleet runtime.
 *
 * Model data is the store's uncompressed prefix (`/opt/ml/model/model.onnx` and `contract.json` in the container),
 * updates are blue/green with automatic rollback on the construct's own 5XX and latency alarms, and the minimal
 * deployment is `new SageMakerEndpoint(this, 'Endpoint', { model })`.
 */
export class SageMakerEndpoint extends SageMakerEndpointBase implements ec2.IConnectable {
  /** Imports an existing endpoint by name. */
  public static fromEndpointAttributes(scope: Construct, id: string, attrs: SageMakerEndpointAttributes): ISageMakerEndpoint {
    class Import extends SageMakerEndpointBase {
      public readonly endpointName = attrs.endpointName;
      public readonly variantName = attrs.variantName ?? 'AllTraffic';
      public readonly endpointArn = Stack.of(scope).formatArn({
        service: 'sagemaker',
        resource: 'endpoint',
        // endpoint ARNs carry the name in lower case
        resourceName: Token.isUnresolved(attrs.endpointName) ? attrs.endpointName : attrs.endpointName.toLowerCase(),
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    }
    return new Import(scope, id);
  }

  /** Imports an existing endpoint by name, with the variant 'AllTraffic'. */
  public static fromEndpointName(scope: Construct, id: string, endpointName: string): ISageMakerEndpoint {
    return SageMakerEndpoint.fromEndpointAttributes(scope, id, { endpointName });
  }

  /** The name of the endpoint (generated from the construct path). */
  public readonly endpointName: string;
  /** The ARN of the endpoint. */
  public readonly endpointArn: string;
  /** The production variant that serves the traffic. */
  public readonly variantName: string;

  /** The `AWS::SageMaker::Endpoint`. */
  public readonly cfnEndpoint: sagemaker.CfnEndpoint;
  /** The `AWS::SageMaker::Model` (no physical name: replaced on every model or setting change). */
  public readonly cfnModel: sagemaker.CfnModel;
  /** The `AWS::SageMaker::EndpointConfig` (no physical name: replaced on every change). */
  public readonly cfnEndpointConfig: sagemaker.CfnEndpointConfig;
  /** The execution role SageMaker assumes. */
  public readonly role: iam.IRole;
  /** The image URI the model runs. */
  public readonly imageUri: string;
  /** The S3 prefix the model data comes from (ends with `/`). */
  public readonly modelDataUrl: string;
  /** True when the endpoint is serverless. */
  public readonly serverless: boolean;
  /** The S3 URI captured data goes to; undefined without data capture. */
  public readonly dataCaptureUri?: string;
  /** The security groups of the model's network interfaces (empty without a VPC). */
  public readonly securityGroups: ec2.ISecurityGroup[];
  /** The topic the alarms notify. */
  public readonly alarmTopic: sns.ITopic;
  /** Fires on a 5XX error rate above `alarm5xxRatePercent`; an auto-rollback alarm. */
  public readonly errorAlarm: cloudwatch.Alarm;
  /** Fires on high p99 model latency; an auto-rollback alarm. */
  public readonly latencyAlarm: cloudwatch.Alarm;
  /** The dashboard; undefined when `dashboard: false`. */
  public readonly dashboard?: cloudwatch.Dashboard;
  /** The autoscaling target (instances, or serverless provisioned concurrency); undefined without autoscaling. */
  public readonly scalableTarget?: appscaling.ScalableTarget;
  /**
   * The target tracking policy (invocations per instance, or provisioned concurrency utilization); undefined without
   * autoscaling.
   */
  public readonly scalingPolicy?: appscaling.TargetTrackingScalingPolicy;

  private readonly vpcConnections?: ec2.Connections;

  constructor(scope: Construct, id: string, props: SageMakerEndpointProps) {
    super(scope, id);
    const { model } = props;

    // ---- validate, then resolve defaults ----
    const serverless = props.serverlessMemorySize !== undefined || props.serverlessMaxConcurrency !== undefined
      || props.serverlessProvisionedConcurrency !== undefined;
    const instanceType = props.instanceType ?? SageMakerInstanceType.ML_C6I_LARGE;
    const autoscalingAsked = props.autoscalingMaxCapacity !== undefined || props.autoscalingMinCapacity !== undefined
      || props.autoscalingTargetInvocationsPerInstance !== undefined;
    // Burstable types cannot be autoscaled: the default leaves them alone, an explicit request fails validation.
    const burstable = !Token.isUnresolved(instanceType.name) && instanceType.name.startsWith('ml.t');
    const autoscaling = serverless
      ? (props.autoscaling ?? props.autoscalingMaxCapacity !== undefined)
      : (props.autoscaling ?? (!burstable || autoscalingAsked));
    const minCapacity = props.autoscalingMinCapacity
      ?? (serverless ? props.serverlessProvisionedConcurrency ?? 1 : props.instanceCount ?? 1);
    const maxCapacity = props.autoscalingMaxCapacity
      ?? (serverless ? props.serverlessMaxConcurrency ?? 5 : (Token.isUnresolved(minCapacity) ? minCapacity : 4 * minCapacity));
    const instanceCount = props.instanceCount ?? (autoscaling ? minCapacity : 1);
    validateProps(props, { serverless, autoscaling, minCapacity, maxCapacity, instanceCount }).throwIfAny(this);

    this.serverless = serverless;
    this.variantName = props.variantName ?? 'AllTraffic';
    this.endpointName = props.endpointName
      ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-', allowedSpecialCharacters: '-' });
    const networkIsolation = props.networkIsolation ?? !serverless;
    const dataCapture = props.dataCapture
      ?? (props.dataCapturePrefix !== undefined || props.dataCaptureSamplingPercentage !== undefined);
    const stack = Stack.of(this);

    // ---- the execution role and its grants ----
    this.role = props.role ?? new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `SageMaker execution role of the modelfleet endpoint ${this.endpointName}`,
    });
    model.grantRead(this.role);
    // SageMaker expects the container to run as root (its guide for custom inference containers)
    this.imageUri = (props.image ?? defaultImage()).bind(this, this.role, { runAsRoot: true }).imageUri;
    const logGroupArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `/aws/sagemaker/Endpoints/${this.endpointName}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogGroup'],
      resources: [logGroupArn],
    }));
    const logStreamsArn = `${logGroupArn}:log-stream:*`;
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [logStreamsArn],
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': INSTANCE_NAMESPACE } },
    }));

    // ---- network ----
    let vpcConfig: sagemaker.CfnModel.VpcConfigProperty | undefined;
    this.securityGroups = [];
    if (props.vpc) {
      this.securityGroups = props.securityGroups ?? [new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: props.vpc,
        description: `modelfleet SageMaker endpoint ${this.endpointName}`,
        allowAllOutbound: true,
      })];
      this.vpcConnections = new ec2.Connections({ securityGroups: this.securityGroups });
      vpcConfig = {
        subnets: props.vpc.selectSubnets(props.vpcSubnets).subnetIds,
        securityGroupIds: this.securityGroups.map((sg) => sg.securityGroupId),
      };
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface', 'ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface',
          'ec2:DeleteNetworkInterfacePermission', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeVpcs',
          'ec2:DescribeDhcpOptions', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups',
        ],
        resources: ['*'],
      }));
    }

    // ---- data capture and encryption grants ----
    let dataCaptureConfig: sagemaker.CfnEndpointConfig.DataCaptureConfigProperty | undefined;
    let captureObjectsArn: string | undefined;
    if (dataCapture) {
      const prefix = normalizePrefix(props.dataCapturePrefix ?? `${DATA_CAPTURE_PREFIX}${model.name}/`);
      if (model.store !== undefined && !Token.isUnresolved(prefix) && !prefix.startsWith(DATA_CAPTURE_PREFIX)) {
        Annotations.of(this).addWarningV2('modelfleet:sagemaker-capture-outside-retention', `captured requests go to `
          + `${prefix}, outside ${DATA_CAPTURE_PREFIX}, so the model store's dataCaptureRetention rule does not expire `
          + `them; use a prefix under ${DATA_CAPTURE_PREFIX} or add a lifecycle rule of your own`);
      }
      captureObjectsArn = model.bucket.arnForObjects(`${prefix}*`);
      this.dataCaptureUri = model.bucket.s3UrlForObject(prefix);
      model.bucket.grantPut(this.role, `${prefix}*`);
      dataCaptureConfig = {
        enableCapture: true,
        initialSamplingPercentage: props.dataCaptureSamplingPercentage ?? 100,
        destinationS3Uri: this.dataCaptureUri,
        captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
        captureContentTypeHeader: { jsonContentTypes: ['application/json'] },
        kmsKeyId: props.encryptionKey?.keyArn,
      };
    }
    if (props.encryptionKey) {
      if (!serverless && !Token.isUnresolved(instanceType.name) && INSTANCE_STORAGE_TYPES.test(instanceType.name)) {
        Annotations.of(this).addWarningV2('modelfleet:sagemaker-kms-instance-storage', `${instanceType.name} has local `
          + 'NVMe storage, which SageMaker encrypts itself and for which it rejects a KmsKeyId: creating the endpoint '
          + 'config will fail; remove encryptionKey or use an instance type without instance storage (e.g. ml.c6i.large)');
      }
      props.encryptionKey.grantEncryptDecrypt(this.role);
      props.encryptionKey.grant(this.role, 'kms:DescribeKey');
      // SageMaker creates grants on the key for the volumes it attaches: only for AWS resources
      // (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource)
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [props.encryptionKey.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': true } },
      }));
    }

    // ---- the model ----
    this.modelDataUrl = model.bucket.s3UrlForObject(normalizePrefix(model.prefix));
    const environment = containerEnvironment(props, model, serverless);
    this.cfnModel = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: this.role.roleArn,
      primaryContainer: {
        image: this.imageUri,
        mode: 'SingleModel',
        modelDataSource: {
          s3DataSource: { s3Uri: this.modelDataUrl, s3DataType: 'S3Prefix', compressionType: 'None' },
        },
        environment,
      },
      enableNetworkIsolation: networkIsolation,
      vpcConfig,
    });
    // the model must not be created before the role's policies exist (aws-cdk #10064), nor before its objects
    this.cfnModel.node.addDependency(this.role);
    this.cfnModel.node.addDependency(model.upload);

    // ---- the endpoint config ----
    const variant: sagemaker.CfnEndpointConfig.ProductionVariantProperty = serverless
      ? {
        variantName: this.variantName,
        modelName: this.cfnModel.attrModelName,
        serverlessConfig: {
          memorySizeInMb: (props.serverlessMemorySize ?? Size.mebibytes(2048)).toMebibytes(),
          maxConcurrency: props.serverlessMaxConcurrency ?? 5,
          provisionedConcurrency: props.serverlessProvisionedConcurrency,
        },
      }
      : {
        variantName: this.variantName,
        modelName: this.cfnModel.attrModelName,
        instanceType: instanceType.name,
        initialInstanceCount: instanceCount,
        initialVariantWeight: 1,
        containerStartupHealthCheckTimeoutInSeconds: props.containerStartupHealthCheckTimeout?.toSeconds(),
        modelDataDownloadTimeoutInSeconds: props.modelDataDownloadTimeout?.toSeconds(),
      };
    this.cfnEndpointConfig = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', {
      productionVariants: [variant],
      kmsKeyId: serverless ? undefined : props.encryptionKey?.keyArn,
      dataCaptureConfig,
    });

    // ---- alarms (created before the endpoint: its rollback configuration names them) ----
    if (props.alarmTopic) {
      this.alarmTopic = props.alarmTopic;
    } else {
      const topic = new sns.Topic(this, 'AlarmTopic', {
        displayName: `modelfleet endpoint ${this.endpointName} alarms`,
        masterKey: props.encryptionKey,
        enforceSSL: true,
      });
      if (props.encryptionKey) {
        // CloudWatch must be able to publish to the encrypted topic
        props.encryptionKey.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
      }
      this.alarmTopic = topic;
    }
    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    // The error rate, not a count: the same threshold holds on a busy and a quiet endpoint, and during a canary the
    // share of errors is what tells a bad new fleet (deployment-guardrails-configuration: "average error rate").
    const errorRatePercent = props.alarm5xxRatePercent ?? 1;
    this.errorAlarm = this.metric5xxRate().createAlarm(this, 'Errors5xxAlarm', {
      alarmDescription: `${this.endpointName}: more than ${errorRatePercent} % of the requests answered with 5XX `
        + '(rolls updates back)',
      threshold: Token.isUnresolved(errorRatePercent) ? errorRatePercent : errorRatePercent / 100,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // ModelLatency is reported in microseconds
    const latencyThresholdMicros = (props.alarmModelLatencyThreshold ?? Duration.seconds(1)).toMilliseconds() * 1000;
    this.latencyAlarm = this.metricModelLatency().createAlarm(this, 'ModelLatencyAlarm', {
      alarmDescription: `${this.endpointName}: p99 model latency is too high (rolls updates back)`,
      threshold: latencyThresholdMicros,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [this.errorAlarm, this.latencyAlarm]) {
      alarm.addAlarmAction(new cwActions.SnsAction(this.alarmTopic));
      alarm.addOkAction(new cwActions.SnsAction(this.alarmTopic));
    }
    const autoRollback = props.deploymentAutoRollback ?? true;
    const rollbackAlarms: cloudwatch.IAlarm[] = [this.errorAlarm, this.latencyAlarm, ...props.deploymentRollbackAlarms ?? []];
    if (autoRollback) {
      // SageMaker reads the rollback alarms with the execution role (deployment-guardrails-configuration: "Ensure that
      // your IAM execution role has permission to perform the cloudwatch:DescribeAlarms action on the auto-rollback
      // alarms you specify")
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['cloudwatch:DescribeAlarms'],
        resources: rollbackAlarms.map((alarm) => alarm.alarmArn),
      }));
      // A bake shorter than the alarms' evaluation window ends before they can fire: that step cannot roll back.
      const alarmWindow = Math.max(...[this.errorAlarm, this.latencyAlarm].map((a) => alarmWindowSeconds(a)));
      const shiftWait = (props.deploymentTrafficShift ?? TrafficShift.allAtOnce()).waitInterval.toSeconds();
      if (!Token.isUnresolved(shiftWait) && shiftWait < alarmWindow) {
        Annotations.of(this).addWarningV2('modelfleet:sagemaker-bake-shorter-than-alarms', `the traffic shift bakes `
          + `${shiftWait} s, but the rollback alarms need ${alarmWindow} s of bad data to fire, so a bad update can pass `
          + `its bake and will not roll back; bake at least Duration.seconds(${alarmWindow})`);
      }
    }

    // ---- the endpoint ----
    const shift = props.deploymentTrafficShift ?? TrafficShift.allAtOnce();
    this.cfnEndpoint = new sagemaker.CfnEndpoint(this, 'Resource', {
      endpointName: this.endpointName,
      endpointConfigName: this.cfnEndpointConfig.attrEndpointConfigName,
      deploymentConfig: {
        blueGreenUpdatePolicy: {
          trafficRoutingConfiguration: {
            type: shift.mode,
            waitIntervalInSeconds: shift.waitInterval.toSeconds(),
            canarySize: shift.mode === TrafficShiftMode.CANARY ? { type: shift.unit!, value: shift.size! } : undefined,
            linearStepSize: shift.mode === TrafficShiftMode.LINEAR ? { type: shift.unit!, value: shift.size! } : undefined,
          },
          terminationWaitInSeconds: props.deploymentTerminationWait?.toSeconds(),
          maximumExecutionTimeoutInSeconds: props.deploymentMaximumExecutionTimeout?.toSeconds(),
        },
        autoRollbackConfiguration: autoRollback
          ? { alarms: rollbackAlarms.map((alarm) => ({ alarmName: alarm.alarmName })) }
          : undefined,
      },
      // keep the instance count (or provisioned concurrency) autoscaling chose across updates (aws-cdk #23151), but
      // apply new weights. DataCaptureConfig cannot be excluded ("Not currently supported", API_VariantProperty).
      retainAllVariantProperties: autoscaling ? true : undefined,
      excludeRetainedVariantProperties: autoscaling ? [{ variantPropertyType: 'DesiredWeight' }] : undefined,
    });
    this.endpointArn = this.cfnEndpoint.ref;

    // ---- autoscaling ----
    if (autoscaling) {
      this.scalableTarget = new appscaling.ScalableTarget(this, 'ScalableTarget', {
        serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
        resourceId: `endpoint/${this.endpointName}/variant/${this.variantName}`,
        scalableDimension: serverless
          ? 'sagemaker:variant:DesiredProvisionedConcurrency'
          : 'sagemaker:variant:DesiredInstanceCount',
        minCapacity,
        maxCapacity,
        // Application Auto Scaling's own service-linked role for SageMaker (it creates it on first use) instead of an
        // empty role of ours; "To automatically create a service-linked role (recommended), specify the full ARN of
        // the service-linked role" (AWS::ApplicationAutoScaling::ScalableTarget RoleARN,
        // application-auto-scaling-service-linked-roles.html)
        role: iam.Role.fromRoleArn(this, 'ScalingRole', stack.formatArn({
          service: 'iam',
          region: '',
          resource: 'role',
          resourceName: 'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/'
            + 'AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
        }), { mutable: false }),
      });
      this.scalableTarget.node.addDependency(this.cfnEndpoint);
      const cooldowns = {
        scaleInCooldown: props.autoscalingScaleInCooldown ?? Duration.minutes(5),
        scaleOutCooldown: props.autoscalingScaleOutCooldown ?? Duration.minutes(1),
      };
      this.scalingPolicy = serverless
        // serverless-endpoints-autoscale.html (aws-cdk #29065)
        ? this.scalableTarget.scaleToTrackMetric('ProvisionedConcurrencyUtilization', {
          predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_PROVISIONED_CONCURRENCY_UTILIZATION,
          targetValue: props.autoscalingTargetProvisionedConcurrencyUtilization ?? 0.7,
          ...cooldowns,
        })
        : this.scalableTarget.scaleToTrackMetric('InvocationsPerInstance', {
          predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
          targetValue: props.autoscalingTargetInvocationsPerInstance ?? 600,
          ...cooldowns,
        });
    }

    // only the role this endpoint created: a given role keeps its findings (core acknowledge() checks it)
    acknowledgeRoleFindings(this, this.role, {
      modelObjectsArn: model.bucket.arnForObjects(`${model.prefix}*`),
      logStreamsArn,
      captureObjectsArn,
      kms: props.encryptionKey !== undefined,
      vpc: props.vpc !== undefined,
    });

    // ---- dashboard ----
    if (props.dashboard ?? true) {
      this.dashboard = this.createDashboard(serverless, latencyThresholdMicros);
    }
  }

  /**
   * The network connections of the model's interfaces in `vpc` (its `securityGroups`), e.g. for
   * `database.connections.allowDefaultPortFrom(endpoint)`. Only an endpoint in a VPC has them.
   */
  public get connections(): ec2.Connections {
    if (this.vpcConnections === undefined) {
      throw new ModelFleetError('EndpointConnectionsWithoutVpc', 'the endpoint has no network connections to manage: it '
        + 'runs in SageMaker\'s own network; give it a vpc (instance-backed endpoints only)', this);
    }
    return this.vpcConnections;
  }

  private createDashboard(serverless: boolean, latencyThresholdMicros: number): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard');
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Invocations and errors',
        left: [this.metricInvocations()],
        right: [this.metric4xx(), this.metric5xx()],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Latency (microseconds)',
        left: [
          this.metricModelLatency({ statistic: 'p50', label: 'model p50' }),
          this.metricModelLatency({ statistic: 'p99', label: 'model p99' }),
          this.metricOverheadLatency({ statistic: 'p99', label: 'overhead p99' }),
        ],
        leftAnnotations: [{ value: latencyThresholdMicros, label: 'latency alarm' }],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      serverless
        ? new cloudwatch.GraphWidget({
          title: 'Cold starts (ModelSetupTime, microseconds)',
          left: [this.metric('ModelSetupTime', { statistic: 'Maximum' })],
          width: 12,
        })
        : new cloudwatch.GraphWidget({
          title: 'Instances',
          left: [this.metricCpuUtilization(), this.metricMemoryUtilization()],
          right: [this.metricInvocationsPerInstance()],
          width: 12,
        }),
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms (auto-rollback)',
        alarms: [this.errorAlarm, this.latencyAlarm],
        width: 12,
      }),
    );
    return dashboard;
  }
}

let sharedDefaultImage: ServingImage | undefined;

/** The runtime image from edge/Dockerfile, shared by every endpoint so that a stack holds one image asset. */
function defaultImage(): ServingImage {
  sharedDefaultImage ??= ServingImage.fromAsset();
  return sharedDefaultImage;
}

/** How long an alarm needs breaching data before it fires: its evaluation periods times its period. */
function alarmWindowSeconds(alarm: cloudwatch.Alarm): number {
  const cfn = alarm.node.defaultChild as cloudwatch.CfnAlarm;
  return (cfn.evaluationPeriods ?? 1) * (cfn.period ?? 60);
}

/** `models/iris/abc/` stays as is; `x` becomes `x/`; a leading `/` is dropped. */
function normalizePrefix(prefix: string): string {
  if (Token.isUnresolved(prefix)) return prefix;
  const trimmed = prefix.replace(/^\/+/, '');
  return trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

/**
 * The container environment: SageMaker's fixed variables, then the runtime settings that are set as `MODELFLEET_*`
 * variables (core's one contract), with SageMaker's payload limit as the body limit unless `maxBodySize` is given.
 */
function containerEnvironment(settings: RuntimeSettings, model: StoredModel, serverless: boolean): { [key: string]: string } {
  return {
    MODELFLEET_HOST: '0.0.0.0',
    MODELFLEET_PORT: '8080',
    MODELFLEET_NAME: model.name,
    MODELFLEET_MODEL_VERSION: model.version,
    // the model never changes under a running container: a new version is a new SageMaker model
    MODELFLEET_WATCH: 'false',
    ...runtimeEnvironment({
      ...settings,
      maxBodySize: settings.maxBodySize ?? Size.mebibytes(serverless ? SERVERLESS_PAYLOAD_MIB : PAYLOAD_MIB),
    }),
  };
}
