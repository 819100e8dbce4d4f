import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ModelSource } from '../../../constructs/model';
import { ModelFleetError } from '../../../constructs/core/private/modelfleet-error';
import { ModelStore } from '../../../constructs/model-store';
import { IRIS_MODEL } from '../../helpers/tmp-model';
import {
  SageMakerEndpoint, SageMakerEndpointProps, SageMakerInstanceType, TrafficShift,
} from '../../../constructs/sagemaker';
import { newStack, storedModel, TEST_IMAGE } from './fixtures';
import { modelFleetErrorOf } from '../../helpers/construct-errors';

/**
 * What a first real deploy checks that a template assertion does not, each rule from the page it cites (issue 13).
 */
type Extra = Omit<SageMakerEndpointProps, 'model'>;

function synth(extra: Extra | ((stack: Stack) => Extra) = {}): { stack: Stack; endpoint: SageMakerEndpoint; template: Template } {
  const { stack } = newStack();
  const props = typeof extra === 'function' ? extra(stack) : extra;
  const endpoint = new SageMakerEndpoint(stack, 'Endpoint', { model: storedModel(stack), image: TEST_IMAGE, ...props });
  return { stack, endpoint, template: Template.fromStack(stack) };
}

function errorOf(extra: Extra): ModelFleetError {
  return modelFleetErrorOf(() => synth(extra));
}

interface Statement { Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> }

function statements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

function statementWith(template: Template, action: string): Statement[] {
  return statements(template).filter((s) => ([] as string[]).concat(s.Action).includes(action));
}

function endpointProps(template: Template): Record<string, unknown> {
  return Object.values(template.findResources('AWS::SageMaker::Endpoint'))[0].Properties;
}

