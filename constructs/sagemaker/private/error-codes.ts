/**
 * Error codes of the sagemaker endpoint: each code's meaning and fix. `constructs/ERRORS.md` is written from
 * these tables (`npm run build`); a code is never reused for another problem.
 */
export const SAGEMAKER_ERRORS = {
  EndpointAlarmEmailInvalid:
    'alarmEmail must be an e-mail address, got <value>; fix the address',
  EndpointAlarmThresholdOutOfRange:
    'alarm5xxRatePercent must be above 0 and below 100, got <value>; use e.g. 1 (alarm when more than 1 % of the requests fail)',
  EndpointAutoscalingBurstable:
    'autoscaling is not supported on burstable instances, got instanceType <value>; use e.g. ml.c6i.large, or leave the autoscaling* props out',
  EndpointAutoscalingCapacityOutOfRange:
    'autoscalingMinCapacitykeep at least 1 of provisioned concurrency',
  EndpointAutoscalingDisabled:
    'autoscaling* props are set but autoscaling is false; remove them, or autoscaling: false',
  EndpointAutoscalingTargetOutOfRange:
    'autoscalingTargetProvisionedConcurrencyUtilization must be above 0 and at most 1, got <value>; use e.g. 0.7',
  EndpointAutoscalingWithoutMax:
    'autoscaling* props are set on a serverless endpoint but autoscalingMaxCapacity is not; set autoscalingMaxCapacity (with serverlessProvisionedConcurrency) to autoscale the provisioned concurrency, or remove them',
  EndpointCanarySizeOutOfRange:
    'a canary must be a whole percentage, more than 0 and at most 50 % of the fleet, got <value> %; use e.g. TrafficShift.canary(10)',
  EndpointDataCaptureDisabled:
    'dataCapturePrefix/dataCaptureSamplingPercentage are set but dataCapture is false; remove them or set dataCapture to true',
  EndpointDataCaptureSamplingOutOfRange:
    'dataCaptureSamplingPercentagecapture between 1 and 100 percent of the requests',
  EndpointDeploymentTimeoutTooShort:
    'the update\'s waits, <value> <value> × <value> s + <value> s termination wait = <value> s, do not fit in <value>, which also covers starting the new fleet; shorten the bakes, take larger steps, or raise deploymentMaximumExecutionTimeout (at most Duration.hours(8))',
  EndpointDownloadTimeoutOutOfRange:
    'modelDataDownloadTimeout (seconds)use Duration.seconds(60) to Duration.hours(1)',
  EndpointInstanceCountOutOfRange:
    'instanceCountan endpoint needs at least one instance (use serverless for scale to zero)',
  EndpointInstanceCountOutsideCapacity:
    'instanceCount must lie within autoscaling\'s <value> to <value>, got <value>; change instanceCount or the capacity',
  EndpointInstanceTypeArm64:
    'instanceType <value> is a Graviton (arm64) type, but the serving image carries linux-x64 binaries only; use an x86-64 type such as ml.c6i.large',
  EndpointInstanceTypeInvalid:
    'instanceType must look like ml.<family>.<size>, got <value>; use e.g. SageMakerInstanceType.ML_C6I_LARGE',
  EndpointLinearStepOutOfRange:
    'a linear step must be a whole percentage from 10 to 50 % of the fleet, got <value> %; use e.g. TrafficShift.linear(25)',
  EndpointMaximumExecutionTimeoutOutOfRange:
    'deploymentMaximumExecutionTimeout (seconds)use Duration.minutes(10) to Duration.hours(8)',
  EndpointNameInvalid:
    'endpointName must be 1 to 63 letters, digits and inner hyphens, got <value>; rename it or leave it out for a generated name',
  EndpointNetworkWithoutVpc:
    'vpcSubnets/securityGroups are set but vpc is not; pass the vpc they belong to, or remove them',
  EndpointRollbackAlarmsOutOfRange:
    'an endpoint rolls back on at most <value> alarms, got',
  EndpointRuntimeBatchDelayOutOfRange:
    'runtimeBatchDelay (ms)use a few milliseconds',
  EndpointRuntimeLogLevelInvalid:
    'runtimeLogLevel must be one of <value>, got <value>; pick one of them',
  EndpointRuntimeMaxBatchOutOfRange:
    'runtimeMaxBatchuse 1 to turn batching off',
  EndpointRuntimeMaxBodyOutOfRange:
    'runtimeMaxBodySize (MiB)use SageMaker\'s payload limit (6 MiB)',
  EndpointRuntimeMaxQueueOutOfRange:
    'runtimeMaxQueueuse at least 1',
  EndpointRuntimeThreadsOutOfRange:
    'runtimeThreadsuse at most the instance\'s vCPUs',
  EndpointRuntimeWorkersOutOfRange:
    'runtimeWorkersuse 1 worker per 1 to 4 threads',
  EndpointServerlessConcurrencyOutOfRange:
    'serverlessMaxConcurrencypick the most requests the endpoint may serve at once',
  EndpointServerlessMemoryOutOfRange:
    'serverlessMemorySize must be 1024 to 6144 MiB in 1024 MiB steps, got <value> MiB; use e.g. Size.mebibytes(2048)',
  EndpointServerlessProvisionedConcurrencyOutOfRange:
    'serverlessProvisionedConcurrencyit cannot exceed serverlessMaxConcurrency',
  EndpointServerlessTrafficInInstances:
    'a serverless endpoint has no instances, got a traffic step of <value> instances; use TrafficShift.canary(percent) or TrafficShift.linear(percent)',
  EndpointServerlessWithAutoscaling:
    'a serverless endpoint autoscales only its provisioned concurrency, got autoscalingMaxCapacity <value> without serverlessProvisionedConcurrency; remove the autoscaling* props (serverless scales by itself up to serverlessMaxConcurrency) or set serverlessProvisionedConcurrency',
  EndpointServerlessWithDataCapture:
    'a serverless endpoint does not support data capture, got dataCapture settings; remove them or use instances',
  EndpointServerlessWithInstances:
    'a serverless endpoint has no instances, got instanceType <value> and instanceCount <value>; remove them or the serverless* props',
  EndpointServerlessWithNetworkIsolation:
    'a serverless endpoint does not support network isolation, got networkIsolation true; remove it or use instances',
  EndpointServerlessWithVpc:
    'a serverless endpoint cannot run in a VPC, got vpc; remove vpc or the serverless* props',
  EndpointStartupTimeoutOutOfRange:
    'containerStartupHealthCheckTimeout (seconds)use Duration.seconds(60) to Duration.hours(1)',
  EndpointTerminationWaitOutOfRange:
    'deploymentTerminationWait (seconds)use Duration.seconds(0) to Duration.hours(1)',
  EndpointTrafficWaitOutOfRange:
    'the traffic shift\'s wait interval (seconds)use Duration.seconds(0) to Duration.hours(1)',
  EndpointVariantNameInvalid:
    'variantName must be 1 to 63 letters, digits and inner hyphens, got <value>; rename it (and keep the name across updates)',
} as const;
