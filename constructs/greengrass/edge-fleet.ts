import { Aws, CfnOutput, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as greengrassv2 from 'aws-cdk-lib/aws-greengrassv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import { acknowledge } from '../core/private/acknowledge';
import { ErrorCode } from '../core/private/error-codes';
import { FieldErrors } from '../core/private/field-errors';
import { EdgeComponentRef, IEdgeComponent } from './components/edge-component';
import { ClaimCertificate } from './fleet/claim-certificate';
import { COMPONENT_VERSION_PATTERN, FleetDeployment, validateComponent } from './fleet/deployment';
import { FLEET_OUTPUT_IDS } from './fleet/outputs';
import { claimPolicyDocument, coreDevicePolicyDocument, tokenExchangeLogStatements } from './fleet/policies';
import { defaultProvisioningHook } from './fleet/provisioning-hook';
import { provisioningTemplateBody } from './fleet/provisioning-template';

export { ClaimCertificate } from './fleet/claim-certificate';
export type { ClaimCertificateConfig } from './fleet/claim-certificate';

/** What a deployment does when a component fails on a device. */
export enum DeploymentFailureHandling {
  /** Put the device back to the configuration it had before the deployment. */
  ROLLBACK = 'ROLLBACK',
  /** Leave the device as the failed deployment left it. */
  DO_NOTHING = 'DO_NOTHING',
}

/** Whether components are asked before they are updated (they can defer the update over IPC). */
export enum ComponentUpdateAction {
  /** Notify components and wait for them (up to the component update timeout) before updating. */
  NOTIFY_COMPONENTS = 'NOTIFY_COMPONENTS',
  /** Update without notifying components. */
  SKIP_NOTIFY_COMPONENTS = 'SKIP_NOTIFY_COMPONENTS',
}

/**
 * A fleet of Greengrass core devices (one IoT thing group) and what this app deploys to it: what a model deployment
 * (`ModelFleet`, `EdgeFleetMonitoring`) takes. `EdgeFleet` creates one; `EdgeFleet.fromThingGroupName` imports one.
 */
export interface IEdgeFleet extends IConstruct {
  /** Name of the fleet's IoT thing group. */
  readonly thingGroupName: string;
  /** ARN of the fleet's IoT thing group (the deployment target). */
  readonly thingGroupArn: string;
  /** The role core devices get credentials for: grant it the reads of the fleet's artifacts. */
  readonly tokenExchangeRole: iam.IRole;
  /** The id of this app's Greengrass deployment to the thing group (reading it on an imported fleet creates it). */
  readonly deploymentId: string;
  /** The names of the components of this app's deployment to the fleet, as added so far. */
  readonly deployedComponentNames: string[];

  /**
   * Adds a component version to the fleet's deployment.
   *
   * The device's configuration of the component is reset to the recipe's defaults first (`reset: ['']`), then
   * `configurationMerge` is merged, so every device ends with the same configuration whatever it had before.
   *
   * @param componentRef the component version
   * @param configurationMerge a JSON object merged into the component's default configuration
   */
  addComponent(componentRef: EdgeComponentRef, configurationMerge?: string): void;

  /**
   * Deploys a component of this library to the fleet and lets the fleet's devices read its artifacts (and those of
   * its dependencies): `addComponent(component.componentRef, configurationMerge)` plus
   * `component.grantArtifactRead(this.tokenExchangeRole)`. The grant's findings are acknowledged on a token exchange
   * role the fleet created, never on one it was given. Adding the same component again does nothing (the shared
   * runtime components of several models are added once).
   *
   * @param component the component (e.g. a `ModelComponent`)
   * @param configurationMerge a JSON object merged into the component's default configuration
   */
  addEdgeComponent(component: IEdgeComponent, configurationMerge?: string): void;
}

/** How a fleet's deployment rolls out and what it does on failure: for an `EdgeFleet` and an imported fleet alike. */
export interface EdgeFleetDeploymentOptions {
  /**
   * Name of the Greengrass deployment.
   *
   * @default - a name derived from the construct path
   */
  readonly deploymentName?: string;

  /**
   * What a device does when a component breaks during the deployment.
   *
   * @see https://docs.aws.amazon.com/greengrass/v2/APIReference/API_DeploymentPolicies.html
   * @default DeploymentFailureHandling.ROLLBACK
   */
  readonly deploymentFailureHandling?: DeploymentFailureHandling;

  /**
   * Whether running components are notified (and may defer) before an update.
   *
   * @default ComponentUpdateAction.NOTIFY_COMPONENTS
   */
  readonly componentUpdateAction?: ComponentUpdateAction;

  /**
   * How long components have to get ready for an update when notified (whole seconds, at least 1).
   *
   * @default Duration.seconds(60)
   */
  readonly componentUpdateTimeout?: Duration;

  /**
   * How long components have to validate their new configuration (whole seconds, at least 1).
   *
   * @default Duration.seconds(30)
   */
  readonly configurationValidationTimeout?: Duration;

  /**
   * The most devices notified of the deployment per minute (1 to 1000).
   *
   * @see https://docs.aws.amazon.com/iot/latest/apireference/API_JobExecutionsRolloutConfig.html
   * @default 50
   */
  readonly rolloutMaximumPerMinute?: number;

  /**
   * Devices notified per minute when the rollout starts (1 to 1000, at most `rolloutMaximumPerMinute`).
   *
   * @default 5
   */
  readonly rolloutBaseRatePerMinute?: number;

  /**
   * Factor the rollout rate grows by each time `rolloutRateIncreaseSucceededThings` more devices succeeded
   * (1.1 to 5, one decimal).
   *
   * @default 2
   */
  readonly rolloutIncrementFactor?: number;

  /**
   * Number of devices that must succeed before the rollout rate grows (at least 1).
   *
   * @default 5
   */
  readonly rolloutRateIncreaseSucceededThings?: number;

  /**
   * Percentage of devices whose deployment FAILED that cancels the deployment (above 0, up to 100, two decimals at
   * most). Only `FAILED` counts: a device that is offline or slow (`TIMED_OUT`) or that rejected the job does not.
   *
   * A cancel is final for the thing group: devices not yet updated keep their components, devices already updated
   * are not changed, and devices that join the group later do not receive the cancelled deployment at all (they run
   * nothing until a new deployment is made, e.g. by the next `cdk deploy` that changes a component).
   *
   * @see https://docs.aws.amazon.com/iot/latest/apireference/API_AbortCriteria.html
   * @see https://docs.aws.amazon.com/greengrass/v2/developerguide/cancel-deployments.html
   * @default 10
   */
  readonly rolloutAbortThresholdPercent?: number;

  /**
   * Number of devices that must have finished the deployment before the failure percentage is checked (at least 1).
   *
   * @default 10 - one or two broken Pis (a bad SD card, a full disk) cannot cancel the fleet's deployment
   */
  readonly rolloutAbortMinExecutedThings?: number;

  /**
   * How long a device may stay IN_PROGRESS on the deployment before it counts as timed out (1 minute to 7 days, whole
   * minutes).
   *
   * @default Duration.minutes(60)
   */
  readonly rolloutInProgressTimeout?: Duration;

  /**
   * Version of `aws.greengrass.Nucleus` to deploy with `nucleusJvmOptions` (must match or upgrade the installed one).
   *
   * @default - the nucleus is not part of the deployment
   */
  readonly nucleusVersion?: string;

  /**
   * JVM options for the nucleus, e.g. `-Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1` for a Pi with little memory.
   * Needs `nucleusVersion`.
   *
   * @default - the nucleus keeps its JVM options
   */
  readonly nucleusJvmOptions?: string;
}

/** An existing fleet: a thing group made by another app (or by hand) and the role its devices read artifacts with. */
export interface EdgeFleetAttributes extends EdgeFleetDeploymentOptions {
  /** Name of the existing IoT thing group. */
  readonly thingGroupName: string;

  /**
   * The token exchange role of the group's devices (the role of their IoT role alias): components added to the fleet
   * grant it their artifact reads. Pass an immutable import (`iam.Role.fromRoleArn(..., { mutable: false })`) when
   * the other app grants the reads itself.
   */
  readonly tokenExchangeRole: iam.IRole;
}

/** Properties of an `EdgeFleet`. */
export interface EdgeFleetProps extends EdgeFleetDeploymentOptions {
  /**
   * Name of the IoT thing group the fleet's devices join.
   *
   * @default - a name derived from the construct path
   */
  readonly thingGroupName?: string;

  /**
   * Component versions to deploy to the fleet (more with `addComponent`).
   *
   * @default - none: add at least one with `addComponent` before synth
   */
  readonly components?: EdgeComponentRef[];

  /**
   * How the claim certificate used by fleet provisioning is made.
   *
   * @default ClaimCertificate.generated() - a custom resource makes it; the private key goes to Secrets Manager
   */
  readonly claimCertificate?: ClaimCertificate;

  /**
   * Name of the IoT role alias for the token exchange role.
   *
   * @default - a name derived from the construct path
   */
  readonly roleAliasName?: string;

  /**
   * How long AWS credentials from the token exchange role last (900 seconds to 12 hours).
   *
   * @see https://docs.aws.amazon.com/iot/latest/developerguide/authorizing-direct-aws.html
   * @default Duration.hours(1)
   */
  readonly credentialDuration?: Duration;

  /**
   * Name of the fleet provisioning template (1 to 36 characters: letters, digits, `-`, `_`).
   *
   * @default - a name derived from the construct path
   */
  readonly provisioningTemplateName?: string;

  /**
   * A Lambda function AWS IoT calls before provisioning each device (payload version `2020-04-01`); it answers
   * `{ allowProvisioning: true|false }`, e.g. to admit only known serial numbers or thing names. It replaces the
   * default hook.
   *
   * @see https://docs.aws.amazon.com/iot/latest/developerguide/pre-provisioning-hook.html
   * @default - the default hook (unless `defaultProvisioningPreHook` is false): a small Lambda that refuses a thing
   *   name that is malformed or already exists, so the claim key cannot take over an existing Pi's thing
   */
  readonly provisioningPreHook?: lambda.IFunction;

  /**
   * Whether the fleet creates its default pre-provisioning hook when `provisioningPreHook` is not given. Set it to
   * false to provision every request signed with the claim certificate, including one that names an existing thing.
   *
   * @default true
   */
  readonly defaultProvisioningPreHook?: boolean;
}

const NAME_PATTERN = /^[a-zA-Z0-9:_-]{1,128}$/;
const ROLE_ALIAS_PATTERN = /^[\w=,@-]{1,128}$/;
const TEMPLATE_NAME_PATTERN = /^[0-9A-Za-z_-]{1,36}$/;

/**
 * A fleet of Greengrass v2 core devices (Raspberry Pis): the thing group they join by fleet provisioning, their IoT
 * and IAM permissions, and the deployment of the given components to them with a staged rollout.
 *
 * @example
 * const fleet = new EdgeFleet(this, 'Fleet');
 * fleet.addEdgeComponent(modelComponent); // deploys it and lets the devices read its artifacts
 */
export class EdgeFleet extends Construct implements IEdgeFleet {
  /**
   * An existing thing group, e.g. one another app provisions devices into, to deploy this app's components to.
   *
   * Importing creates nothing. The first component added (or the first read of `deploymentId`, e.g. by
   * `EdgeFleetMonitoring`) creates this app's Greengrass deployment to the group, with the default rollout (see
   * `fromEdgeFleetAttributes` to set it). Greengrass keeps one deployment per thing group: this deployment replaces
   * the group's current one, and the devices uninstall every component that only the replaced deployment listed. So
   * import a thing group that no other app deploys to; a device may belong to several thing groups and runs the
   * components of each group's deployment.
   *
   * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-greengrassv2-deployment.html
   * @see https://docs.aws.amazon.com/greengrass/v2/developerguide/create-deployments.html
   *
   * @param scope the scope of the imported fleet (its deployment is created there)
   * @param id the imported fleet's id
   * @param thingGroupName the existing thing group
   * @param tokenExchangeRole the role of the group's devices' role alias: components grant it their artifact reads
   */
  public static fromThingGroupName(scope: Construct, id: string, thingGroupName: string, tokenExchangeRole: iam.IRole): IEdgeFleet {
    return EdgeFleet.fromEdgeFleetAttributes(scope, id, { thingGroupName, tokenExchangeRole });
  }

  /**
   * An existing thing group, with the rollout of this app's deployment to it (see `fromThingGroupName`: the deployment
   * replaces any other deployment to the group).
   *
   * @param scope the scope of the imported fleet (its deployment is created there)
   * @param id the imported fleet's id
   * @param attrs the thing group, its token exchange role and the deployment's rollout
   */
  public static fromEdgeFleetAttributes(scope: Construct, id: string, attrs: EdgeFleetAttributes): IEdgeFleet {
    return new ImportedEdgeFleet(scope, id, attrs);
  }

  public readonly thingGroupName: string;
  public readonly thingGroupArn: string;
  /** The fleet's thing group. */
  public readonly thingGroup: iot.CfnThingGroup;
  public readonly tokenExchangeRole: iam.IRole;
  /** The role alias devices assume the token exchange role through. */
  public readonly roleAlias: iot.CfnRoleAlias;
  /** The IoT policy attached to every provisioned core device's certificate. */
  public readonly coreDevicePolicy: iot.CfnPolicy;
  /** The IoT policy of the claim certificate: fleet provisioning only. */
  public readonly claimPolicy: iot.CfnPolicy;
  /** The role AWS IoT uses to create things and attach policies while provisioning. */
  public readonly provisioningRole: iam.IRole;
  /** The fleet provisioning template. */
  public readonly provisioningTemplate: iot.CfnProvisioningTemplate;
  /**
   * The Lambda AWS IoT calls before provisioning each device.
   *
   * @default - none when `defaultProvisioningPreHook` is false and no `provisioningPreHook` is given
   */
  public readonly provisioningPreHook?: lambda.IFunction;
  /** ARN of the claim certificate. */
  public readonly claimCertificateArn: string;
  /** Id of the claim certificate. */
  public readonly claimCertificateId: string;
  /**
   * The secret with the claim certificate's private key.
   *
   * @default - none when the claim certificate comes from a CSR
   */
  public readonly claimKeySecret?: secretsmanager.ISecret;
  /** The IoT data endpoint (ATS) of the account and Region. */
  public readonly iotDataEndpoint: string;
  /** The IoT credential provider endpoint of the account and Region. */
  public readonly iotCredentialEndpoint: string;
  /** The Greengrass deployment to the thing group. */
  public readonly deployment: greengrassv2.CfnDeployment;

  private readonly fleetDeployment: FleetDeployment;

  constructor(scope: Construct, id: string, props: EdgeFleetProps = {}) {
    super(scope, id);
    const problems = new FieldErrors();
    validateProps(props, problems);
    for (const componentRef of props.components ?? []) {
      validateComponent(componentRef, undefined, problems);
    }
    problems.throwIfAny(this);

    const thingGroupName = props.thingGroupName ?? Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
    const roleAliasName = props.roleAliasName ?? Names.uniqueResourceName(this, { maxLength: 114, separator: '-' }) + '-TokenExchange';
    const templateName = props.provisioningTemplateName ?? Names.uniqueResourceName(this, { maxLength: 36, separator: '-' });

    // --- thing group ---------------------------------------------------------------------------------------------
    this.thingGroup = new iot.CfnThingGroup(this, 'Resource', {
      thingGroupName,
      thingGroupProperties: { thingGroupDescription: `modelfleet edge fleet ${this.node.path}` },
    });
    this.thingGroupName = this.thingGroup.ref;
    this.thingGroupArn = this.thingGroup.attrArn;

    // --- token exchange role and its alias -------------------------------------------------------------------------
    const tokenExchangeRole = new iam.Role(this, 'TokenExchangeRole', {
      assumedBy: new iam.ServicePrincipal('credentials.iot.amazonaws.com'),
      description: `Greengrass token exchange role of ${this.node.path}: artifact reads and its own logs`,
    });
    for (const statement of tokenExchangeLogStatements()) {
      tokenExchangeRole.addToPolicy(statement);
    }
    this.tokenExchangeRole = tokenExchangeRole;
    this.roleAlias = new iot.CfnRoleAlias(this, 'RoleAlias', {
      roleAlias: roleAliasName,
      roleArn: tokenExchangeRole.roleArn,
      credentialDurationSeconds: (props.credentialDuration ?? Duration.hours(1)).toSeconds(),
    });

    // --- core device policy ----------------------------------------------------------------------------------------
    this.coreDevicePolicy = new iot.CfnPolicy(this, 'CoreDevicePolicy', {
      policyDocument: coreDevicePolicyDocument(this.roleAlias.attrRoleAliasArn),
    });

    // --- fleet provisioning by claim -------------------------------------------------------------------------------
    const provisioningRole = new iam.Role(this, 'ProvisioningRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com'),
      description: `Lets AWS IoT register the devices of ${this.node.path} (fleet provisioning)`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSIoTThingsRegistration')],
    });
    this.provisioningRole = provisioningRole;
    const preHook = props.provisioningPreHook
      ?? (props.defaultProvisioningPreHook === false ? undefined : defaultProvisioningHook(this));
    this.provisioningPreHook = preHook;
    this.provisioningTemplate = new iot.CfnProvisioningTemplate(this, 'ProvisioningTemplate', {
      templateName,
      description: `Provisions Greengrass core devices into ${thingGroupName}`,
      enabled: true,
      templateType: 'FLEET_PROVISIONING',
      provisioningRoleArn: provisioningRole.roleArn,
      preProvisioningHook: preHook ? { targetArn: preHook.functionArn, payloadVersion: '2020-04-01' } : undefined,
      templateBody: Stack.of(this).toJsonString(provisioningTemplateBody(this.thingGroup.ref, this.coreDevicePolicy.ref)),
    });

    if (preHook) {
      // Only AWS IoT, for this template, may call the hook. The ARN is built from the name (not the template's
      // attribute) so that the permission exists before the template that names the hook is created.
      const permission = new lambda.CfnPermission(this, 'ProvisioningPreHookPermission', {
        action: 'lambda:InvokeFunction',
        functionName: preHook.functionArn,
        principal: 'iot.amazonaws.com',
        sourceAccount: Aws.ACCOUNT_ID,
        sourceArn: `arn:${Aws.PARTITION}:iot:${Aws.REGION}:${Aws.ACCOUNT_ID}:provisioningtemplate/${templateName}`,
      });
      this.provisioningTemplate.addResourceDependency(permission);
    }
    this.claimPolicy = new iot.CfnPolicy(this, 'ClaimPolicy', {
      policyDocument: claimPolicyDocument(this.provisioningTemplate.ref),
    });
    const claim = (props.claimCertificate ?? ClaimCertificate.generated()).bind(this);
    this.claimCertificateArn = claim.certificateArn;
    this.claimCertificateId = claim.certificateId;
    this.claimKeySecret = claim.privateKeySecret;
    new iot.CfnPolicyPrincipalAttachment(this, 'ClaimPolicyAttachment', {
      policyName: this.claimPolicy.ref,
      principal: claim.certificateArn,
    });

    // --- endpoints (no CloudFormation attribute gives them) --------------------------------------------------------
    this.iotDataEndpoint = this.describeEndpoint('DataEndpoint', 'iot:Data-ATS');
    this.iotCredentialEndpoint = this.describeEndpoint('CredentialEndpoint', 'iot:CredentialProvider');

    // --- deployment ------------------------------------------------------------------------------------------------
    this.fleetDeployment = new FleetDeployment(this, props);
    this.deployment = this.fleetDeployment.deployment;
    for (const componentRef of props.components ?? []) {
      this.fleetDeployment.add(componentRef);
    }

    // --- outputs for `modelfleet pi-bootstrap` ---------------------------------------------------------------------
    const outputs: Array<[string, string, string]> = [
      [FLEET_OUTPUT_IDS.region, Aws.REGION, 'Region of the edge fleet'],
      [FLEET_OUTPUT_IDS.thingGroupName, this.thingGroupName, 'Thing group the fleet\'s devices join'],
      [FLEET_OUTPUT_IDS.provisioningTemplateName, this.provisioningTemplate.ref, 'Fleet provisioning template'],
      [FLEET_OUTPUT_IDS.roleAlias, this.roleAlias.ref, 'IoT role alias of the token exchange role'],
      [FLEET_OUTPUT_IDS.iotDataEndpoint, this.iotDataEndpoint, 'IoT data endpoint (ATS)'],
      [FLEET_OUTPUT_IDS.iotCredentialEndpoint, this.iotCredentialEndpoint, 'IoT credential provider endpoint'],
      [FLEET_OUTPUT_IDS.claimCertificateArn, this.claimCertificateArn, 'Claim certificate ARN'],
      [FLEET_OUTPUT_IDS.claimCertificateId, this.claimCertificateId, 'Claim certificate id'],
    ];
    if (this.claimKeySecret) {
      outputs.push([FLEET_OUTPUT_IDS.claimKeySecretArn, this.claimKeySecret.secretArn,
        'Secret holding the claim certificate\'s private key']);
    }
    for (const [outputId, value, description] of outputs) {
      new CfnOutput(this, outputId, { value, description });
    }

    this.addNagSuppressions(tokenExchangeRole, provisioningRole);
  }

  public get deploymentId(): string {
    return this.deployment.attrDeploymentId;
  }

  public get deployedComponentNames(): string[] {
    return this.fleetDeployment.componentNames;
  }

  public addComponent(componentRef: EdgeComponentRef, configurationMerge?: string): void {
    this.fleetDeployment.add(componentRef, configurationMerge);
  }

  public addEdgeComponent(component: IEdgeComponent, configurationMerge?: string): void {
    this.fleetDeployment.addEdgeComponent(component, configurationMerge);
  }

  private describeEndpoint(id: string, endpointType: string): string {
    const call: cr.AwsSdkCall = {
      service: 'Iot',
      action: 'describeEndpoint',
      parameters: { endpointType },
      physicalResourceId: cr.PhysicalResourceId.of(endpointType),
    };
    const resource = new cr.AwsCustomResource(this, id, {
      onUpdate: call,
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
    });
    acknowledge(this, resource, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'iot:DescribeEndpoint has no resource type: it can only be granted on `*`.',
    });
    return resource.getResponseField('endpointAddress');
  }

  private addNagSuppressions(tokenExchangeRole: iam.Role, provisioningRole: iam.Role): void {
    const logGroups = 'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/greengrass/*';
    const logReason = 'Greengrass names log groups per component (/aws/greengrass/<kind>/<region>/<component>) and log '
      + 'streams per day; the streams are scoped to the calling thing with ${credentials-iot:ThingName}.';
    acknowledge(this, tokenExchangeRole,
      { id: `AwsSolutions-IAM5[Resource::${logGroups}]`, reason: logReason },
      { id: `AwsSolutions-IAM5[Resource::${logGroups}:log-stream:/*/thing/<credentials-iot:ThingName>]`, reason: logReason });
    acknowledge(this, provisioningRole, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSIoTThingsRegistration]',
      reason: 'AWSIoTThingsRegistration is the AWS-maintained policy fleet provisioning documents for its role.',
    });
    const provider = Stack.of(this).node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
    if (provider) {
      acknowledge(this, provider, {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The AwsCustomResource provider only writes its own logs with AWSLambdaBasicExecutionRole.',
      });
    }
  }
}

