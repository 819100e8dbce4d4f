/** The fleet provisioning template body (a JSON document, rendered with `Stack.toJsonString`). */
export interface ProvisioningTemplateBody {
  readonly Parameters: Record<string, { readonly Type: 'String'; readonly Default?: string }>;
  readonly Resources: Record<string, unknown>;
}

/**
 * The template a claim certificate provisions with: it creates the thing named by the device, puts it in the fleet's
 * thing group, activates the certificate fleet provisioning issued, attaches it to the thing exclusively (so the
 * `${iot:Connection.Thing.ThingName}` policy variables resolve) and attaches the core device policy.
 *
 * `ThingGroupName` is declared (the nucleus plugin's `templateParameters` send it) but not used: the group is fixed
 * to this fleet's, so a device holding the claim certificate cannot put itself in another group.
 *
 * @param thingGroupName the fleet's thing group
 * @param policyName the core device IoT policy
 */
export function provisioningTemplateBody(thingGroupName: string, policyName: string): ProvisioningTemplateBody {
  return {
    Parameters: {
      'ThingName': { Type: 'String' },
      'ThingGroupName': { Type: 'String', Default: thingGroupName },
      'AWS::IoT::Certificate::Id': { Type: 'String' },
    },
    Resources: {
      thing: {
        Type: 'AWS::IoT::Thing',
        Properties: {
          ThingName: { Ref: 'ThingName' },
          AttributePayload: {},
          ThingGroups: [thingGroupName],
        },
        OverrideSettings: {
          AttributePayload: 'MERGE',
          ThingTypeName: 'REPLACE',
          ThingGroups: 'MERGE',
        },
      },
      certificate: {
        Type: 'AWS::IoT::Certificate',
        Properties: {
          CertificateId: { Ref: 'AWS::IoT::Certificate::Id' },
          Status: 'Active',
          ThingPrincipalType: 'EXCLUSIVE_THING',
        },
      },
      policy: {
        Type: 'AWS::IoT::Policy',
        Properties: { PolicyName: policyName },
      },
    },
  };
}
