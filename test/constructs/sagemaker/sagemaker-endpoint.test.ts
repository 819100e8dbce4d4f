import { CfnParameter, Duration, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';
import { LogLevel, RuntimeSettings } from '../../../constructs/core';
import { ModelFleetError } from '../../../constructs/core/private/modelfleet-error';
import {
  SageMakerEndpoint, SageMakerEndpointOptions, SageMakerEndpointProps, SageMakerInstanceType, TrafficShift,
} from '../../../constructs/sagemaker';
import { IMAGE_URI, newStack, storedModel, TEST_IMAGE } from './fixtures';
import { modelFleetErrorOf } from '../../helpers/construct-errors';

type Extra = Omit<SageMakerEndpointProps, 'model'>;
/** Props, or props built in the test's stack (for props that need constructs). */
type ExtraOf = Extra | ((stack: Stack) => Extra);

function synth(extra: ExtraOf = {}): { stack: Stack; endpoint: SageMakerEndpoint; template: Template } {
  const { stack } = newStack();
  const props = typeof extra === 'function' ? extra(stack) : extra;
  const endpoint = new SageMakerEndpoint(stack, 'Endpoint', { model: storedModel(stack), image: TEST_IMAGE, ...props });
  return { stack, endpoint, template: Template.fromStack(stack) };
}

function only(template: Template, type: string): { Properties: Record<string, unknown>; DependsOn?: string[] } {
  const found = Object.values(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0] as { Properties: Record<string, unknown>; DependsOn?: string[] };
}

function errorOf(extra: ExtraOf): ModelFleetError {
  return modelFleetErrorOf(() => synth(extra));
}

/** Every statement of every IAM policy in the template. */
function statements(template: Template): Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }> {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

function actions(template: Template): string[] {
  return statements(template).flatMap((s) => ([] as string[]).concat(s.Action));
}

describe('SageMakerEndpoint', () => {
  describe('minimal deployment', () => {
    test('is one new statement with only the model, serving the runtime image built from the asset', () => {
      const { stack } = newStack();
      const endpoint = new SageMakerEndpoint(stack, 'Endpoint', { model: storedModel(stack) });
      const template = Template.fromStack(stack);
      const model = only(template, 'AWS::SageMaker::Model');
      expect(JSON.stringify(model.Properties.PrimaryContainer)).toContain('container-assets');
      // the execution role may pull the asset image
      expect(actions(template)).toEqual(expect.arrayContaining(['ecr:BatchGetImage', 'ecr:GetAuthorizationToken']));
      expect(endpoint.serverless).toBe(false);
      template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    });

    test('endpoints with the default image share one image asset per stack', () => {
      const { stack } = newStack();
      const model = storedModel(stack);
      const a = new SageMakerEndpoint(stack, 'A', { model });
      const b = new SageMakerEndpoint(stack, 'B', { model });
      expect(b.imageUri).toBe(a.imageUri);
      expect(stack.node.findAll().filter((c) => c instanceof ecrAssets.DockerImageAsset)).toHaveLength(1);
    });
  });

  describe('model', () => {
    test('reads the store prefix as uncompressed S3 data (URI ending in /) with network isolation on', () => {
      const { template } = synth();
      template.hasResourceProperties('AWS::SageMaker::Model', {
        ModelName: Match.absent(),
        EnableNetworkIsolation: true,
        VpcConfig: Match.absent(),
        PrimaryContainer: {
          Image: IMAGE_URI,
          Mode: 'SingleModel',
          ModelDataUrl: Match.absent(),
          ModelDataSource: {
            S3DataSource: {
              S3DataType: 'S3Prefix',
              CompressionType: 'None',
              S3Uri: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^Store') }, '/models/iris/3f2a9c1b7d4e/']] },
            },
          },
        },
      });
    });

    test('passes the runtime settings as MODELFLEET_* environment, listening on 0.0.0.0:8080', () => {
      const { template } = synth({
        threads: 2, workers: 1, maxBatch: 16, batchDelay: Duration.millis(5),
        maxQueue: 128, maxBodySize: Size.mebibytes(5), logLevel: LogLevel.WARN,
      });
      const model = only(template, 'AWS::SageMaker::Model');
      expect((model.Properties.PrimaryContainer as { Environment: unknown }).Environment).toEqual({
        MODELFLEET_HOST: '0.0.0.0',
        MODELFLEET_PORT: '8080',
        MODELFLEET_NAME: 'iris',
        MODELFLEET_MODEL_VERSION: '3f2a9c1b7d4e',
        MODELFLEET_WATCH: 'false',
        MODELFLEET_MAX_BODY_MB: '5',
        MODELFLEET_THREADS: '2',
        MODELFLEET_WORKERS: '1',
        MODELFLEET_MAX_BATCH: '16',
        MODELFLEET_BATCH_DELAY_MS: '5',
        MODELFLEET_MAX_QUEUE: '128',
        MODELFLEET_LOG_LEVEL: 'warn',
      });
    });

    test('passes only SageMaker\'s fixed variables and its 6 MiB payload limit when no runtime setting is given', () => {
      const { template } = synth();
      const model = only(template, 'AWS::SageMaker::Model');
      expect((model.Properties.PrimaryContainer as { Environment: unknown }).Environment).toEqual({
        MODELFLEET_HOST: '0.0.0.0',
        MODELFLEET_PORT: '8080',
        MODELFLEET_NAME: 'iris',
        MODELFLEET_MODEL_VERSION: '3f2a9c1b7d4e',
        MODELFLEET_WATCH: 'false',
        MODELFLEET_MAX_BODY_MB: '6',
      });
    });

    test('takes the same RuntimeSettings as every target, passed through as options the way ModelFleet does', () => {
      const settings: RuntimeSettings = { threads: 4, maxBodySize: Size.kibibytes(1536), logLevel: LogLevel.DEBUG };
      const options: SageMakerEndpointOptions = { ...settings, instanceCount: 2, dashboard: false };
      const { stack } = newStack();
      new SageMakerEndpoint(stack, 'Endpoint', { ...options, model: storedModel(stack), image: TEST_IMAGE });
      const template = Template.fromStack(stack);
      expect((only(template, 'AWS::SageMaker::Model').Properties.PrimaryContainer as { Environment: unknown }).Environment)
        .toEqual(expect.objectContaining({ MODELFLEET_THREADS: '4', MODELFLEET_MAX_BODY_MB: '1.5', MODELFLEET_LOG_LEVEL: 'debug' }));
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    });

    test('keeps every tunable prop in SageMakerEndpointOptions: the props add only the model, image and alarm topic', () => {
      // a compile-time check: the record must name exactly the props that are not options
      const wiring: Record<Exclude<keyof SageMakerEndpointProps, keyof SageMakerEndpointOptions>, true> = {
        model: true, image: true, alarmTopic: true,
      };
      expect(Object.keys(wiring).sort()).toEqual(['alarmTopic', 'image', 'model']);
    });

    test('depends on the execution role and its policy (aws-cdk #10064) and on the model upload', () => {
      const { stack, template } = synth();
      const model = only(template, 'AWS::SageMaker::Model');
      const policyId = Object.keys(template.findResources('AWS::IAM::Policy'))[0];
      const roleId = Object.keys(template.findResources('AWS::IAM::Role'))[0];
      expect(model.DependsOn).toEqual(expect.arrayContaining([policyId, roleId]));
      const sm = stack.node.findChild('Endpoint') as SageMakerEndpoint;
      const deps = sm.cfnModel.node.dependencies.map((d) => d.node.path);
      expect(deps).toContain('Stack/Upload');
    });
  });

  describe('execution role', () => {
    test('may read only this model\'s prefix and write only this endpoint\'s logs', () => {
      const { template } = synth();
      const all = statements(template);
      const s3Read = all.find((s) => ([] as string[]).concat(s.Action).includes('s3:GetObject'));
      expect(JSON.stringify(s3Read!.Resource)).toContain('/models/iris/3f2a9c1b7d4e/*');
      expect(actions(template)).not.toContain('s3:PutObject');
      const logs = all.filter((s) => JSON.stringify(s.Action).includes('logs:'));
      expect(logs).toHaveLength(2);
      for (const s of logs) {
        expect(JSON.stringify(s.Resource)).toContain('log-group:/aws/sagemaker/Endpoints/Stack-Endpoint-');
      }
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'sagemaker.amazonaws.com' } })] },
      });
    });

    test('uses a given role and adds the grants to it', () => {
      const { stack } = newStack();
      const role = new iam.Role(stack, 'MyRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
      const endpoint = new SageMakerEndpoint(stack, 'Endpoint', { model: storedModel(stack), image: TEST_IMAGE, role });
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::IAM::Role', 1);
      expect(endpoint.role).toBe(role);
      template.hasResourceProperties('AWS::SageMaker::Model', {
        ExecutionRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MyRole'), 'Arn'] },
      });
      const policyId = Object.keys(template.findResources('AWS::IAM::Policy'))[0];
      expect(policyId).toMatch(/^MyRoleDefaultPolicy/);
      expect(only(template, 'AWS::SageMaker::Model').DependsOn).toEqual(expect.arrayContaining([policyId]));
    });
    test('acknowledges the cdk-nag findings of the role it creates, and none on a given role', () => {
      const acknowledged = (c: IConstruct) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules')
        .flatMap((m) => Object.keys(m.data as Record<string, string>));
      const { app, stack } = newStack();
      const model = storedModel(stack);
      const own = new SageMakerEndpoint(stack, 'Own', { model, image: TEST_IMAGE });
      const role = new iam.Role(stack, 'MyRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
      const given = new SageMakerEndpoint(stack, 'Given', { model, image: TEST_IMAGE, role });
      app.synth();
      expect(acknowledged(own.role)).toEqual(expect.arrayContaining(['Annotation::AwsSolutions-IAM5[Resource::*]']));
      expect(given.role).toBe(role);
      expect(acknowledged(role)).toEqual([]);
      expect(role.node.findAll().flatMap(acknowledged)).toEqual([]);
    });
  });

  describe('network', () => {
    test('attaches to the VPC\'s private subnets with a new security group and lets the role manage ENIs', () => {
      const { stack } = newStack();
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ] });
      const endpoint = new SageMakerEndpoint(stack, 'Endpoint', { model: storedModel(stack), image: TEST_IMAGE, vpc });
      const template = Template.fromStack(stack);
      expect(endpoint.securityGroups).toHaveLength(1);
      const model = only(template, 'AWS::SageMaker::Model');
      const vpcConfig = model.Properties.VpcConfig as { Subnets: unknown[]; SecurityGroupIds: unknown[] };
      expect(vpcConfig.Subnets).toHaveLength(2);
      expect(vpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^EndpointSecurityGroup/), 'GroupId'] }]);
      expect(model.Properties.EnableNetworkIsolation).toBe(true);
      expect(actions(template)).toContain('ec2:CreateNetworkInterface');
    });

    test('opens a peer\'s security group to the model\'s interfaces through connections (ec2.IConnectable)', () => {
      const { stack } = newStack();
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ] });
      const endpoint = new SageMakerEndpoint(stack, 'Endpoint', { model: storedModel(stack), image: TEST_IMAGE, vpc });
      const database = new ec2.SecurityGroup(stack, 'Database', { vpc });
      database.connections.allowFrom(endpoint, ec2.Port.tcp(5432));
      expect(endpoint.connections.securityGroups).toEqual(endpoint.securityGroups);
      Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432,
        GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Database'), 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EndpointSecurityGroup'), 'GroupId'] },
      });
    });

    test('fails when connections is used on an endpoint without a VPC', () => {
      const { endpoint } = synth();
      expect(modelFleetErrorOf(() => endpoint.connections).code).toBe('EndpointConnectionsWithoutVpc');
    });

    test('turns network isolation off when asked', () => {
      const { template } = synth({ networkIsolation: false });
      template.hasResourceProperties('AWS::SageMaker::Model', { EnableNetworkIsolation: false });
    });
  });

  describe('endpoint config', () => {
    test('defaults to one ml.c6i.large instance, without a physical name', () => {
      const { template } = synth();
      template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        EndpointConfigName: Match.absent(),
        KmsKeyId: Match.absent(),
        DataCaptureConfig: Match.absent(),
        ProductionVariants: [{
          VariantName: 'AllTraffic',
          InstanceType: 'ml.c6i.large',
          InitialInstanceCount: 1,
          InitialVariantWeight: 1,
          ModelName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EndpointModel'), 'ModelName'] },
          ServerlessConfig: Match.absent(),
        }],
      });
    });

    test('takes the instance type, count and container timeouts', () => {
      const { template } = synth({
        instanceType: SageMakerInstanceType.ML_C6I_XLARGE, instanceCount: 3,
        containerStartupHealthCheckTimeout: Duration.minutes(2), modelDataDownloadTimeout: Duration.minutes(10),
      });
      template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        ProductionVariants: [Match.objectLike({
          InstanceType: 'ml.c6i.xlarge', InitialInstanceCount: 3,
          ContainerStartupHealthCheckTimeoutInSeconds: 120, ModelDataDownloadTimeoutInSeconds: 600,
        })],
      });
    });

    test('serverless: memory and concurrency, no instances, no network isolation, a 4 MiB body limit', () => {
      const { endpoint, template } = synth({
        serverlessMemorySize: Size.mebibytes(3072), serverlessMaxConcurrency: 20, serverlessProvisionedConcurrency: 2,
      });
      expect(endpoint.serverless).toBe(true);
      template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        ProductionVariants: [{
          VariantName: 'AllTraffic',
          ModelName: Match.anyValue(),
          ServerlessConfig: { MemorySizeInMB: 3072, MaxConcurrency: 20, ProvisionedConcurrency: 2 },
        }],
      });
      const model = only(template, 'AWS::SageMaker::Model');
      expect(model.Properties.EnableNetworkIsolation).toBe(false);
      expect(JSON.stringify(model.Properties.PrimaryContainer)).toContain('"MODELFLEET_MAX_BODY_MB":"4"');
    });

    test('serverless defaults to 2048 MiB and 5 concurrent invocations', () => {
      const { template } = synth({ serverlessMaxConcurrency: 5 });
      template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        ProductionVariants: [Match.objectLike({ ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } })],
      });
    });

    test('captures requests and responses to the store under a prefix with a sampling percentage', () => {
      const { endpoint, template } = synth({ dataCapturePrefix: 'capture/iris', dataCaptureSamplingPercentage: 25 });
      template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        DataCaptureConfig: {
          EnableCapture: true,
          InitialSamplingPercentage: 25,
          DestinationS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^Store') }, '/capture/iris/']] },
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
          CaptureContentTypeHeader: { JsonContentTypes: ['application/json'] },
        },
      });
      expect(endpoint.dataCaptureUri).toBeDefined();
      const put = statements(template).find((s) => ([] as string[]).concat(s.Action).includes('s3:PutObject'));
      expect(JSON.stringify(put!.Resource)).toContain('/capture/iris/*');
    });

    test('data capture defaults to data-capture/<model>/ at 100 %', () => {
      const { template } = synth({ dataCapture: true });
      template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        DataCaptureConfig: Match.objectLike({
          InitialSamplingPercentage: 100,
          DestinationS3Uri: { 'Fn::Join': ['', ['s3://', Match.anyValue(), '/data-capture/iris/']] },
        }),
      });
    });

    test('encrypts storage volumes, captured data and the alarm topic with the given KMS key', () => {
      const { stack } = newStack();
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      new SageMakerEndpoint(stack, 'Endpoint', { model: storedModel(stack), image: TEST_IMAGE, encryptionKey: key, dataCapture: true });
      const template = Template.fromStack(stack);
      const keyArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] };
      template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        KmsKeyId: keyArn,
        DataCaptureConfig: Match.objectLike({ KmsKeyId: keyArn }),
      });
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn });
      // CloudWatch may publish to the encrypted topic
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
          Principal: { Service: 'cloudwatch.amazonaws.com' },
        })]) },
      });
      expect(actions(template)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:CreateGrant']));
    });
    test('warns (acknowledgeably) when a KMS key meets an instance type with NVMe instance storage', () => {
      const { stack } = newStack();
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      new SageMakerEndpoint(stack, 'Endpoint', {
        model: storedModel(stack), image: TEST_IMAGE, encryptionKey: key, instanceType: SageMakerInstanceType.of('ml.g5.xlarge'),
      });
      Annotations.fromStack(stack).hasWarning('/Stack/Endpoint', Match.stringLikeRegexp('ml.g5.xlarge has local NVMe storage'));
      const plain = newStack();
      new SageMakerEndpoint(plain.stack, 'Endpoint', {
        model: storedModel(plain.stack), image: TEST_IMAGE, encryptionKey: new kms.Key(plain.stack, 'Key', { enableKeyRotation: true }),
      });
      Annotations.fromStack(plain.stack).hasNoWarning('/Stack/Endpoint', Match.anyValue());
    });
  });

  describe('deployment guardrails', () => {
    test('default: blue/green all at once with a 5 minute bake and rollback on both alarms', () => {
      const { template } = synth();
      const endpoint = only(template, 'AWS::SageMaker::Endpoint');
      const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms).toHaveLength(2);
      expect(endpoint.Properties.DeploymentConfig).toEqual({
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 300 },
        },
        AutoRollbackConfiguration: {
          Alarms: expect.arrayContaining(alarms.map((id) => ({ AlarmName: { Ref: id } }))),
        },
      });
      // autoscaling is on by default: the scaled instance count stays across updates
      expect(endpoint.Properties.RetainAllVariantProperties).toBe(true);
    });

    test('canary by capacity percentage with wait intervals and timeouts', () => {
      const { template } = synth({
        deploymentTrafficShift: TrafficShift.canary(10, Duration.minutes(10)),
        deploymentTerminationWait: Duration.minutes(2),
        deploymentMaximumExecutionTimeout: Duration.hours(1),
      });
      template.hasResourceProperties('AWS::SageMaker::Endpoint', {
        DeploymentConfig: Match.objectLike({
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: {
              Type: 'CANARY', WaitIntervalInSeconds: 600, CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 },
            },
            TerminationWaitInSeconds: 120,
            MaximumExecutionTimeoutInSeconds: 3600,
          },
        }),
      });
    });

    test('canary by instance count', () => {
      const { template } = synth({ instanceCount: 4, deploymentTrafficShift: TrafficShift.canaryInstances(2) });
      template.hasResourceProperties('AWS::SageMaker::Endpoint', {
        DeploymentConfig: Match.objectLike({
          BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: {
            Type: 'CANARY', WaitIntervalInSeconds: 300, CanarySize: { Type: 'INSTANCE_COUNT', Value: 2 },
          } },
        }),
      });
    });

    test('linear steps by percentage and by instances', () => {
      const byPercent = synth({ deploymentTrafficShift: TrafficShift.linear(25, Duration.minutes(3)) }).template;
      byPercent.hasResourceProperties('AWS::SageMaker::Endpoint', {
        DeploymentConfig: Match.objectLike({
          BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: {
            Type: 'LINEAR', WaitIntervalInSeconds: 180, LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 },
          } },
        }),
      });
      const byInstances = synth({ instanceCount: 10, deploymentTrafficShift: TrafficShift.linearInstances(2) }).template;
      byInstances.hasResourceProperties('AWS::SageMaker::Endpoint', {
        DeploymentConfig: Match.objectLike({
          BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: Match.objectLike({
            Type: 'LINEAR', LinearStepSize: { Type: 'INSTANCE_COUNT', Value: 2 },
          }) },
        }),
      });
    });

    test('leaves auto-rollback out when turned off', () => {
      const { template } = synth({ deploymentAutoRollback: false });
      template.hasResourceProperties('AWS::SageMaker::Endpoint', {
        DeploymentConfig: { BlueGreenUpdatePolicy: Match.anyValue(), AutoRollbackConfiguration: Match.absent() },
      });
    });
  });

  describe('autoscaling', () => {
    test('tracks invocations per instance between min and max, retaining the instance count across updates', () => {
      const { endpoint, template } = synth({
        autoscalingMinCapacity: 2, autoscalingMaxCapacity: 6, autoscalingTargetInvocationsPerInstance: 300,
        autoscalingScaleInCooldown: Duration.minutes(10), autoscalingScaleOutCooldown: Duration.seconds(30),
      });
      expect(endpoint.scalableTarget).toBeDefined();
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        ServiceNamespace: 'sagemaker',
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        ResourceId: `endpoint/${endpoint.endpointName}/variant/AllTraffic`,
        MinCapacity: 2,
        MaxCapacity: 6,
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
          TargetValue: 300,
          ScaleInCooldown: 600,
          ScaleOutCooldown: 30,
        },
      });
      template.hasResourceProperties('AWS::SageMaker::Endpoint', {
        RetainAllVariantProperties: true,
        ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DesiredWeight' }],
      });
      // the initial instance count starts at the minimum
      template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        ProductionVariants: [Match.objectLike({ InitialInstanceCount: 2 })],
      });
      // the scalable target waits for the endpoint
      const target = only(template, 'AWS::ApplicationAutoScaling::ScalableTarget');
      const endpointId = Object.keys(template.findResources('AWS::SageMaker::Endpoint'))[0];
      expect(target.DependsOn).toContain(endpointId);
    });

    test('is off with autoscaling: false, without RetainAllVariantProperties', () => {
      const { endpoint, template } = synth({ autoscaling: false });
      expect(endpoint.scalableTarget).toBeUndefined();
      template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
      expect(only(template, 'AWS::SageMaker::Endpoint').Properties.RetainAllVariantProperties).toBeUndefined();
    });
  });

  describe('operations', () => {
    test('creates a 5XX alarm and a p99 model latency alarm (in microseconds) that notify the topic', () => {
      const { template } = synth({ alarm5xxRatePercent: 3, alarmModelLatencyThreshold: Duration.millis(250) });
      const topicRef = { Ref: Match.stringLikeRegexp('^EndpointAlarmTopic') };
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SageMaker', MetricName: 'Invocation5XXErrors', Statistic: 'Average', Threshold: 0.03,
        AlarmActions: [topicRef], OKActions: [topicRef],
        Dimensions: Match.arrayWith([{ Name: 'VariantName', Value: 'AllTraffic' }]),
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SageMaker', MetricName: 'ModelLatency', ExtendedStatistic: 'p99', Threshold: 250_000,
      });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: { Statement: [Match.objectLike({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
      });
    });

    test('subscribes an e-mail address to the alarm topic', () => {
      const { template } = synth({ alarmEmail: 'ops@example.com' });
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    });

    test('creates a dashboard unless turned off', () => {
      const on = synth();
      on.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      expect(on.endpoint.dashboard).toBeDefined();
      expect(JSON.stringify(only(on.template, 'AWS::CloudWatch::Dashboard').Properties)).toContain('CPUUtilization');
      synth({ dashboard: false }).template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    });

    test('grants sagemaker:InvokeEndpoint on this endpoint only', () => {
      const { stack } = newStack();
      const endpoint = new SageMakerEndpoint(stack, 'Endpoint', { model: storedModel(stack), image: TEST_IMAGE });
      const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
      endpoint.grantInvoke(caller);
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: Match.stringLikeRegexp('^Caller') }],
        PolicyDocument: { Statement: [{
          Action: 'sagemaker:InvokeEndpoint', Effect: 'Allow', Resource: { Ref: Match.stringLikeRegexp('^Endpoint') },
        }] },
      });
    });

    test('metrics carry the endpoint and variant dimensions', () => {
      const { stack, endpoint } = synth();
      const m = endpoint.metricInvocations();
      expect(m.namespace).toBe('AWS/SageMaker');
      expect(m.metricName).toBe('Invocations');
      expect(stack.resolve(m.dimensions)).toEqual({ EndpointName: endpoint.endpointName, VariantName: 'AllTraffic' });
      expect(endpoint.metricModelLatency().statistic).toBe('p99');
      expect(endpoint.metric5xx().metricName).toBe('Invocation5XXErrors');
      expect(endpoint.metricCpuUtilization().namespace).toBe('/aws/sagemaker/Endpoints');
    });

    test('imports an endpoint by name with a lower-case ARN for grants', () => {
      const { stack } = newStack();
      const imported = SageMakerEndpoint.fromEndpointName(stack, 'Imported', 'My-Endpoint');
      expect(imported.variantName).toBe('AllTraffic');
      expect(stack.resolve(imported.endpointArn)).toEqual({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:123456789012:endpoint/my-endpoint']],
      });
      expect(imported.metric5xx().dimensions).toEqual({ EndpointName: 'My-Endpoint', VariantName: 'AllTraffic' });
    });

    test('exposes every created resource', () => {
      const { endpoint } = synth({ autoscalingMaxCapacity: 2, dataCapture: true });
      for (const r of [endpoint.cfnEndpoint, endpoint.cfnModel, endpoint.cfnEndpointConfig, endpoint.role,
        endpoint.alarmTopic, endpoint.errorAlarm, endpoint.latencyAlarm, endpoint.dashboard, endpoint.scalableTarget,
        endpoint.scalingPolicy]) {
        expect(r).toBeDefined();
      }
      expect(endpoint.modelDataUrl).toBeDefined();
      expect(endpoint.imageUri).toBe(IMAGE_URI);
    });
  });

  describe('logical ids', () => {
    test('of the stateful and replaced resources do not change', () => {
      const { template } = synth({ autoscalingMaxCapacity: 2 });
      const ids = (type: string) => Object.keys(template.findResources(type));
      expect(ids('AWS::SageMaker::Endpoint')).toEqual(['EndpointEEF1FD8F']);
      expect(ids('AWS::SageMaker::Model')).toEqual(['EndpointModel0F230181']);
      expect(ids('AWS::SageMaker::EndpointConfig')).toEqual(['EndpointEndpointConfig5871F635']);
      expect(ids('AWS::SNS::Topic')).toEqual(['EndpointAlarmTopic93838A7F']);
      expect(ids('AWS::IAM::Role').filter((id) => id.startsWith('EndpointRole'))).toEqual(['EndpointRole47E61C54']);
      expect(ids('AWS::CloudWatch::Alarm').sort()).toEqual(['EndpointErrors5xxAlarmD58EF493', 'EndpointModelLatencyAlarm4F672072']);
      expect(ids('AWS::ApplicationAutoScaling::ScalableTarget')).toEqual(['EndpointScalableTargetCFB7CBF0']);
    });

    test('the generated endpoint name is stable and valid', () => {
      const { endpoint } = synth();
      expect(endpoint.endpointName).toBe('Stack-Endpoint-7DC50680');
      expect(endpoint.endpointName).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
    });
  });

  describe('validation', () => {
    const cases: Array<[string, ExtraOf, string]> = [
      ['instance count 0', { instanceCount: 0 }, 'EndpointInstanceCountOutOfRange'],
      ['a fractional instance count', { instanceCount: 1.5 }, 'EndpointInstanceCountOutOfRange'],
      ['a malformed instance type', { instanceType: SageMakerInstanceType.of('c6i.large') }, 'EndpointInstanceTypeInvalid'],
      ['a Graviton instance type', { instanceType: SageMakerInstanceType.of('ml.c7g.large') }, 'EndpointInstanceTypeArm64'],
      ['serverless with an instance type', { serverlessMaxConcurrency: 5, instanceType: SageMakerInstanceType.ML_C5_LARGE }, 'EndpointServerlessWithInstances'],
      ['serverless with autoscaling', { serverlessMaxConcurrency: 5, autoscalingMaxCapacity: 4 }, 'EndpointServerlessWithAutoscaling'],
      ['serverless in a VPC', (stack) => ({ serverlessMaxConcurrency: 5, vpc: new ec2.Vpc(stack, 'Vpc') }), 'EndpointServerlessWithVpc'],
      ['serverless with network isolation', { serverlessMaxConcurrency: 5, networkIsolation: true }, 'EndpointServerlessWithNetworkIsolation'],
      ['serverless with data capture', { serverlessMaxConcurrency: 5, dataCapture: true }, 'EndpointServerlessWithDataCapture'],
      ['serverless memory off the 1024 MiB steps', { serverlessMemorySize: Size.mebibytes(1500) }, 'EndpointServerlessMemoryOutOfRange'],
      ['serverless memory above 6144 MiB', { serverlessMemorySize: Size.gibibytes(8) }, 'EndpointServerlessMemoryOutOfRange'],
      ['serverless concurrency 0', { serverlessMaxConcurrency: 0 }, 'EndpointServerlessConcurrencyOutOfRange'],
      ['serverless concurrency 201', { serverlessMaxConcurrency: 201 }, 'EndpointServerlessConcurrencyOutOfRange'],
      ['provisioned above max concurrency', { serverlessMaxConcurrency: 4, serverlessProvisionedConcurrency: 5 }, 'EndpointServerlessProvisionedConcurrencyOutOfRange'],
      ['a serverless canary in instances', { serverlessMaxConcurrency: 4, deploymentTrafficShift: TrafficShift.canaryInstances(1) }, 'EndpointServerlessTrafficInInstances'],
      ['a canary over 50 %', { deploymentTrafficShift: TrafficShift.canary(60) }, 'EndpointCanarySizeOutOfRange'],
      ['a canary over 100 %', { deploymentTrafficShift: TrafficShift.canary(150) }, 'EndpointCanarySizeOutOfRange'],
      ['a canary of 0 %', { deploymentTrafficShift: TrafficShift.canary(0) }, 'EndpointCanarySizeOutOfRange'],
      ['a canary of more than half the instances', { instanceCount: 2, deploymentTrafficShift: TrafficShift.canaryInstances(2) }, 'EndpointCanarySizeOutOfRange'],
      ['a linear step under 10 %', { deploymentTrafficShift: TrafficShift.linear(5) }, 'EndpointLinearStepOutOfRange'],
      ['a linear step over 50 %', { deploymentTrafficShift: TrafficShift.linear(60) }, 'EndpointLinearStepOutOfRange'],
      ['a linear step of all instances', { instanceCount: 2, deploymentTrafficShift: TrafficShift.linearInstances(2) }, 'EndpointLinearStepOutOfRange'],
      ['a wait interval over an hour', { deploymentTrafficShift: TrafficShift.allAtOnce(Duration.hours(2)) }, 'EndpointTrafficWaitOutOfRange'],
      ['a termination wait over an hour', { deploymentTerminationWait: Duration.hours(2) }, 'EndpointTerminationWaitOutOfRange'],
      ['a maximum execution timeout under 10 minutes', { deploymentMaximumExecutionTimeout: Duration.minutes(5) }, 'EndpointMaximumExecutionTimeoutOutOfRange'],
      ['autoscaling on a burstable type', { instanceType: SageMakerInstanceType.ML_T2_MEDIUM, autoscalingMaxCapacity: 3 }, 'EndpointAutoscalingBurstable'],
      ['autoscaling max below min', { autoscalingMinCapacity: 4, autoscalingMaxCapacity: 2 }, 'EndpointAutoscalingCapacityOutOfRange'],
      ['autoscaling min 0', { autoscalingMinCapacity: 0, autoscalingMaxCapacity: 2 }, 'EndpointAutoscalingCapacityOutOfRange'],
      ['autoscaling props with autoscaling off', { autoscaling: false, autoscalingMinCapacity: 2 }, 'EndpointAutoscalingDisabled'],
      ['serverless autoscaling props without a max', { serverlessMaxConcurrency: 5, serverlessProvisionedConcurrency: 1,
        autoscalingMinCapacity: 2 }, 'EndpointAutoscalingWithoutMax'],
      ['an instance count outside the capacity', { instanceCount: 8, autoscalingMinCapacity: 1, autoscalingMaxCapacity: 4 },
        'EndpointInstanceCountOutsideCapacity'],
      ['an autoscaling target of 0', { autoscalingMaxCapacity: 4, autoscalingTargetInvocationsPerInstance: 0 }, 'EndpointAutoscalingTargetOutOfRange'],
      ['security groups without a VPC', (stack) => ({
        securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-12345678')],
      }), 'EndpointNetworkWithoutVpc'],
      ['a sampling percentage of 0', { dataCaptureSamplingPercentage: 0 }, 'EndpointDataCaptureSamplingOutOfRange'],
      ['a sampling percentage over 100', { dataCaptureSamplingPercentage: 101 }, 'EndpointDataCaptureSamplingOutOfRange'],
      ['capture settings with capture off', { dataCapture: false, dataCapturePrefix: 'x/' }, 'EndpointDataCaptureDisabled'],
      ['a startup timeout under 60 s', { containerStartupHealthCheckTimeout: Duration.seconds(30) }, 'EndpointStartupTimeoutOutOfRange'],
      ['a download timeout over an hour', { modelDataDownloadTimeout: Duration.hours(2) }, 'EndpointDownloadTimeoutOutOfRange'],
      ['threads 0', { threads: 0 }, 'RuntimeThreadsOutOfRange'],
      ['workers 65', { workers: 65 }, 'RuntimeWorkersOutOfRange'],
      ['more workers than threads', { threads: 2, workers: 4 }, 'RuntimeWorkersOutOfRange'],
      ['max batch 0', { maxBatch: 0 }, 'RuntimeMaxBatchOutOfRange'],
      ['a batch delay over a second', { batchDelay: Duration.seconds(2) }, 'RuntimeBatchDelayOutOfRange'],
      ['max queue 0', { maxQueue: 0 }, 'RuntimeMaxQueueOutOfRange'],
      ['a body limit over 4 GiB', { maxBodySize: Size.gibibytes(5) }, 'RuntimeMaxBodySizeOutOfRange'],
      ['an unknown log level', { logLevel: 'verbose' as LogLevel }, 'RuntimeLogLevelInvalid'],
      ['a bad endpoint name', { endpointName: 'my_endpoint' }, 'EndpointNameInvalid'],
      ['a bad variant name', { variantName: '-x' }, 'EndpointVariantNameInvalid'],
      ['a 5XX rate of 0', { alarm5xxRatePercent: 0 }, 'EndpointAlarmThresholdOutOfRange'],
      ['a 5XX rate of 100', { alarm5xxRatePercent: 100 }, 'EndpointAlarmThresholdOutOfRange'],
      ['a latency threshold of 0', { alarmModelLatencyThreshold: Duration.millis(0) }, 'EndpointAlarmThresholdOutOfRange'],
      ['a malformed e-mail address', { alarmEmail: 'ops' }, 'EndpointAlarmEmailInvalid'],
    ];

    test.each(cases)('fails on %s', (_what, extra, code) => {
      const err = errorOf(extra);
      expect(err.code).toBe(code);
      expect(err.message).toMatch(new RegExp(`^${code}: `));
      expect(err.message).toContain('(at Stack/Endpoint)');
    });

    test('fails with the bad value and the fix in the message', () => {
      const err = errorOf({ instanceCount: 0 });
      expect(err.message).toBe('EndpointInstanceCountOutOfRange: instanceCount must be an integer between 1 and 1000, got 0; '
        + 'an endpoint needs at least one instance (use serverless for scale to zero) (at Stack/Endpoint)');
    });

    test('fails once with every problem listed, each with its code', () => {
      const err = errorOf({
        serverlessMaxConcurrency: 500, autoscalingMaxCapacity: 2, deploymentTrafficShift: TrafficShift.canary(80),
      });
      expect(err.code).toBe('EndpointServerlessWithAutoscaling');
      for (const code of ['EndpointServerlessConcurrencyOutOfRange', 'EndpointCanarySizeOutOfRange']) {
        expect(err.message).toContain(`${code}: `);
      }
      expect(err.message).toContain('and 2 more');
    });

    test('skips tokenized values', () => {
      const tokens = (stack: Stack) => {
        const num = (id: string) => new CfnParameter(stack, id, { type: 'Number' }).valueAsNumber;
        const str = (id: string) => new CfnParameter(stack, id, { type: 'String' }).valueAsString;
        return { num, str };
      };
      const { template } = synth((stack) => {
        const { num, str } = tokens(stack);
        return {
          instanceCount: num('InstanceCount'),
          instanceType: SageMakerInstanceType.of(str('InstanceType')),
          endpointName: str('EndpointName'),
          variantName: str('VariantName'),
          threads: num('Threads'),
          workers: num('Workers'),
          batchDelay: Duration.millis(num('BatchDelay')),
          logLevel: str('LogLevel') as LogLevel,
          dataCaptureSamplingPercentage: num('Sampling'),
          autoscalingMaxCapacity: num('Max'),
          autoscalingMinCapacity: num('Min'),
          autoscalingTargetInvocationsPerInstance: num('Target'),
          deploymentTrafficShift: TrafficShift.canary(num('Canary')),
          alarm5xxRatePercent: num('Threshold'),
          alarmEmail: str('Email'),
        };
      });
      template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
      const count = only(template, 'AWS::SageMaker::EndpointConfig').Properties.ProductionVariants as Array<Record<string, unknown>>;
      expect(count[0].InitialInstanceCount).toEqual({ Ref: 'InstanceCount' });
      const serverless = synth((stack) => {
        const { num } = tokens(stack);
        return { serverlessMaxConcurrency: num('Concurrency'), serverlessProvisionedConcurrency: num('Provisioned') };
      }).template;
      serverless.resourceCountIs('AWS::SageMaker::EndpointConfig', 1);
    });
  });
});