/** A thing group of another app (see `EdgeFleet.fromThingGroupName`). */
class ImportedEdgeFleet extends Construct implements IEdgeFleet {
  public readonly thingGroupName: string;
  public readonly thingGroupArn: string;
  public readonly tokenExchangeRole: iam.IRole;
  private readonly fleetDeployment: FleetDeployment;

  constructor(scope: Construct, id: string, attrs: EdgeFleetAttributes) {
    super(scope, id);
    const problems = new FieldErrors();
    if (!Token.isUnresolved(attrs.thingGroupName) && !NAME_PATTERN.test(attrs.thingGroupName)) {
      problems.add('EdgeFleetNameInvalid', 'thingGroupName must be 1 to 128 letters, digits, `:`, `_` or `-`, '
        + `got '${attrs.thingGroupName}'; give the name of the existing thing group`);
    }
    validateDeploymentOptions(attrs, problems);
    problems.throwIfAny(this);
    this.thingGroupName = attrs.thingGroupName;
    this.thingGroupArn = Stack.of(this).formatArn({ service: 'iot', resource: 'thinggroup', resourceName: attrs.thingGroupName });
    this.tokenExchangeRole = attrs.tokenExchangeRole;
    this.fleetDeployment = new FleetDeployment(this, attrs);
  }