describe('SageMakerEndpoint on a first real deploy', () => {
  describe('auto-rollback', () => {
    // https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html: "Ensure that your IAM
    // execution role has permission to perform the cloudwatch:DescribeAlarms action on the auto-rollback alarms"
    test('grants the execution role cloudwatch:DescribeAlarms on exactly the rollback alarms (deployment-guardrails-configuration)', () => {
      const { template } = synth();
      const describe = statementWith(template, 'cloudwatch:DescribeAlarms');
      expect(describe).toHaveLength(1);
      const alarmIds = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
      expect(describe[0].Resource).toEqual(expect.arrayContaining(alarmIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] }))));
      expect(describe[0].Resource).toHaveLength(2);
    });

    test('does not grant cloudwatch:DescribeAlarms without auto-rollback', () => {
      const { template } = synth({ deploymentAutoRollback: false });
      expect(statementWith(template, 'cloudwatch:DescribeAlarms')).toHaveLength(0);
    });

    test('alarms on the 5XX error rate (Average of Invocation5XXErrors), not on a count', () => {
      const { template } = synth({ alarm5xxRatePercent: 2 });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Invocation5XXErrors', Statistic: 'Average', Threshold: 0.02,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    });

    test('defaults the error rate alarm to more than 1 % of the requests for 2 minutes', () => {
      const { template } = synth();
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Invocation5XXErrors', Statistic: 'Average', Threshold: 0.01, EvaluationPeriods: 2, Period: 60,
      });
    });

    test('rolls back on the user\'s own alarms too, and may describe them', () => {
      const { template } = synth((stack) => ({
        deploymentRollbackAlarms: [cloudwatch.Alarm.fromAlarmArn(stack, 'Mine',
          'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:business-kpi')],
      }));
      const alarms = (endpointProps(template).DeploymentConfig as { AutoRollbackConfiguration: { Alarms: unknown[] } })
        .AutoRollbackConfiguration.Alarms;
      expect(alarms).toHaveLength(3);
      expect(alarms).toContainEqual({ AlarmName: 'business-kpi' });
      expect(statementWith(template, 'cloudwatch:DescribeAlarms')[0].Resource)
        .toContain('arn:aws:cloudwatch:eu-west-1:123456789012:alarm:business-kpi');
    });

    test('fails with more than 10 rollback alarms (AutoRollbackConfig.Alarms holds 1 to 10)', () => {
      const err = (() => {
        try {
          synth((stack) => ({
            deploymentRollbackAlarms: Array.from({ length: 9 }, (_, i) => cloudwatch.Alarm.fromAlarmArn(stack, `A${i}`,
              `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a${i}`)),
          }));
        } catch (e) { return e as ModelFleetError; }
        throw new Error('expected the construct to throw');
      })();
      expect(err.code).toBe('EndpointRollbackAlarmsOutOfRange');
      expect(err.message).toContain('got 11');
    });
  });

  describe('retained variant properties', () => {
    // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_VariantProperty.html: DataCaptureConfig is
    // "(Not currently supported.)"
    test('excludes only DesiredWeight from the retained properties, never DataCaptureConfig (API_VariantProperty)', () => {
      const { template } = synth({ autoscalingMaxCapacity: 3, dataCapture: true });
      expect(endpointProps(template)).toMatchObject({
        RetainAllVariantProperties: true,
        ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DesiredWeight' }],
      });
    });
  });

  describe('deployment timing', () => {
    // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_BlueGreenUpdatePolicy.html: the maximum execution
    // timeout "should be larger than the total waiting time specified in TerminationWaitInSeconds and
    // WaitIntervalInSeconds", and at most 28800 seconds
    test('fails when the bakes and the termination wait do not fit in the maximum execution timeout', () => {
      const err = errorOf({
        deploymentTrafficShift: TrafficShift.linear(10, Duration.minutes(50)),
        deploymentTerminationWait: Duration.minutes(30),
        deploymentMaximumExecutionTimeout: Duration.hours(8),
      });
      expect(err.code).toBe('EndpointDeploymentTimeoutTooShort');
      expect(err.message).toContain('10 steps × 3000 s + 1800 s termination wait = 31800 s');
    });

    test('compares with 28800 s (the longest allowed) when no timeout is given', () => {
      const err = errorOf({ deploymentTrafficShift: TrafficShift.linear(10, Duration.hours(1)) });
      expect(err.code).toBe('EndpointDeploymentTimeoutTooShort');
      expect(synth({ deploymentTrafficShift: TrafficShift.linear(25, Duration.hours(1)) }).endpoint).toBeDefined();
    });

    test('counts linear steps of instances over the initial fleet', () => {
      const err = errorOf({
        instanceCount: 10, deploymentTrafficShift: TrafficShift.linearInstances(2, Duration.minutes(20)),
        deploymentMaximumExecutionTimeout: Duration.minutes(90),
      });
      expect(err.code).toBe('EndpointDeploymentTimeoutTooShort');
      expect(err.message).toContain('5 steps × 1200 s');
    });

    test('warns when a bake is shorter than the rollback alarms take to fire (it cannot roll back)', () => {
      const { stack } = synth({ deploymentTrafficShift: TrafficShift.canary(10, Duration.minutes(2)) });
      Annotations.fromStack(stack).hasWarning('/Stack/Endpoint',
        Match.stringLikeRegexp('modelfleet:sagemaker-bake-shorter-than-alarms'));
      const ok = synth({ deploymentTrafficShift: TrafficShift.canary(10, Duration.minutes(3)) }).stack;
      expect(Annotations.fromStack(ok).findWarning('*', Match.stringLikeRegexp('bake-shorter'))).toHaveLength(0);
    });

    // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CapacitySize.html: Value is an Integer
    test.each([
      ['a canary', TrafficShift.canary(12.5)],
      ['a linear step', TrafficShift.linear(12.5)],
    ])('fails on a fractional percentage for %s (CapacitySize.Value is an integer)', (_what, shift) => {
      const err = errorOf({ deploymentTrafficShift: shift });
      expect(['EndpointCanarySizeOutOfRange', 'EndpointLinearStepOutOfRange']).toContain(err.code);
      expect(err.message).toContain('12.5');
    });
  });

  describe('autoscaling', () => {
    test('is on by default: 1 to 4 instances, target tracking on invocations per instance', () => {
      const { endpoint, template } = synth();
      expect(endpoint.scalableTarget).toBeDefined();
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', MinCapacity: 1, MaxCapacity: 4,
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        }),
      });
      expect(endpointProps(template).RetainAllVariantProperties).toBe(true);
    });

    test('starts from instanceCount as the minimum, up to 4 times it', () => {
      const { template } = synth({ instanceCount: 3 });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 3, MaxCapacity: 12 });
    });

    test('is off with autoscaling: false, and on burstable instance types (no autoscaling there)', () => {
      for (const extra of [{ autoscaling: false }, { instanceType: SageMakerInstanceType.ML_T2_MEDIUM }]) {
        const { endpoint, template } = synth(extra);
        expect(endpoint.scalableTarget).toBeUndefined();
        template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
        expect(endpointProps(template).RetainAllVariantProperties).toBeUndefined();
      }
    });

    test('fails on autoscaling* props with autoscaling: false', () => {
      expect(errorOf({ autoscaling: false, autoscalingMaxCapacity: 3 }).code).toBe('EndpointAutoscalingDisabled');
    });

    // https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-service-linked-roles.html
    test('uses Application Auto Scaling\'s SageMaker service-linked role and creates no role for it', () => {
      const { template } = synth();
      const roles = Object.keys(template.findResources('AWS::IAM::Role'));
      expect(roles).toEqual([expect.stringMatching(/^EndpointRole/)]);
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        RoleARN: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:role/aws-service-role/'
            + 'sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint']],
        },
      });
    });
  });

  describe('data capture', () => {
    test('warns when captured data goes outside data-capture/, which the store\'s retention rule expires', () => {
      const { stack } = newStack();
      const model = new ModelStore(stack, 'Models').addModel('iris', ModelSource.fromAsset(IRIS_MODEL));
      new SageMakerEndpoint(stack, 'Endpoint', { model, image: TEST_IMAGE, dataCapturePrefix: 'captures/iris/' });
      new SageMakerEndpoint(stack, 'Default', { model, image: TEST_IMAGE, dataCapture: true });
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('capture-outside-retention'));
      expect(warnings.map((w) => w.id)).toEqual(['/Stack/Endpoint']);
    });
  });

  describe('KMS', () => {
    // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
    test('grants kms:CreateGrant only for AWS resources (kms:GrantIsForAWSResource)', () => {
      const { template } = synth((stack) => ({ encryptionKey: new kms.Key(stack, 'Key') }));
      const createGrant = statementWith(template, 'kms:CreateGrant');
      expect(createGrant).toHaveLength(1);
      expect(createGrant[0].Condition).toEqual({ Bool: { 'kms:GrantIsForAWSResource': true } });
      expect(createGrant[0].Action).toBe('kms:CreateGrant');
    });
  });

  describe('serverless provisioned concurrency', () => {
    // https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-autoscale.html (aws-cdk #29065)
    test('autoscales the provisioned concurrency on its utilization when autoscalingMaxCapacity is set', () => {
      const { endpoint, template } = synth({
        serverlessMemorySize: Size.mebibytes(2048), serverlessMaxConcurrency: 20, serverlessProvisionedConcurrency: 2,
        autoscalingMaxCapacity: 10,
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        ScalableDimension: 'sagemaker:variant:DesiredProvisionedConcurrency',
        ResourceId: `endpoint/${endpoint.endpointName}/variant/AllTraffic`,
        MinCapacity: 2, MaxCapacity: 10,
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantProvisionedConcurrencyUtilization' },
          TargetValue: 0.7,
        }),
      });
    });

    test('does not autoscale a serverless endpoint by default', () => {
      const { template } = synth({ serverlessMaxConcurrency: 20, serverlessProvisionedConcurrency: 2 });
      template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    });

    test.each<[string, Extra, string]>([
      ['autoscaling without provisioned concurrency', { serverlessMaxConcurrency: 5, autoscalingMaxCapacity: 4 },
        'EndpointServerlessWithAutoscaling'],
      ['a maximum above serverlessMaxConcurrency', { serverlessMaxConcurrency: 5, serverlessProvisionedConcurrency: 1,
        autoscalingMaxCapacity: 8 }, 'EndpointAutoscalingCapacityOutOfRange'],
    ])('fails on %s', (_what, extra, code) => {
      expect(errorOf(extra).code).toBe(code);
    });
  });
});
