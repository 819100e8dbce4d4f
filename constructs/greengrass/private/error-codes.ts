/**
 * Error codes of the edge fleet: each code's meaning and fix. `constructs/ERRORS.md` is written from
 * these tables (`npm run build`); a code is never reused for another problem.
 */
export const GREENGRASS_ERRORS = {
  EdgeArtifactsUnavailable:
    'The prebuilt edge runtime zips (dist/edge-artifacts/manifest.json and one zip per platform) are missing, of another format or incomplete. Run `npm run build` in the modelfleet checkout, or pass your own build with EdgeRuntimeArtifacts.fromDirectory(path).',
  EdgeComponentDuplicatePlatform:
    'A component\'s platforms list the same EdgePlatform twice. List each platform once.',
  EdgeComponentNameInvalid:
    'The Greengrass component name (`<prefix>.Model.<model name>`) holds characters other than letters, digits, \'-\', \'_\' and \'.\', starts with the reserved aws.greengrass, or is longer than 128 characters. Rename the model or change componentNamePrefix.',
  EdgeComponentNamePrefixInvalid:
    'componentNamePrefix is empty, holds characters other than letters, digits, \'-\', \'_\' and \'.\', or starts with the reserved aws.greengrass. Use e.g. \'modelfleet\' or your team\'s name.',
  EdgeComponentNoPlatform:
    'A component was given an empty platforms list, so it would ship for no device. Give at least one, e.g. [EdgePlatform.LINUX_ARM64].',
  EdgeComponentPlatformWithoutNode:
    'A component ships for a platform that its NodeRuntimeComponent does not ship Node for, so the device could not run it. Add the platform to the node runtime or remove it from the component.',
  EdgeFleetAbortThresholdOutOfRange:
    'rolloutAbortThresholdPercent is not above 0 and at most 100 with at most two decimals, as IoT jobs require. Use a percentage such as 10.',
  EdgeFleetClaimCsrInvalid:
    'ClaimCertificate.fromCsr was given text that is not a PEM certificate signing request. Make one with `openssl req -new ... -out claim.csr` and pass the file\'s text.',
  EdgeFleetComponentInvalid:
    'A component given to the fleet\'s deployment has a name that Greengrass refuses or a version that is not a semantic version (major.minor.patch). Use the name and published version of a component this app or AWS publishes.',
  EdgeFleetConfigurationMergeInvalid:
    'The configurationMerge given with a component is not a JSON object, which Greengrass requires. Pass JSON.stringify({ key: \'value\' }).',
  EdgeFleetCredentialDurationOutOfRange:
    'credentialDuration is outside what the IoT credentials provider accepts (whole seconds from 15 minutes to 12 hours). Use e.g. Duration.hours(1).',
  EdgeFleetDuplicateComponent:
    'The same component was added twice to the fleet\'s deployment, which lists one version of each component. Remove the other addComponent call.',
  EdgeFleetMonitoringErrorRateOutOfRange:
    'alarmErrorRatePercent is not above 0 and at most 100. Use the share of 5xx answers that should alarm, e.g. 5.',
  EdgeFleetMonitoringMinDevicesOutOfRange:
    'alarmMinReportingDevices is not a whole number of devices of at least 1. Give the fleet\'s size minus the devices you accept to lose.',
  EdgeFleetMonitoringUploadIntervalOutOfRange:
    'logUploadInterval is outside what the Greengrass log manager accepts (whole seconds from 10 to 3600). Use e.g. Duration.minutes(5).',
  EdgeFleetNameInvalid:
    'A name of the fleet (thingGroupName, roleAliasName or provisioningTemplateName) has characters or a length AWS IoT refuses. Choose a name that matches the pattern the message gives, or leave it unset to get one derived from the construct path.',
  EdgeFleetNucleusVersionInvalid:
    'nucleusVersion is not a semantic version (major.minor.patch). Use the version of aws.greengrass.Nucleus installed on the devices, e.g. \'2.16.0\'.',
  EdgeFleetNucleusVersionRequired:
    'nucleusJvmOptions was given without nucleusVersion: the nucleus can only be configured by deploying a version of it. Set nucleusVersion to the version installed on the devices, e.g. \'2.16.0\' (what pi-bootstrap installs).',
  EdgeFleetRolloutIncrementFactorOutOfRange:
    'rolloutIncrementFactor is outside what IoT jobs accept (1.1 to 5 with at most one decimal). Use e.g. 2.',
  EdgeFleetRolloutRateOutOfRange:
    'rolloutMaximumPerMinute or rolloutBaseRatePerMinute is outside 1 to 1000 devices per minute, or the base rate exceeds the maximum. Lower the base rate or raise the maximum within that range.',
  EdgeFleetRolloutThingsOutOfRange:
    'rolloutRateIncreaseSucceededThings or rolloutAbortMinExecutedThings is not a whole number of devices of at least 1. Give a device count such as 5 or 10.',
  EdgeFleetTimeoutOutOfRange:
    'componentUpdateTimeout, configurationValidationTimeout (whole seconds from 1 to 86400) or rolloutInProgressTimeout (whole minutes from 1 to 10080) is out of range. Use e.g. Duration.seconds(60) or Duration.minutes(60).',
  EdgeModelContractFileMissing:
    'The stored model has no contract.json written at synth (localContractPath), whose digest the recipe needs. Store the model with ModelStore.addModel in this app.',
  EdgeModelHostInvalid:
    'host is not an IP address or a host name (letters, digits, \'.\', \':\' and \'-\'), so it cannot go into the component\'s command line. Use e.g. \'127.0.0.1\' or \'0.0.0.0\'.',
  EdgeModelMetricsIntervalOutOfRange:
    'metricsInterval is outside the runtime\'s range for --emf-interval-s (whole seconds from 10 to 3600, or 0 for no metrics). Use e.g. Duration.minutes(5).',
  EdgeModelObjectKeyUnexpected:
    'The stored model\'s object key does not end in /model.onnx, the file name the component\'s command line uses. Store the model with ModelStore.addModel.',
  EdgeModelPortOutOfRange:
    'port is not a whole number from 1 to 65535, so the server and its readiness check could not agree on it. Give each model on a device its own port, e.g. 8080.',
  EdgeModelReadinessTimeoutOutOfRange:
    'readinessTimeout is not whole seconds from 5 to 3600. Use e.g. Duration.seconds(120): a Pi loads most models in 10 to 60 s.',
  EdgeModelTokenFileInvalid:
    'tokenFile is not an absolute path, or holds quotes, spaces or \'$\', which the component\'s command line cannot carry. Use e.g. \'/etc/modelfleet/token\'.',
} as const;