  public get deploymentId(): string {
    return this.fleetDeployment.deployment.attrDeploymentId;
  }

  public get deployedComponentNames(): string[] {
    return this.fleetDeployment.componentNames;
  }

  public addComponent(componentRef: EdgeComponentRef, configurationMerge?: string): void {
    this.fleetDeployment.add(componentRef, configurationMerge);
  }

  public addEdgeComponent(component: IEdgeComponent, configurationMerge?: string): void {
    this.fleetDeployment.addEdgeComponent(component, configurationMerge);
  }
}

function durationIn(d: Duration | undefined, unit: 'seconds' | 'minutes'): number | undefined {
  if (d === undefined) return undefined;
  return unit === 'seconds' ? d.toSeconds({ integral: false }) : d.toMinutes({ integral: false });
}

function validateProps(props: EdgeFleetProps, problems: FieldErrors): void {
  const name = (code: ErrorCode, label: string, value: string | undefined, pattern: RegExp, rule: string) => {
    if (value !== undefined && !Token.isUnresolved(value) && !pattern.test(value)) {
      problems.add(code, `${label} must be ${rule}, got '${value}'; choose a name that matches ${pattern}`);
    }
  };
  name('EdgeFleetNameInvalid', 'thingGroupName', props.thingGroupName, NAME_PATTERN,
    '1 to 128 letters, digits, `:`, `_` or `-`');
  name('EdgeFleetNameInvalid', 'roleAliasName', props.roleAliasName, ROLE_ALIAS_PATTERN,
    '1 to 128 word characters, `=`, `,`, `@` or `-`');
  name('EdgeFleetNameInvalid', 'provisioningTemplateName', props.provisioningTemplateName, TEMPLATE_NAME_PATTERN,
    '1 to 36 letters, digits, `_` or `-`');
  problems.range('EdgeFleetCredentialDurationOutOfRange', 'credentialDuration (seconds)',
    durationIn(props.credentialDuration, 'seconds'), 900, 43200,
    'the IoT credentials provider accepts 15 minutes to 12 hours');
  validateDeploymentOptions(props, problems);
}

