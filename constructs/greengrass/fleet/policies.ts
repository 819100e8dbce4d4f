import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/** An IoT Core policy statement (IoT policies use the IAM grammar, without principals). */
export interface IotPolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: string[];
  readonly Resource: string[];
}

/** An IoT Core policy document. */
export interface IotPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: IotPolicyStatement[];
}

/** The IoT policy variable a core device's certificate resolves to its own thing name. */
export const THING_NAME_VARIABLE = '${iot:Connection.Thing.ThingName}';

/** The IAM policy variable the IoT credentials provider sets to the calling thing's name. */
export const CREDENTIALS_THING_NAME_VARIABLE = '${credentials-iot:ThingName}';

/** `arn:<partition>:iot:<region>:<account>` of the stack. */
function iotArnBase(): string {
  return `arn:${Aws.PARTITION}:iot:${Aws.REGION}:${Aws.ACCOUNT_ID}`;
}

/** The MQTT topics (without `topic/` or `topicfilter/`) a Greengrass core device uses, scoped to its own thing. */
export function coreDeviceTopics(): string[] {
  // Scoped to the exact thing name: a trailing `*` after the name (as in AWS's sample policy) would let device
  // `pi-1` publish to and read `pi-10`'s jobs and shadow topics.
  const thing = `$aws/things/${THING_NAME_VARIABLE}`;
  return [
    `${thing}/greengrass/health/json`,
    `${thing}/greengrassv2/health/json`,
    `${thing}/jobs/*`,
    `${thing}/shadow/*`,
  ];
}

/**
 * The least-privilege IoT policy for Greengrass v2 core devices (nucleus 2.5 and later).
 *
 * @param roleAliasArn ARN of the token exchange role alias
 */
export function coreDevicePolicyDocument(roleAliasArn: string): IotPolicyDocument {
  const base = iotArnBase();
  const topics = coreDeviceTopics();
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ConnectAsOwnThing',
        Effect: 'Allow',
        Action: ['iot:Connect'],
        // The trailing `*` is required: past 50 subscriptions the nucleus opens more connections as `THING#2`, ...
        Resource: [`${base}:client/${THING_NAME_VARIABLE}*`],
      },
      {
        Sid: 'PublishReceiveOwnTopics',
        Effect: 'Allow',
        Action: ['iot:Publish', 'iot:Receive'],
        Resource: topics.map((t) => `${base}:topic/${t}`),
      },
      {
        Sid: 'SubscribeOwnTopics',
        Effect: 'Allow',
        Action: ['iot:Subscribe'],
        Resource: topics.map((t) => `${base}:topicfilter/${t}`),
      },
      {
        Sid: 'AssumeTokenExchangeRole',
        Effect: 'Allow',
        Action: ['iot:AssumeRoleWithCertificate'],
        Resource: [roleAliasArn],
      },
      {
        Sid: 'GreengrassDataPlane',
        Effect: 'Allow',
        Action: [
          'greengrass:GetComponentVersionArtifact',
          'greengrass:ResolveComponentCandidates',
          'greengrass:GetDeploymentConfiguration',
          'greengrass:ListThingGroupsForCoreDevice',
        ],
        // `*` on purpose: ResolveComponentCandidates, GetDeploymentConfiguration and ListThingGroupsForCoreDevice have
        // no resource type to scope to, and GetComponentVersionArtifact must also reach AWS-owned public components
        // (aws.greengrass.Nucleus lives in an AWS account, not this one). These are read-only data-plane calls.
        Resource: ['*'],
      },
    ],
  };
}

/** The prefix of the MQTT client ids a claim connection may use (`deviceId` in the plugin's configuration). */
export const CLAIM_CLIENT_ID_PREFIX = 'modelfleet.claim.';

/** The provisioning topics (without `topic/`/`topicfilter/`) a claim certificate may use for one template. */
export function provisioningTopics(templateName: string): string[] {
  return [
    '$aws/certificates/create/*',
    `$aws/provisioning-templates/${templateName}/provision/*`,
  ];
}

/**
 * The IoT policy of the claim certificate: connect, and the fleet provisioning topics of this template only.
 *
 * @param templateName the provisioning template's name
 */
export function claimPolicyDocument(templateName: string): IotPolicyDocument {
  const base = iotArnBase();
  const topics = provisioningTopics(templateName);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ConnectAsClaimClientOnly',
        Effect: 'Allow',
        Action: ['iot:Connect'],
        // Only client ids no core device uses: a thing name cannot hold a '.', and the bootstrap sets the plugin's
        // `deviceId` (its MQTT client id) to `modelfleet.claim.<thing name>`. With `client/*` anyone holding the claim
        // key could connect as an existing Pi's client id, and AWS IoT would disconnect the Pi.
        Resource: [`${base}:client/${CLAIM_CLIENT_ID_PREFIX}*`],
      },
      {
        Sid: 'PublishReceiveProvisioning',
        Effect: 'Allow',
        Action: ['iot:Publish', 'iot:Receive'],
        Resource: topics.map((t) => `${base}:topic/${t}`),
      },
      {
        Sid: 'SubscribeProvisioning',
        Effect: 'Allow',
        Action: ['iot:Subscribe'],
        Resource: topics.map((t) => `${base}:topicfilter/${t}`),
      },
    ],
  };
}

/**
 * The statements of the token exchange role besides artifact reads (granted by the components): CloudWatch Logs,
 * with log streams scoped to the calling thing (`/<date>/thing/<thing name>` is the log manager's stream name).
 */
export function tokenExchangeLogStatements(): iam.PolicyStatement[] {
  const groups = `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws/greengrass/*`;
  return [
    new iam.PolicyStatement({
      sid: 'GreengrassLogGroups',
      actions: ['logs:CreateLogGroup', 'logs:DescribeLogStreams'],
      resources: [groups],
    }),
    new iam.PolicyStatement({
      sid: 'OwnThingLogStreams',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [`${groups}:log-stream:/*/thing/${CREDENTIALS_THING_NAME_VARIABLE}`],
    }),
  ];
}
