/**
 * The ids of the CloudFormation outputs an `EdgeFleet` writes for `modelfleet pi-bootstrap`. In a
 * `cdk deploy --outputs-file` JSON they appear as `<construct path><id><8 hex hash>`, e.g.
 * `FleetEdgeFleetRegion1A2B3C4D`: the bootstrap command finds them by these ids.
 */
export const FLEET_OUTPUT_IDS = {
  region: 'EdgeFleetRegion',
  thingGroupName: 'EdgeFleetThingGroupName',
  provisioningTemplateName: 'EdgeFleetProvisioningTemplateName',
  roleAlias: 'EdgeFleetRoleAlias',
  iotDataEndpoint: 'EdgeFleetIotDataEndpoint',
  iotCredentialEndpoint: 'EdgeFleetIotCredentialEndpoint',
  claimCertificateArn: 'EdgeFleetClaimCertificateArn',
  claimCertificateId: 'EdgeFleetClaimCertificateId',
  claimKeySecretArn: 'EdgeFleetClaimKeySecretArn',
} as const;

/** A field of the bootstrap outputs. */
export type FleetOutputField = keyof typeof FLEET_OUTPUT_IDS;