/** Checks the rollout and policies of a fleet's deployment against what Greengrass and IoT jobs accept. */
function validateDeploymentOptions(props: EdgeFleetDeploymentOptions, problems: FieldErrors): void {
  problems.range('EdgeFleetTimeoutOutOfRange', 'componentUpdateTimeout (seconds)',
    durationIn(props.componentUpdateTimeout, 'seconds'), 1, 86400, 'use whole seconds, e.g. Duration.seconds(60)');
  problems.range('EdgeFleetTimeoutOutOfRange', 'configurationValidationTimeout (seconds)',
    durationIn(props.configurationValidationTimeout, 'seconds'), 1, 86400, 'use whole seconds, e.g. Duration.seconds(30)');
  problems.range('EdgeFleetTimeoutOutOfRange', 'rolloutInProgressTimeout (minutes)',
    durationIn(props.rolloutInProgressTimeout, 'minutes'), 1, 10080,
    'IoT jobs accept whole minutes from 1 to 10080 (7 days)');
  problems.range('EdgeFleetRolloutRateOutOfRange', 'rolloutMaximumPerMinute', props.rolloutMaximumPerMinute,
    1, 1000, 'IoT jobs notify 1 to 1000 devices per minute');
  problems.range('EdgeFleetRolloutRateOutOfRange', 'rolloutBaseRatePerMinute', props.rolloutBaseRatePerMinute,
    1, 1000, 'IoT jobs notify 1 to 1000 devices per minute');
  const max = props.rolloutMaximumPerMinute ?? 50;
  const base = props.rolloutBaseRatePerMinute ?? 5;
  if (!Token.isUnresolved(max) && !Token.isUnresolved(base) && base >= 1 && max >= 1 && base > max) {
    problems.add('EdgeFleetRolloutRateOutOfRange', `rolloutBaseRatePerMinute (${base}) must not exceed `
      + `rolloutMaximumPerMinute (${max}); lower the base rate or raise the maximum`);
  }
  problems.range('EdgeFleetRolloutIncrementFactorOutOfRange', 'rolloutIncrementFactor',
    props.rolloutIncrementFactor, 1.1, 5, 'use 1.1 to 5 with at most one decimal, e.g. 2', true);
  const factor = props.rolloutIncrementFactor;
  if (factor !== undefined && !Token.isUnresolved(factor) && factor >= 1.1 && factor <= 5
    && Math.abs(factor * 10 - Math.round(factor * 10)) > 1e-9) {
    problems.add('EdgeFleetRolloutIncrementFactorOutOfRange',
      `rolloutIncrementFactor allows one decimal, got ${factor}; round it, e.g. to ${Math.round(factor * 10) / 10}`);
  }
  problems.range('EdgeFleetRolloutThingsOutOfRange', 'rolloutRateIncreaseSucceededThings',
    props.rolloutRateIncreaseSucceededThings, 1, 1_000_000, 'use a whole number of devices, at least 1');
  problems.range('EdgeFleetRolloutThingsOutOfRange', 'rolloutAbortMinExecutedThings',
    props.rolloutAbortMinExecutedThings, 1, 1_000_000, 'use a whole number of devices, at least 1');
  const pct = props.rolloutAbortThresholdPercent;
  if (pct !== undefined && !Token.isUnresolved(pct)
    && (!Number.isFinite(pct) || pct <= 0 || pct > 100 || Math.abs(pct * 100 - Math.round(pct * 100)) > 1e-6)) {
    problems.add('EdgeFleetAbortThresholdOutOfRange', 'rolloutAbortThresholdPercent must be above 0 and at most 100 '
      + `with at most two decimals, got ${pct}; use a percentage such as 10`);
  }
  if (props.nucleusJvmOptions !== undefined && props.nucleusVersion === undefined) {
    problems.add('EdgeFleetNucleusVersionRequired', 'nucleusJvmOptions needs nucleusVersion: the nucleus can only be '
      + 'configured by deploying a version of it; set nucleusVersion to the version installed on the devices, e.g. \'2.16.0\' (what pi-bootstrap installs)');
  }
  if (props.nucleusVersion !== undefined && !Token.isUnresolved(props.nucleusVersion)
    && !COMPONENT_VERSION_PATTERN.test(props.nucleusVersion)) {
    problems.add('EdgeFleetNucleusVersionInvalid', `nucleusVersion must be a semantic version, got '${props.nucleusVersion}'; `
      + 'use the version installed on the devices, e.g. \'2.16.0\'');
  }
}
