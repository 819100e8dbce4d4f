import { Token } from 'aws-cdk-lib';
import { EXACT_SIZE, FieldErrors, show } from '../../core/private/field-errors';
import { validateRuntimeSettings } from '../../core/private/runtime-settings';
import type { SageMakerEndpointProps } from '../sagemaker-endpoint';
import { TrafficShiftMode, TrafficShiftUnit } from '../traffic-shift';

/** The most a blue/green update may run: MaximumExecutionTimeoutInSeconds is 600 to 28800 (API_BlueGreenUpdatePolicy). */
const MAX_EXECUTION_TIMEOUT_SECONDS = 28_800;
/** The most rollback alarms an endpoint takes (API_AutoRollbackConfig: 1 to 10). */
const MAX_ROLLBACK_ALARMS = 10;

/** The props as the constructor resolved them. */
export interface ResolvedSettings {
  readonly serverless: boolean;
  readonly autoscaling: boolean;
  /** The autoscaling minimum: instances, or serverless provisioned concurrency. */
  readonly minCapacity: number;
  /** The autoscaling maximum. */
  readonly maxCapacity: number;
  /** The instances at creation. */
  readonly instanceCount: number;
}

/** Every impossible value or combination of the props, collected. */
export function validateProps(props: SageMakerEndpointProps, settings: ResolvedSettings): FieldErrors {
  const { serverless, autoscaling } = settings;
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
    if ((autoscaling || props.autoscalingMinCapacity !== undefined) && props.serverlessProvisionedConcurrency === undefined) {
      e.add('EndpointServerlessWithAutoscaling', `a serverless endpoint autoscales only its provisioned concurrency, got `
        + `autoscalingMaxCapacity ${show(props.autoscalingMaxCapacity)} without serverlessProvisionedConcurrency; remove `
        + 'the autoscaling* props (serverless scales by itself up to serverlessMaxConcurrency) or set '
        + 'serverlessProvisionedConcurrency');
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

  // runtime: the runtime's own ranges (core's one contract)
  validateRuntimeSettings(e, props);

  // deployment guardrails
  const shift = props.deploymentTrafficShift;
  const rollbackAlarms = 2 + (props.deploymentRollbackAlarms?.length ?? 0);
  if ((props.deploymentAutoRollback ?? true) && rollbackAlarms > MAX_ROLLBACK_ALARMS) {
    e.add('EndpointRollbackAlarmsOutOfRange', `an endpoint rolls back on at most ${MAX_ROLLBACK_ALARMS} alarms, got `
      + `${rollbackAlarms} (its own 2 and ${rollbackAlarms - 2} deploymentRollbackAlarms); pass at most `
      + `${MAX_ROLLBACK_ALARMS - 2}, e.g. a composite alarm of them`);
  }
  if (shift !== undefined) {
    e.range('EndpointTrafficWaitOutOfRange', 'the traffic shift\'s wait interval (seconds)', shift.waitInterval.toSeconds(),
      0, 3600, 'use Duration.seconds(0) to Duration.hours(1)');
    const size = shift.size;
    if (size !== undefined && !Token.isUnresolved(size)) {
      const count = settings.instanceCount;
      if (shift.unit === TrafficShiftUnit.INSTANCE_COUNT && serverless) {
        e.add('EndpointServerlessTrafficInInstances', `a serverless endpoint has no instances, got a traffic step of ${size} `
          + 'instances; use TrafficShift.canary(percent) or TrafficShift.linear(percent)');
      }
      if (shift.mode === TrafficShiftMode.CANARY) {
        // CapacitySize.Value is an integer (API_CapacitySize)
        if (shift.unit === TrafficShiftUnit.CAPACITY_PERCENT && (size <= 0 || size > 50 || !Number.isInteger(size))) {
          e.add('EndpointCanarySizeOutOfRange', `a canary must be a whole percentage, more than 0 and at most 50 % of the `
            + `fleet, got ${size} %; use e.g. TrafficShift.canary(10)`);
        }
        if (shift.unit === TrafficShiftUnit.INSTANCE_COUNT && !Token.isUnresolved(count) && !serverless
          && (!Number.isInteger(size) || size < 1 || size > count / 2)) {
          e.add('EndpointCanarySizeOutOfRange', `a canary must be 1 to half of the ${count} instance(s), got ${size}; `
            + 'raise instanceCount or use TrafficShift.canary(percent)');
        }
      }
      if (shift.mode === TrafficShiftMode.LINEAR) {
        if (shift.unit === TrafficShiftUnit.CAPACITY_PERCENT && (size < 10 || size > 50 || !Number.isInteger(size))) {
          e.add('EndpointLinearStepOutOfRange', `a linear step must be a whole percentage from 10 to 50 % of the fleet, `
            + `got ${size} %; use e.g. TrafficShift.linear(25)`);
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
      props.deploymentMaximumExecutionTimeout.toSeconds(), 600, MAX_EXECUTION_TIMEOUT_SECONDS,
      'use Duration.minutes(10) to Duration.hours(8)');
  }
  checkDeploymentTime(e, props, settings);

  // autoscaling
  const autoscalingProps = props.autoscalingMaxCapacity !== undefined || props.autoscalingMinCapacity !== undefined
    || props.autoscalingTargetInvocationsPerInstance !== undefined || props.autoscalingScaleInCooldown !== undefined
    || props.autoscalingScaleOutCooldown !== undefined || props.autoscalingTargetProvisionedConcurrencyUtilization !== undefined;
  if (props.autoscaling === false && autoscalingProps) {
    e.add('EndpointAutoscalingDisabled', 'autoscaling* props are set but autoscaling is false; remove them, or '
      + 'autoscaling: false');
  } else if (serverless && !autoscaling && autoscalingProps) {
    e.add('EndpointAutoscalingWithoutMax', 'autoscaling* props are set on a serverless endpoint but autoscalingMaxCapacity '
      + 'is not; set autoscalingMaxCapacity (with serverlessProvisionedConcurrency) to autoscale the provisioned '
      + 'concurrency, or remove them');
  }
  if (autoscaling && serverless && props.serverlessProvisionedConcurrency !== undefined) {
    const { minCapacity: min, maxCapacity: max } = settings;
    const most = props.serverlessMaxConcurrency ?? 5;
    e.range('EndpointAutoscalingCapacityOutOfRange', 'autoscalingMinCapacity', props.autoscalingMinCapacity, 1, 200,
      'keep at least 1 of provisioned concurrency');
    if (!Token.isUnresolved(most)) {
      e.range('EndpointAutoscalingCapacityOutOfRange', 'autoscalingMaxCapacity (provisioned concurrency)',
        props.autoscalingMaxCapacity, 1, most,
        'it cannot exceed serverlessMaxConcurrency');
    }
    if (!Token.isUnresolved(min) && !Token.isUnresolved(max) && max < min) {
      e.add('EndpointAutoscalingCapacityOutOfRange', `autoscalingMaxCapacity (${max}) must not be below autoscalingMinCapacity `
        + `(${min}); raise the maximum or lower the minimum`);
    }
    const utilization = props.autoscalingTargetProvisionedConcurrencyUtilization;
    if (utilization !== undefined && !Token.isUnresolved(utilization) && !(utilization > 0 && utilization <= 1)) {
      e.add('EndpointAutoscalingTargetOutOfRange', `autoscalingTargetProvisionedConcurrencyUtilization must be above 0 and `
        + `at most 1, got ${utilization}; use e.g. 0.7`);
    }
  }
  if (autoscaling && !serverless) {
    if (type !== undefined && !Token.isUnresolved(type) && type.startsWith('ml.t')) {
      e.add('EndpointAutoscalingBurstable', `autoscaling is not supported on burstable instances, got instanceType ${show(type)}; `
        + 'use e.g. ml.c6i.large, or leave the autoscaling* props out');
    }
    const { minCapacity: min, maxCapacity: max } = settings;
    e.range('EndpointAutoscalingCapacityOutOfRange', 'autoscalingMinCapacity', props.autoscalingMinCapacity, 1, 1000,
      'keep at least one instance');
    e.range('EndpointAutoscalingCapacityOutOfRange', 'autoscalingMaxCapacity', props.autoscalingMaxCapacity, 1, 1000,
      'use at least 1');
    if (!Token.isUnresolved(min) && !Token.isUnresolved(max) && max < min) {
      const from = props.autoscalingMinCapacity === undefined ? ', which defaults to instanceCount' : '';
      e.add('EndpointAutoscalingCapacityOutOfRange', `autoscalingMaxCapacity (${max}) must not be below autoscalingMinCapacity `
        + `(${min}${from}); raise the maximum or lower the minimum`);
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
  const rate = props.alarm5xxRatePercent;
  if (rate !== undefined && !Token.isUnresolved(rate) && !(rate > 0 && rate < 100)) {
    e.add('EndpointAlarmThresholdOutOfRange', `alarm5xxRatePercent must be above 0 and below 100, got ${rate}; `
      + 'use e.g. 1 (alarm when more than 1 % of the requests fail)');
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

/**
 * The bakes and the termination wait must fit in the maximum execution timeout (API_BlueGreenUpdatePolicy: it "should
 * be larger than the total waiting time specified in TerminationWaitInSeconds and WaitIntervalInSeconds"), which is
 * at most 28800 s. A linear shift bakes after each of its steps.
 */
function checkDeploymentTime(e: FieldErrors, props: SageMakerEndpointProps, settings: ResolvedSettings): void {
  const shift = props.deploymentTrafficShift;
  if (shift === undefined) return;
  const wait = shift.waitInterval.toSeconds();
  const termination = props.deploymentTerminationWait?.toSeconds() ?? 0;
  const timeout = props.deploymentMaximumExecutionTimeout?.toSeconds() ?? MAX_EXECUTION_TIMEOUT_SECONDS;
  const size = shift.size;
  const count = settings.instanceCount;
  if ([wait, termination, timeout].some((n) => Token.isUnresolved(n))) return;
  let steps = 1;
  if (shift.mode === TrafficShiftMode.LINEAR) {
    if (size === undefined || Token.isUnresolved(size) || !(size > 0)) return;
    if (shift.unit === TrafficShiftUnit.CAPACITY_PERCENT) {
      steps = Math.ceil(100 / size);
    } else {
      if (Token.isUnresolved(count) || settings.serverless) return;
      steps = Math.ceil(count / size);
    }
  }
  const total = steps * wait + termination;
  if (total >= timeout) {
    const given = props.deploymentMaximumExecutionTimeout === undefined
      ? `the longest allowed maximum execution timeout (${timeout} s)`
      : `deploymentMaximumExecutionTimeout (${timeout} s)`;
    e.add('EndpointDeploymentTimeoutTooShort', `the update's waits, ${steps} ${steps === 1 ? 'step' : 'steps'} × ${wait} s `
      + `+ ${termination} s termination wait = ${total} s, do not fit in ${given}, which also covers starting the new `
      + 'fleet; shorten the bakes, take larger steps, or raise deploymentMaximumExecutionTimeout (at most Duration.hours(8))');
  }
}
