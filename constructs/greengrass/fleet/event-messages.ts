import * as events from 'aws-cdk-lib/aws-events';

/** The `detail-type` of Greengrass's event when a deployment ends on a core device. */
export const DEPLOYMENT_STATUS_DETAIL_TYPE = 'Greengrass V2 Effective Deployment Status Change';
/** The `detail-type` of Greengrass's event when an installed component changes state on a core device. */
export const COMPONENT_STATUS_DETAIL_TYPE = 'Greengrass V2 Installed Component Status Change';

/**
 * The SNS messages the fleet's event rules send: AWS Chatbot custom notifications (`version`, `source: custom`,
 * `content.title`, `content.description`, `content.keywords`), which Slack and Teams show as a titled message and an
 * e-mail subscriber reads as short JSON, instead of the raw event.
 *
 * Input transformer paths: a string value is inserted inside the quotes of a template string, a list (the error
 * stack, the status codes) is inserted as a JSON value (`keywords`).
 *
 * @see https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
 */
export function deploymentStatusInput(fleetName: string): events.RuleTargetInput {
  const f = (p: string) => events.EventField.fromPath(p);
  return events.RuleTargetInput.fromObject({
    version: '1.0',
    source: 'custom',
    id: f('$.id'),
    content: {
      textType: 'client-markdown',
      title: `Greengrass deployment ${f('$.detail.coreDeviceExecutionStatus')} on ${f('$.resources[0]')}`,
      description: `Fleet ${fleetName}: the deployment ${f('$.detail.deploymentId')} `
        + `ended as ${f('$.detail.coreDeviceExecutionStatus')} on core device ${f('$.resources[0]')} at ${f('$.time')}. `
        + `Reason: ${f('$.detail.reason')}. Next: npx modelfleet fleet status; on the device, `
        + 'sudo tail -n 100 /greengrass/v2/logs/greengrass.log',
      keywords: f('$.detail.statusDetails.errorStack'),
    },
  });
}

/** The message of the component status rule (see `deploymentStatusInput`). */
export function componentStatusInput(fleetName: string): events.RuleTargetInput {
  const f = (p: string) => events.EventField.fromPath(p);
  return events.RuleTargetInput.fromObject({
    version: '1.0',
    source: 'custom',
    id: f('$.id'),
    content: {
      textType: 'client-markdown',
      title: `Greengrass component ${f('$.detail.components[0].componentName')} `
        + `${f('$.detail.components[0].lifecycleState')} on ${f('$.resources[0]')}`,
      description: `Fleet ${fleetName}: component ${f('$.detail.components[0].componentName')} version `
        + `${f('$.detail.components[0].componentVersion')} is ${f('$.detail.components[0].lifecycleState')} on core `
        + `device ${f('$.resources[0]')} at ${f('$.time')}: ${f('$.detail.components[0].lifecycleStateDetails')}. `
        + 'Next: on the device, sudo tail -n 100 /greengrass/v2/logs/'
        + `${f('$.detail.components[0].componentName')}.log`,
      keywords: f('$.detail.components[0].lifecycleStatusCodes'),
    },
  });
}
