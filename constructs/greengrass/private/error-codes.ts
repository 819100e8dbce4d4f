/**
 * Error codes of the edge fleet: each code's meaning and fix. `constructs/ERRORS.md` is written from
 * these tables (`npm run build`); a code is never reused for another problem.
 */
export const GREENGRASS_ERRORS = {
  EdgeArtifactsUnavailable:
    'TODO',
  EdgeComponentDuplicatePlatform:
    'platforms lists a platform twice (<value>): list each once',
  EdgeComponentNameInvalid:
    'component name <value>: rename the model or change componentNamePrefix',
  EdgeComponentNamePrefixInvalid:
    'componentNamePrefix <value>: use letters, digits, \'-\', \'_\' and \'.\', not starting with aws.greengrass',
  EdgeComponentNoPlatform:
    'platforms is empty: give at least one, e.g. [EdgePlatform.LINUX_ARM64]',
  EdgeComponentPlatformWithoutNode:
    'platform <value> has no Node in <value>',
  EdgeFleetAbortThresholdOutOfRange:
    'rolloutAbortThresholdPercent must be above 0 and at most 100 with at most two decimals, got <value>. Use a percentage such as 10.',
  EdgeFleetClaimCsrInvalid:
    'ClaimCertificate.fromCsr needs a PEM certificate signing request starting with \'<value>\', got <value>. Make one with `openssl req -new ... -out claim.csr` and pass the file\'s text.',
  EdgeFleetComponentInvalid:
    'nucleusVersion must be a semantic version, got \'<value>\'. Use the version installed on the devices, e.g. \'2.16.0\'.',
  EdgeFleetConfigurationMergeInvalid:
    'configurationMerge of \'<value>\' must be a JSON object, got <value>. Pass JSON.stringify({ key: \'value\' }).',
  EdgeFleetCredentialDurationOutOfRange:
    'credentialDuration (seconds)secondsThe IoT credentials provider accepts 15 minutes to 12 hours.',
  EdgeFleetDuplicateComponent:
    'component \'<value>\' is already in the deployment. Deploy one version of each component: remove the other addComponent call.',
  EdgeFleetMonitoringPropsInvalid:
    '<value>; fix the value',
  EdgeFleetNameInvalid:
    'thingGroupName1 to 128 letters, digits, `:`, `_` or `-`',
  EdgeFleetNucleusVersionRequired:
    'nucleusJvmOptions needs nucleusVersion: the nucleus can only be configured by deploying a version of it. Set nucleusVersion to the version installed on the devices, e.g. \'2.16.0\' (what pi-bootstrap installs).',
  EdgeFleetRolloutIncrementFactorOutOfRange:
    'rolloutIncrementFactorUse 1.1 to 5 with at most one decimal, e.g. 2.',
  EdgeFleetRolloutRateOutOfRange:
    'rolloutMaximumPerMinuteIoT jobs notify 1 to 1000 devices per minute.',
  EdgeFleetRolloutThingsOutOfRange:
    'rolloutRateIncreaseSucceededThingsUse a whole number of devices, at least 1.',
  EdgeFleetTimeoutOutOfRange:
    'componentUpdateTimeout (seconds)secondsUse whole seconds, e.g. Duration.seconds(60).',
  EdgeModelBatchDelayOutOfRange:
    'batchDelay must be whole milliseconds from 0 to 1000, got <value> ms',
  EdgeModelContractFileMissing:
    'the stored model \'<value>\' has no contract.json written at synth (localContractPath): its digest is needed for the recipe',
  EdgeModelHostInvalid:
    'host must be an IP address or a host name, got \'<value>\'',
  EdgeModelMaxBatchOutOfRange:
    'EdgeModelBatchDelayOutOfRangebatchDelay must be whole milliseconds from 0 to 1000, got <value> msEdgeModelMetricsIntervalOutOfRange',
  EdgeModelMetricsIntervalOutOfRange:
    'metricsInterval must be whole seconds from 10 to 3600 (or 0: no metrics), got <value> s',
  EdgeModelObjectKeyUnexpected:
    'the model object key must end in /<value>, got \'<value>\'',
  EdgeModelPortOutOfRange:
    'threadsEdgeModelThreadsOutOfRangemaxBatchEdgeModelMaxBatchOutOfRangeEdgeModelBatchDelayOutOfRangebatchDelay must be whole milliseconds from 0 to 1000, got <value> ms',
  EdgeModelReadinessTimeoutOutOfRange:
    'readinessTimeout must be whole seconds from 5 to 3600, got <value> s',
  EdgeModelThreadsOutOfRange:
    'maxBatchEdgeModelMaxBatchOutOfRangeEdgeModelBatchDelayOutOfRangebatchDelay must be whole milliseconds from 0 to 1000, got <value> ms',
  EdgeModelTokenFileInvalid:
    'tokenFile must be an absolute path without quotes, spaces or \'$\', got \'<value>\'',
} as const;
