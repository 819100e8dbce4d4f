import { Token } from 'aws-cdk-lib';
import { EXACT_SIZE, FieldErrors, show } from './field-errors';
import type { SageMakerEndpointProps } from '../sagemaker-endpoint';
import { TrafficShiftType, TrafficShiftUnit } from '../traffic-shift';

/** The runtime's log levels (edge/config.ts). */
const RUNTIME_LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'];

/** Every impossible value or combination of the props, collected. */
export function validateProps(props: SageMakerEndpointProps, serverless: boolean, autoscaling: boolean): FieldErrors {
  const e = new FieldErrors();
  const type = props.instanceType?.name;

  // names
  if (props.endpointName !== undefined && !Token.isUnresolved(props.endpointName)
    && !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(props.endpointName)) {
    e.add('EndpointNameInvalid', `endpointName must be 1 to 63 letters, digits and inner hyphens, got ${show(props.endpointName)}; `
      + 'rename it or leave it out for a generated name');
  }
  if (props.variantName !== undefined && !Token.isUnresolved(props.variantName)
    && !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(props.variantName)) {
    e.add('EndpointVariantNameInvalid', `variantName must be 1 to 63 letters, digits and inner hyphens, got ${show(props.variantName)}; `
      + 'rename it (and keep the name across updates)');
  }

  // compute
  if (type !== undefined && !Token.isUnresolved(type)) {
    if (!/^ml\.[a-z0-9-]+\.[a-z0-9]+$/.test(type)) {
      e.add('EndpointInstanceTypeInvalid', `instanceType must look like ml.<family>.<size>, got ${show(type)}; `
        + 'use e.g. SageMakerInstanceType.ML_C6I_LARGE');
    } else if (/^ml\.[a-z]+\d+g[a-z]*\./.test(type)) {
      e.add('EndpointInstanceTypeArm64', `instanceType ${show(type)} is a Graviton (arm64) type, but the serving image `
        + 'carries linux-x64 binaries only; use an x86-64 type such as ml.c6i.large');
    }
  }
  e.range('EndpointInstanceCountOutOfRange', 'instanceCount', props.instanceCount, 1, 1000,
    'an endpoint needs at least one instance (use serverless for scale to zero)');
  if (serverless) {
    if (type !== undefined || props.instanceCount !== undefined) {
      e.add('EndpointServerlessWithInstances', `a serverless endpoint has no instances, got instanceType ${show(type)} `
        + `and instanceCount ${show(props.instanceCount)}; remove them or the serverless* props`);
    }
    if (autoscaling || props.autoscalingMinCapacity !== undefined) {
      e.add('EndpointServerlessWithAutoscaling', `autoscaling applies to instances, got autoscalingMaxCapacity `
        + `${show(props.autoscalingMaxCapacity)} on a serverless endpoint; remove the autoscaling* props `
        + '(serverless scales by itself up to serverlessMaxConcurrency)');
    }
    if (props.vpc !== undefined) {
      e.add('EndpointServerlessWithVpc', 'a serverless endpoint cannot run in a VPC, got vpc; remove vpc or the serverless* props');
    }
    if (props.networkIsolation === true) {
      e.add('EndpointServerlessWithNetworkIsolation', 'a serverless endpoint does not support network isolation, got '
        + 'networkIsolation true; remove it or use instances');
    }
    if (props.dataCapture === true || props.dataCapturePrefix !== undefined || props.dataCaptureSamplingPercentage !== undefined) {
      e.add('EndpointServerlessWithDataCapture', 'a serverless endpoint does not support data capture, got dataCapture '
        + 'settings; remove them or use instances');
    }
    const memory = props.serverlessMemorySize;
    if (memory !== undefined && !Token.isUnresolved(memory.toMebibytes(EXACT_SIZE))) {
      const mib = memory.toMebibytes(EXACT_SIZE);
      if (mib < 1024 || mib > 6144 || mib % 1024 !== 0) {
        e.add('EndpointServerlessMemoryOutOfRange', `serverlessMemorySize must be 1024 to 6144 MiB in 1024 MiB steps, got `
          + `${mib} MiB; use e.g. Size.mebibytes(2048)`);
      }
    }
    e.range('EndpointServerlessConcurrencyOutOfRange', 'serverlessMaxConcurrency', props.serverlessMaxConcurrency, 1, 200,
      'pick the most requests the endpoint may serve at once');
    const maxConcurrency = props.serverlessMaxConcurrency ?? 5;
    if (!Token.isUnresolved(maxConcurrency)) {
      e.range('EndpointServerlessProvisionedConcurrencyOutOfRange', 'serverlessProvisionedConcurrency',
        props.serverlessProvisionedConcurrency, 1, maxConcurrency, 'it cannot exceed serverlessMaxConcurrency');
    }
  }
  if (props.containerStartupHealthCheckTimeout !== undefined) {
    e.range('EndpointStartupTimeoutOutOfRange', 'containerStartupHealthCheckTimeout (seconds)',
      props.containerStartupHealthCheckTimeout.toSeconds(), 60, 3600, 'use Duration.seconds(60) to Duration.hours(1)');
  }
  if (props.modelDataDownloadTimeout !== undefined) {
    e.range('EndpointDownloadTimeoutOutOfRange', 'modelDataDownloadTimeout (seconds)',
      props.modelDataDownloadTimeout.toSeconds(), 60, 3600, 'use Duration.seconds(60) to Duration.hours(1)');
  }

  // network
  if (props.vpc === undefined && (props.vpcSubnets !== undefined || props.securityGroups !== undefined)) {
    e.add('EndpointNetworkWithoutVpc', 'vpcSubnets/securityGroups are set but vpc is not; pass the vpc they belong to, '
      + 'or remove them');
  }

  // data capture
  if (props.dataCapture === false && (props.dataCapturePrefix !== undefined || props.dataCaptureSamplingPercentage !== undefined)) {
    e.add('EndpointDataCaptureDisabled', 'dataCapturePrefix/dataCaptureSamplingPercentage are set but dataCapture is false; '
      + 'remove them or set dataCapture to true');
  }
  e.range('EndpointDataCaptureSamplingOutOfRange', 'dataCaptureSamplingPercentage', props.dataCaptureSamplingPercentage,
    1, 100, 'capture between 1 and 100 percent of the requests');

  // runtime
  e.range('EndpointRuntimeThreadsOutOfRange', 'runtimeThreads', props.runtimeThreads, 1, 256, 'use at most the instance\'s vCPUs');
  e.range('EndpointRuntimeWorkersOutOfRange', 'runtimeWorkers', props.runtimeWorkers, 1, 64, 'use 1 worker per 1 to 4 threads');
  e.range('EndpointRuntimeMaxBatchOutOfRange', 'runtimeMaxBatch', props.runtimeMaxBatch, 1, 4096, 'use 1 to turn batching off');
  if (props.runtimeBatchDelay !== undefined) {
    e.range('EndpointRuntimeBatchDelayOutOfRange', 'runtimeBatchDelay (ms)', props.runtimeBatchDelay.toMilliseconds(), 0, 1000,
      'use a few milliseconds', true);
  }
  e.range('EndpointRuntimeMaxQueueOutOfRange', 'runtimeMaxQueue', props.runtimeMaxQueue, 1, 1_000_000, 'use at least 1');
  if (props.runtimeMaxBodySize !== undefined) {
    e.range('EndpointRuntimeMaxBodyOutOfRange', 'runtimeMaxBodySize (MiB)',
      props.runtimeMaxBodySize.toMebibytes(EXACT_SIZE), 0.001, 4096, 'use SageMaker\'s payload limit (6 MiB)', true);
  }
  if (props.runtimeLogLevel !== undefined && !Token.isUnresolved(props.runtimeLogLevel)
    && !RUNTIME_LOG_LEVELS.includes(props.runtimeLogLevel)) {
    e.add('EndpointRuntimeLogLevelInvalid', `runtimeLogLevel must be one of ${RUNTIME_LOG_LEVELS.join(', ')}, got `
      + `${show(props.runtimeLogLevel)}; pick one of them`);
  }

  // deployment guardrails
  const shift = props.deploymentTrafficShift;
  if (shift !== undefined) {
    e.range('EndpointTrafficWaitOutOfRange', 'the traffic shift\'s wait interval (seconds)', shift.waitInterval.toSeconds(),
      0, 3600, 'use Duration.seconds(0) to Duration.hours(1)');
    const size = shift.size;
    if (size !== undefined && !Token.isUnresolved(size)) {
      const count = props.instanceCount ?? (autoscaling ? (props.autoscalingMinCapacity ?? 1) : 1);
      if (shift.unit === TrafficShiftUnit.INSTANCE_COUNT && serverless) {
        e.add('EndpointServerlessTrafficInInstances', `a serverless endpoint has no instances, got a traffic step of ${size} `
          + 'instances; use TrafficShift.canary(percent) or TrafficShift.linear(percent)');
      }
      if (shift.type === TrafficShiftType.CANARY) {
        if (shift.unit === TrafficShiftUnit.CAPACITY_PERCENT && (size <= 0 || size > 50)) {
          e.add('EndpointCanarySizeOutOfRange', `a canary must be more than 0 and at most 50 % of the fleet, got ${size} %; `
            + 'use e.g. TrafficShift.canary(10)');
        }
        if (shift.unit === TrafficShiftUnit.INSTANCE_COUNT && !Token.isUnresolved(count) && !serverless
          && (!Number.isInteger(size) || size < 1 || size > count / 2)) {
          e.add('EndpointCanarySizeOutOfRange', `a canary must be 1 to half of the ${count} instance(s), got ${size}; `
            + 'raise instanceCount or use TrafficShift.canary(percent)');
        }
      }
      if (shift.type === TrafficShiftType.LINEAR) {
        if (shift.unit === TrafficShiftUnit.CAPACITY_PERCENT && (size < 10 || size > 50)) {
          e.add('EndpointLinearStepOutOfRange', `a linear step must be 10 to 50 % of the fleet, got ${size} %; `
            + 'use e.g. TrafficShift.linear(25)');
        }
        if (shift.unit === TrafficShiftUnit.INSTANCE_COUNT && !Token.isUnresolved(count) && !serverless
          && (!Number.isInteger(size) || size < 1 || size < count * 0.1 || size > count * 0.5)) {
          e.add('EndpointLinearStepOutOfRange', `a linear step must be 10 to 50 % of the ${count} instance(s), got ${size}; `
            + 'raise instanceCount or use TrafficShift.linear(percent)');
        }
      }
    }
  }
  if (props.deploymentTerminationWait !== undefined) {
    e.range('EndpointTerminationWaitOutOfRange', 'deploymentTerminationWait (seconds)',
      props.deploymentTerminationWait.toSeconds(), 0, 3600, 'use Duration.seconds(0) to Duration.hours(1)');
  }
  if (props.deploymentMaximumExecutionTimeout !== undefined) {
    e.range('EndpointMaximumExecutionTimeoutOutOfRange', 'deploymentMaximumExecutionTimeout (seconds)',
      props.deploymentMaximumExecutionTimeout.toSeconds(), 600, 28800, 'use Duration.minutes(10) to Duration.hours(8)');
  }

  // autoscaling
  if (!autoscaling && !serverless && (props.autoscalingMinCapacity !== undefined
    || props.autoscalingTargetInvocationsPerInstance !== undefined || props.autoscalingScaleInCooldown !== undefined
    || props.autoscalingScaleOutCooldown !== undefined)) {
    e.add('EndpointAutoscalingWithoutMax', 'autoscaling* props are set but autoscalingMaxCapacity is not; '
      + 'set autoscalingMaxCapacity to turn autoscaling on, or remove them');
  }
  if (autoscaling && !serverless) {
    if (type !== undefined && !Token.isUnresolved(type) && type.startsWith('ml.t')) {
      e.add('EndpointAutoscalingBurstable', `autoscaling is not supported on burstable instances, got instanceType ${show(type)}; `
        + 'use e.g. ml.c6i.large');
    }
    const min = props.autoscalingMinCapacity ?? 1;
    const max = props.autoscalingMaxCapacity!;
    e.range('EndpointAutoscalingCapacityOutOfRange', 'autoscalingMinCapacity', props.autoscalingMinCapacity, 1, 1000,
      'keep at least one instance');
    e.range('EndpointAutoscalingCapacityOutOfRange', 'autoscalingMaxCapacity', max, 1, 1000, 'use at least 1');
    if (!Token.isUnresolved(min) && !Token.isUnresolved(max) && max < min) {
      e.add('EndpointAutoscalingCapacityOutOfRange', `autoscalingMaxCapacity (${max}) must not be below autoscalingMinCapacity `
        + `(${min}); raise the maximum or lower the minimum`);
    }
    const count = props.instanceCount;
    if (count !== undefined && !Token.isUnresolved(count) && !Token.isUnresolved(min) && !Token.isUnresolved(max)
      && (count < min || count > max)) {
      e.add('EndpointInstanceCountOutsideCapacity', `instanceCount must lie within autoscaling's ${min} to ${max}, got ${count}; `
        + 'change instanceCount or the capacity');
    }
    const target = props.autoscalingTargetInvocationsPerInstance;
    if (target !== undefined && !Token.isUnresolved(target) && !(target > 0)) {
      e.add('EndpointAutoscalingTargetOutOfRange', `autoscalingTargetInvocationsPerInstance must be above 0, got ${target}; `
        + 'use about half the invocations per minute one instance sustains');
    }
  }

  // alarms
  const threshold = props.alarm5xxThreshold;
  if (threshold !== undefined && !Token.isUnresolved(threshold) && !(threshold >= 1)) {
    e.add('EndpointAlarmThresholdOutOfRange', `alarm5xxThreshold must be at least 1, got ${threshold}; use 1 to alarm on any 5XX`);
  }
  if (props.alarmModelLatencyThreshold !== undefined && !Token.isUnresolved(props.alarmModelLatencyThreshold.toMilliseconds())
    && props.alarmModelLatencyThreshold.toMilliseconds() <= 0) {
    e.add('EndpointAlarmThresholdOutOfRange', 'alarmModelLatencyThreshold must be above 0, got 0; use e.g. Duration.seconds(1)');
  }
  if (props.alarmEmail !== undefined && !Token.isUnresolved(props.alarmEmail) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail)) {
    e.add('EndpointAlarmEmailInvalid', `alarmEmail must be an e-mail address, got ${show(props.alarmEmail)}; fix the address`);
  }
  return e;
}
