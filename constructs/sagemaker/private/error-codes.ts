/**
 * Error codes of the SageMaker endpoint: each code's meaning and fix. `constructs/ERRORS.md` is written from
 * these tables (`npm run docs:errors`); a code is never reused for another problem. The runtime settings
 * (`threads`, `workers`, ...) are checked by core's `Runtime*` codes.
 */
export const SAGEMAKER_ERRORS = {
  EndpointAlarmEmailInvalid:
    'alarmEmail is not an e-mail address (name@domain.tld), so the alarm topic could not subscribe it; fix the address or leave alarmEmail out.',
  EndpointAlarmThresholdOutOfRange:
    'An alarm threshold is impossible: alarm5xxRatePercent must be above 0 and below 100, alarmModelLatencyThreshold above 0; use e.g. 1 (%) and Duration.seconds(1).',
  EndpointAutoscalingBurstable:
    'Autoscaling was asked for on a burstable ml.t* instance type, which SageMaker cannot autoscale; use a type such as ml.c6i.large, or leave the autoscaling* props out.',
  EndpointAutoscalingCapacityOutOfRange:
    'The autoscaling capacity is impossible: the minimum and maximum must be whole numbers from 1 (at most 1000 instances, or serverlessMaxConcurrency for provisioned concurrency) with the maximum not below the minimum; raise the maximum or lower the minimum.',
  EndpointAutoscalingDisabled:
    'autoscaling* props are set while autoscaling is false, so they would be ignored; remove them, or remove autoscaling: false.',
  EndpointAutoscalingTargetOutOfRange:
    'The autoscaling target is impossible: autoscalingTargetInvocationsPerInstance must be above 0, autoscalingTargetProvisionedConcurrencyUtilization above 0 and at most 1; use about half an instance\'s sustainable invocations per minute, or 0.7.',
  EndpointAutoscalingWithoutMax:
    'autoscaling* props are set on a serverless endpoint without autoscalingMaxCapacity, so nothing would be autoscaled; set autoscalingMaxCapacity (with serverlessProvisionedConcurrency) or remove them.',
  EndpointCanarySizeOutOfRange:
    'The canary step of deploymentTrafficShift is impossible: a whole percentage above 0 and at most 50, or 1 to half of the instances; use e.g. TrafficShift.canary(10), or raise instanceCount.',
  EndpointConnectionsWithoutVpc:
    'endpoint.connections was used on an endpoint without a vpc, which has no security groups to open; give the endpoint a vpc (instance-backed endpoints only), or open the peer another way.',
  EndpointDataCaptureDisabled:
    'dataCapturePrefix or dataCaptureSamplingPercentage is set while dataCapture is false, so it would be ignored; remove them or set dataCapture to true.',
  EndpointDataCaptureSamplingOutOfRange:
    'dataCaptureSamplingPercentage must be a whole percentage from 1 to 100; give the share of requests to capture, e.g. 20.',
  EndpointDeploymentTimeoutTooShort:
    'The blue/green update\'s bakes (one per step) and termination wait do not fit in its maximum execution timeout, which also covers starting the new fleet; shorten the bakes, take larger steps, or raise deploymentMaximumExecutionTimeout (at most Duration.hours(8)).',
  EndpointDownloadTimeoutOutOfRange:
    'modelDataDownloadTimeout must be 60 to 3600 seconds (SageMaker\'s range); use Duration.seconds(60) to Duration.hours(1), or leave it out for the service default.',
  EndpointInstanceCountOutOfRange:
    'instanceCount must be a whole number from 1 to 1000: an instance-backed endpoint needs at least one instance; use the serverless* props to scale to zero.',
  EndpointInstanceCountOutsideCapacity:
    'instanceCount, the instances at creation, lies outside the autoscaling minimum and maximum, which must contain it; give an instanceCount within them, or change the capacity.',
  EndpointInstanceTypeArm64:
    'instanceType is a Graviton (arm64) type, but the serving image carries linux-x64 binaries only; use an x86-64 type such as SageMakerInstanceType.ML_C6I_LARGE.',
  EndpointInstanceTypeInvalid:
    'instanceType does not look like `ml.<family>.<size>`, so SageMaker would reject it; use a SageMakerInstanceType constant or e.g. SageMakerInstanceType.of(\'ml.c6i.8xlarge\').',
  EndpointLinearStepOutOfRange:
    'The linear step of deploymentTrafficShift is impossible: a whole percentage from 10 to 50, or 10 to 50 % of the instances; use e.g. TrafficShift.linear(25), or raise instanceCount.',
  EndpointMaximumExecutionTimeoutOutOfRange:
    'deploymentMaximumExecutionTimeout must be 600 to 28800 seconds (SageMaker\'s range); use Duration.minutes(10) to Duration.hours(8).',
  EndpointNameInvalid:
    'endpointName must be 1 to 63 letters, digits and inner hyphens (SageMaker\'s rule); rename it, or leave it out for a name generated from the construct path.',
  EndpointNetworkWithoutVpc:
    'vpcSubnets or securityGroups is set without vpc, so there is no network to attach them to; pass the vpc they belong to, or remove them.',
  EndpointRollbackAlarmsOutOfRange:
    'An endpoint rolls back on at most 10 alarms, and it brings 2 of its own: pass at most 8 deploymentRollbackAlarms, e.g. one composite alarm of several.',
  EndpointServerlessConcurrencyOutOfRange:
    'serverlessMaxConcurrency must be a whole number from 1 to 200 (SageMaker\'s range); give the most requests the endpoint may serve at once.',
  EndpointServerlessMemoryOutOfRange:
    'serverlessMemorySize must be 1024 to 6144 MiB in steps of 1024 MiB (SageMaker\'s sizes); use e.g. Size.mebibytes(2048).',
  EndpointServerlessProvisionedConcurrencyOutOfRange:
    'serverlessProvisionedConcurrency must be a whole number from 1 to serverlessMaxConcurrency; lower it or raise serverlessMaxConcurrency.',
  EndpointServerlessTrafficInInstances:
    'deploymentTrafficShift counts steps in instances, but a serverless endpoint has none; use TrafficShift.canary(percent) or TrafficShift.linear(percent).',
  EndpointServerlessWithAutoscaling:
    'Autoscaling was asked for on a serverless endpoint without serverlessProvisionedConcurrency: serverless scales by itself, only provisioned concurrency is autoscaled; remove the autoscaling* props or set serverlessProvisionedConcurrency.',
  EndpointServerlessWithDataCapture:
    'Data capture was asked for on a serverless endpoint, which SageMaker does not support; remove the dataCapture* props, or use instances.',
  EndpointServerlessWithInstances:
    'instanceType or instanceCount is set on a serverless endpoint, which has no instances; remove them, or the serverless* props for an instance-backed endpoint.',
  EndpointServerlessWithNetworkIsolation:
    'networkIsolation: true was asked for on a serverless endpoint, which SageMaker does not support; remove it, or use instances.',
  EndpointServerlessWithVpc:
    'vpc is set on a serverless endpoint, which cannot run in a VPC; remove vpc, or the serverless* props for an instance-backed endpoint.',
  EndpointStartupTimeoutOutOfRange:
    'containerStartupHealthCheckTimeout must be 60 to 3600 seconds (SageMaker\'s range); use Duration.seconds(60) to Duration.hours(1), or leave it out for the service default.',
  EndpointTerminationWaitOutOfRange:
    'deploymentTerminationWait must be 0 to 3600 seconds (SageMaker\'s range); use Duration.seconds(0) to Duration.hours(1).',
  EndpointTrafficWaitOutOfRange:
    'The bake time (wait interval) of deploymentTrafficShift must be 0 to 3600 seconds (SageMaker\'s range); use Duration.seconds(0) to Duration.hours(1).',
  EndpointVariantNameInvalid:
    'variantName must be 1 to 63 letters, digits and inner hyphens (SageMaker\'s rule); rename it, and keep the name across updates (deployment guardrails need it).',
} as const;
