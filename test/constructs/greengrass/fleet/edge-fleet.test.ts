import { App, Duration, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  ClaimCertificate, ComponentUpdateAction, DeploymentFailureHandling, EdgeFleet, EdgeFleetProps,
} from '../../../../constructs/greengrass/edge-fleet';
import { Construct } from 'constructs';
import { IEdgeComponent } from '../../../../constructs/greengrass/components/edge-component';
import { FLEET_OUTPUT_IDS } from '../../../../constructs/greengrass/fleet/outputs';
import { findFleetOutputs } from '../../../../bin/commands/pi-bootstrap';
import { modelFleetErrorOf } from '../../../helpers/construct-errors';

const MODEL = { componentName: 'modelfleet.Model.iris', componentVersion: '1.0.0' };
const SERVER = { componentName: 'modelfleet.ModelServer', componentVersion: '2.3.4' };
const IOT = 'arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>';
const THING = '${iot:Connection.Thing.ThingName}';
const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIIBfake\n-----END CERTIFICATE REQUEST-----\n';

type Json = Record<string, unknown>;

/** Renders a CloudFormation value as a string: `{Ref: X}` becomes `<X>`, `Fn::GetAtt` `<X.Attr>`, `Fn::Join` joined. */
function flat(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  const v = value as Json;
  if ('Ref' in v) {
    return `<${String(v.Ref)}>`;
  }
  if ('Fn::GetAtt' in v) {
    return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  }
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(flat).join(sep);
  }
  throw new Error(`cannot flatten ${JSON.stringify(value)}`);
}

interface FlatStatement {
  Sid?: string;
  Effect: string;
  Action: string[];
  Resource: string[];
}

function statements(document: Json): FlatStatement[] {
  return (document.Statement as Json[]).map((s) => ({
    Sid: s.Sid as string | undefined,
    Effect: s.Effect as string,
    Action: ([] as unknown[]).concat(s.Action).map(flat),
    Resource: ([] as unknown[]).concat(s.Resource).map(flat),
  }));
}

function only(template: Template, type: string, props: Json = {}): [string, Json] {
  const found = template.findResources(type, props);
  const ids = Object.keys(found);
  expect(ids).toHaveLength(1);
  return [ids[0], found[ids[0]] as Json];
}

function newStack(): Stack {
  return new Stack(new App(), 'Edge', { env: { account: '111111111111', region: 'eu-west-1' } });
}

function fleetStack(props: EdgeFleetProps = { components: [MODEL] }): { stack: Stack; fleet: EdgeFleet; template: Template } {
  const stack = newStack();
  const fleet = new EdgeFleet(stack, 'Fleet', props);
  return { stack, fleet, template: Template.fromStack(stack) };
}

const errorOf = modelFleetErrorOf;

describe('EdgeFleet', () => {
  let stack: Stack;
  let fleet: EdgeFleet;
  let template: Template;

  beforeAll(() => {
    ({ stack, fleet, template } = fleetStack());
  });

  test('creates the thing group as the primary resource with a stable logical id', () => {
    template.resourceCountIs('AWS::IoT::ThingGroup', 1);
    const [id, group] = only(template, 'AWS::IoT::ThingGroup');
    expect(id).toBe(stack.getLogicalId(fleet.thingGroup));
    expect(id).toMatch(/^Fleet[0-9A-F]{8}$/);
    expect((group.Properties as Json).ThingGroupName).toMatch(/^Edge-Fleet-[0-9A-F]{8}$/);
    expect(stack.resolve(fleet.thingGroupArn)).toEqual({ 'Fn::GetAtt': [id, 'Arn'] });
  });

  test('keeps the logical ids of its stateful resources', () => {
    const ids = Object.keys(template.toJSON().Resources);
    for (const expected of [/^Fleet[0-9A-F]{8}$/, /^FleetClaimKeySecret[0-9A-F]{8}$/, /^FleetClaimCertificate[0-9A-F]{8}$/,
      /^FleetRoleAlias[0-9A-F]{8}$/, /^FleetProvisioningTemplate[0-9A-F]{8}$/, /^FleetCoreDevicePolicy[0-9A-F]{8}$/]) {
      expect(ids.filter((id) => expected.test(id))).toHaveLength(1);
    }
    // The ids must not change between releases: a change replaces the resource (new claim certificate, new group).
    expect(ids).toEqual(expect.arrayContaining(['Fleet30813DF3', 'FleetClaimKeySecret1EB992FE',
      'FleetClaimCertificate28105482', 'FleetRoleAlias43D36F63', 'FleetProvisioningTemplate686CA3E8']));
  });

  test('trusts only credentials.iot.amazonaws.com with the token exchange role', () => {
    const [, role] = only(template, 'AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'credentials.iot.amazonaws.com' } })] } },
    });
    const trust = (role.Properties as Json).AssumeRolePolicyDocument as Json;
    expect(trust.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'credentials.iot.amazonaws.com' } }]);
    expect((role.Properties as Json).ManagedPolicyArns).toBeUndefined();
  });

  test('lets the token exchange role write only its own thing\'s Greengrass logs', () => {
    const [, policy] = only(template, 'AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: stack.getLogicalId(fleet.tokenExchangeRole.node.defaultChild as iam.CfnRole) }] },
    });
    const groups = 'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/greengrass/*';
    expect(statements((policy.Properties as Json).PolicyDocument as Json)).toEqual([
      { Sid: 'GreengrassLogGroups', Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:DescribeLogStreams'], Resource: [groups] },
      {
        Sid: 'OwnThingLogStreams', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [`${groups}:log-stream:/*/thing/\${credentials-iot:ThingName}`],
      },
    ]);
  });

  test('exposes the token exchange role as a grantee for the components\' artifact reads', () => {
    const s = newStack();
    const f = new EdgeFleet(s, 'Fleet', { components: [MODEL] });
    const grant = iam.Grant.addToPrincipal({
      grantee: f.tokenExchangeRole, actions: ['s3:GetObject'], resourceArns: ['arn:aws:s3:::store/models/iris/abc/*'],
    });
    expect(grant.success).toBe(true);
    Template.fromStack(s).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::store/models/iris/abc/*' })]) },
    });
  });

  test('creates the role alias for the token exchange role with a one hour credential duration', () => {
    const [, alias] = only(template, 'AWS::IoT::RoleAlias');
    const props = alias.Properties as Json;
    expect(props.CredentialDurationSeconds).toBe(3600);
    expect(props.RoleArn).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(fleet.tokenExchangeRole.node.defaultChild as iam.CfnRole), 'Arn'] });
    expect(props.RoleAlias).toMatch(/^[\w=,@-]+-TokenExchange$/);
  });

  test('gives core devices exactly the least-privilege statements, scoped to their own thing name', () => {
    const policy = template.toJSON().Resources[stack.getLogicalId(fleet.coreDevicePolicy)] as Json;
    const aliasId = stack.getLogicalId(fleet.roleAlias);
    const topics = [`$aws/things/${THING}/greengrass/health/json`, `$aws/things/${THING}/greengrassv2/health/json`,
      `$aws/things/${THING}/jobs/*`, `$aws/things/${THING}/shadow/*`];
    expect(statements((policy.Properties as Json).PolicyDocument as Json)).toEqual([
      { Sid: 'ConnectAsOwnThing', Effect: 'Allow', Action: ['iot:Connect'], Resource: [`${IOT}:client/${THING}*`] },
      { Sid: 'PublishReceiveOwnTopics', Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: topics.map((t) => `${IOT}:topic/${t}`) },
      { Sid: 'SubscribeOwnTopics', Effect: 'Allow', Action: ['iot:Subscribe'], Resource: topics.map((t) => `${IOT}:topicfilter/${t}`) },
      { Sid: 'AssumeTokenExchangeRole', Effect: 'Allow', Action: ['iot:AssumeRoleWithCertificate'], Resource: [`<${aliasId}.RoleAliasArn>`] },
      {
        Sid: 'GreengrassDataPlane', Effect: 'Allow',
        Action: ['greengrass:GetComponentVersionArtifact', 'greengrass:ResolveComponentCandidates',
          'greengrass:GetDeploymentConfiguration', 'greengrass:ListThingGroupsForCoreDevice'],
        Resource: ['*'],
      },
    ]);
  });

  test('never grants iot:* and uses `*` only for the Greengrass data-plane reads', () => {
    for (const [, policy] of Object.entries(template.findResources('AWS::IoT::Policy'))) {
      for (const s of statements(((policy as Json).Properties as Json).PolicyDocument as Json)) {
        expect(s.Action.filter((a) => a.endsWith(':*') || a === '*')).toEqual([]);
        if (s.Resource.includes('*')) {
          expect(s.Action.every((a) => a.startsWith('greengrass:'))).toBe(true);
        }
      }
    }
  });

  test('lets the claim certificate use only the provisioning topics of this template', () => {
    const policy = template.toJSON().Resources[stack.getLogicalId(fleet.claimPolicy)] as Json;
    const tpl = `<${stack.getLogicalId(fleet.provisioningTemplate)}>`;
    const topics = ['$aws/certificates/create/*', `$aws/provisioning-templates/${tpl}/provision/*`];
    expect(statements((policy.Properties as Json).PolicyDocument as Json)).toEqual([
      { Sid: 'ConnectAsClaimClientOnly', Effect: 'Allow', Action: ['iot:Connect'], Resource: [`${IOT}:client/modelfleet.claim.*`] },
      { Sid: 'PublishReceiveProvisioning', Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: topics.map((t) => `${IOT}:topic/${t}`) },
      { Sid: 'SubscribeProvisioning', Effect: 'Allow', Action: ['iot:Subscribe'], Resource: topics.map((t) => `${IOT}:topicfilter/${t}`) },
    ]);
  });

  test('never lets a claim connection use a client id a core device uses (thing names hold no \'.\')', () => {
    const policy = template.toJSON().Resources[stack.getLogicalId(fleet.claimPolicy)] as Json;
    const connect = statements((policy.Properties as Json).PolicyDocument as Json).filter((st) => st.Action.includes('iot:Connect'));
    expect(connect.flatMap((st) => st.Resource)).toEqual([`${IOT}:client/modelfleet.claim.*`]);
  });

  test('refuses malformed and existing thing names by default with its own pre-provisioning hook', () => {
    expect(fleet.provisioningPreHook).toBeDefined();
    const hookId = stack.getLogicalId(fleet.provisioningPreHook!.node.defaultChild as lambda.CfnFunction);
    template.hasResourceProperties('AWS::IoT::ProvisioningTemplate', {
      PreProvisioningHook: { TargetArn: { 'Fn::GetAtt': [hookId, 'Arn'] }, PayloadVersion: '2020-04-01' },
    });
    const policies = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('ProvisioningPreHook'));
    expect(policies).toHaveLength(1);
    expect(statements(policies[0].Properties.PolicyDocument as Json)).toEqual([
      { Effect: 'Allow', Action: ['iot:DescribeThing'], Resource: [`${IOT}:thing/*`] },
    ]);
  });

  test('attaches the claim policy to the claim certificate', () => {
    template.hasResourceProperties('AWS::IoT::PolicyPrincipalAttachment', {
      PolicyName: { Ref: stack.getLogicalId(fleet.claimPolicy) },
      Principal: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FleetClaimCertificate'), 'CertificateArn'] },
    });
  });

  test('provisions by claim: creates the thing in the group with the policy attached to an exclusive certificate', () => {
    const [, tpl] = only(template, 'AWS::IoT::ProvisioningTemplate');
    const props = tpl.Properties as Json;
    expect(props.Enabled).toBe(true);
    expect(props.PreProvisioningHook).toMatchObject({ PayloadVersion: '2020-04-01' }); // the default hook
    expect(props.TemplateType).toBe('FLEET_PROVISIONING');
    expect(props.ProvisioningRoleArn).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(fleet.provisioningRole.node.defaultChild as iam.CfnRole), 'Arn'] });
    const groupRef = `<${stack.getLogicalId(fleet.thingGroup)}>`;
    const body = JSON.parse(flat(props.TemplateBody).replace(/<(\w+)>/g, '$1')) as Json;
    const resources = body.Resources as Record<string, Json>;
    expect(body.Parameters).toEqual({
      'ThingName': { Type: 'String' },
      'ThingGroupName': { Type: 'String', Default: groupRef.slice(1, -1) },
      'AWS::IoT::Certificate::Id': { Type: 'String' },
    });
    expect(resources.thing.Type).toBe('AWS::IoT::Thing');
    expect(resources.thing.Properties).toEqual({ ThingName: { Ref: 'ThingName' }, AttributePayload: {}, ThingGroups: [groupRef.slice(1, -1)] });
    expect(resources.certificate).toEqual({
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'Active', ThingPrincipalType: 'EXCLUSIVE_THING' },
    });
    expect(resources.policy).toEqual({ Type: 'AWS::IoT::Policy', Properties: { PolicyName: stack.getLogicalId(fleet.coreDevicePolicy) } });
  });

  test('gives the provisioning role AWSIoTThingsRegistration, trusted by iot.amazonaws.com', () => {
    const role = template.toJSON().Resources[stack.getLogicalId(fleet.provisioningRole.node.defaultChild as iam.CfnRole)] as Json;
    const props = role.Properties as Json;
    expect((props.AssumeRolePolicyDocument as Json).Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'iot.amazonaws.com' } },
    ]);
    expect((props.ManagedPolicyArns as unknown[]).map(flat)).toEqual(['arn:<AWS::Partition>:iam::aws:policy/service-role/AWSIoTThingsRegistration']);
  });

  test('makes the claim certificate in a custom resource whose private key goes to Secrets Manager only', () => {
    const [, cert] = only(template, 'Custom::ModelfleetClaimCertificate');
    const secretId = Object.keys(template.findResources('AWS::SecretsManager::Secret'))[0];
    expect((cert.Properties as Json).SecretArn).toEqual({ Ref: secretId });
    const [handlerId, handler] = only(template, 'AWS::Lambda::Function', {
      Properties: { Handler: 'index.handler', Code: { ZipFile: Match.stringLikeRegexp('CreateKeysAndCertificateCommand') } },
    });
    expect(flat((cert.Properties as Json).ServiceToken)).toBe(`<${handlerId}.Arn>`);
    const code = ((handler.Properties as Json).Code as Json).ZipFile as string;
    expect(code).toContain('CreateKeysAndCertificateCommand');
    expect(code).toContain('PutSecretValueCommand');
    // No key material, no SSM parameter, no plaintext secret value anywhere in the template.
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toMatch(/BEGIN (RSA |EC )?PRIVATE KEY/);
    template.resourceCountIs('AWS::SSM::Parameter', 0);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: Match.absent() });
  });

  test('lets the claim handler create certificates, manage this account\'s certificates and write only its secret', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^FleetClaimCertificateHandlerServiceRole') }] },
    });
    const [policy] = Object.values(policies) as Json[];
    const secretId = Object.keys(template.findResources('AWS::SecretsManager::Secret'))[0];
    expect(statements((policy.Properties as Json).PolicyDocument as Json)).toEqual([
      { Sid: undefined, Effect: 'Allow', Action: ['iot:CreateKeysAndCertificate'], Resource: ['*'] },
      { Sid: undefined, Effect: 'Allow', Action: ['iot:DescribeCertificate', 'iot:UpdateCertificate', 'iot:DeleteCertificate'], Resource: [`${IOT}:cert/*`] },
      { Sid: undefined, Effect: 'Allow', Action: ['secretsmanager:PutSecretValue'], Resource: [`<${secretId}>`] },
    ]);
  });

  test('reads the IoT data and credential endpoints with IoT.describeEndpoint', () => {
    const calls = Object.values(template.findResources('Custom::AWS')).map((r) => JSON.parse(((r as Json).Properties as Json).Create as string));
    expect(calls.map((c) => [c.service, c.action, c.parameters.endpointType])).toEqual([
      ['Iot', 'describeEndpoint', 'iot:Data-ATS'],
      ['Iot', 'describeEndpoint', 'iot:CredentialProvider'],
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: 'iot:DescribeEndpoint', Effect: 'Allow', Resource: '*' }] },
    });
  });

  test('writes the outputs the bootstrap needs', () => {
    const outputs = template.toJSON().Outputs as Record<string, Json>;
    const byId = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k.replace(/^Fleet|[0-9A-F]{8}$/g, ''), flat(v.Value)]));
    expect(byId).toEqual({
      EdgeFleetRegion: '<AWS::Region>',
      EdgeFleetThingGroupName: `<${stack.getLogicalId(fleet.thingGroup)}>`,
      EdgeFleetProvisioningTemplateName: `<${stack.getLogicalId(fleet.provisioningTemplate)}>`,
      EdgeFleetRoleAlias: `<${stack.getLogicalId(fleet.roleAlias)}>`,
      EdgeFleetIotDataEndpoint: expect.stringMatching(/^<FleetDataEndpoint[0-9A-F]{8}\.endpointAddress>$/),
      EdgeFleetIotCredentialEndpoint: expect.stringMatching(/^<FleetCredentialEndpoint[0-9A-F]{8}\.endpointAddress>$/),
      EdgeFleetClaimCertificateArn: expect.stringMatching(/^<FleetClaimCertificate[0-9A-F]{8}\.CertificateArn>$/),
      EdgeFleetClaimCertificateId: expect.stringMatching(/^<FleetClaimCertificate[0-9A-F]{8}\.CertificateId>$/),
      EdgeFleetClaimKeySecretArn: expect.stringMatching(/^<FleetClaimKeySecret[0-9A-F]{8}>$/),
    });
  });

  test('names its outputs so that `modelfleet pi-bootstrap` finds every value of this fleet', () => {
    const outputs = template.toJSON().Outputs as Record<string, unknown>;
    const deployed = Object.fromEntries(Object.keys(outputs).map((k) => [k, `value-of-${k}`]));
    const fleets = findFleetOutputs(deployed);
    expect([...fleets.keys()]).toEqual(['Fleet']);
    expect(Object.keys(fleets.get('Fleet') ?? {}).sort()).toEqual(Object.keys(FLEET_OUTPUT_IDS).sort());
  });

  test('deploys to the thing group with rollback, a staged rollout and deterministic configuration by default', () => {
    const [, deployment] = only(template, 'AWS::GreengrassV2::Deployment');
    const props = deployment.Properties as Json;
    expect(props.TargetArn).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(fleet.thingGroup), 'Arn'] });
    expect(props.Components).toEqual({ 'modelfleet.Model.iris': { ComponentVersion: '1.0.0', ConfigurationUpdate: { Reset: [''] } } });
    expect(props.DeploymentPolicies).toEqual({
      FailureHandlingPolicy: 'ROLLBACK',
      ComponentUpdatePolicy: { Action: 'NOTIFY_COMPONENTS', TimeoutInSeconds: 60 },
      ConfigurationValidationPolicy: { TimeoutInSeconds: 30 },
    });
    expect(props.IotJobConfiguration).toEqual({
      JobExecutionsRolloutConfig: {
        MaximumPerMinute: 50,
        ExponentialRate: { BaseRatePerMinute: 5, IncrementFactor: 2, RateIncreaseCriteria: { NumberOfSucceededThings: 5 } },
      },
      AbortConfig: { CriteriaList: [{ FailureType: 'FAILED', Action: 'CANCEL', ThresholdPercentage: 10, MinNumberOfExecutedThings: 10 }] },
      TimeoutConfig: { InProgressTimeoutInMinutes: 60 },
    });
  });

  test('cancels the rollout only on FAILED devices, and never on the first one', () => {
    // A cancel is final for a thing group: devices that join later do not receive the cancelled deployment
    // (https://docs.aws.amazon.com/greengrass/v2/developerguide/cancel-deployments.html).
    const [, deployment] = only(template, 'AWS::GreengrassV2::Deployment');
    const criteria = (((deployment.Properties as Json).IotJobConfiguration as Json).AbortConfig as Json).CriteriaList as Json[];
    expect(criteria.map((c) => c.FailureType)).toEqual(['FAILED']);
    expect(criteria[0].MinNumberOfExecutedThings).toBeGreaterThanOrEqual(10);
  });

  test('creates the deployment after the token exchange role\'s policy, which a model update changes', () => {
    // The nucleus does not retry an S3 403 (S3Downloader.download: S3_GET_OBJECT_ACCESS_DENIED).
    const [, deployment] = only(template, 'AWS::GreengrassV2::Deployment');
    const role = fleet.tokenExchangeRole as iam.Role;
    const policy = role.node.findChild('DefaultPolicy').node.defaultChild as iam.CfnPolicy;
    expect(deployment.DependsOn).toEqual(expect.arrayContaining([
      stack.getLogicalId(policy), stack.getLogicalId(role.node.defaultChild as iam.CfnRole),
    ]));
  });

  test('passes cdk-nag AwsSolutions checks', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });
});

describe('EdgeFleet options', () => {
  test('renders the given rollout, update and credential settings', () => {
    const { template } = fleetStack({
      components: [MODEL],
      thingGroupName: 'pis',
      roleAliasName: 'pis-token',
      provisioningTemplateName: 'pis-provisioning',
      deploymentName: 'pis-models',
      credentialDuration: Duration.hours(2),
      deploymentFailureHandling: DeploymentFailureHandling.DO_NOTHING,
      componentUpdateAction: ComponentUpdateAction.SKIP_NOTIFY_COMPONENTS,
      componentUpdateTimeout: Duration.seconds(120),
      configurationValidationTimeout: Duration.seconds(15),
      rolloutMaximumPerMinute: 100,
      rolloutBaseRatePerMinute: 10,
      rolloutIncrementFactor: 1.5,
      rolloutRateIncreaseSucceededThings: 20,
      rolloutAbortThresholdPercent: 12.5,
      rolloutAbortMinExecutedThings: 25,
      rolloutInProgressTimeout: Duration.hours(3),
    });
    template.hasResourceProperties('AWS::IoT::ThingGroup', { ThingGroupName: 'pis' });
    template.hasResourceProperties('AWS::IoT::RoleAlias', { RoleAlias: 'pis-token', CredentialDurationSeconds: 7200 });
    template.hasResourceProperties('AWS::IoT::ProvisioningTemplate', { TemplateName: 'pis-provisioning' });
    template.hasResourceProperties('AWS::GreengrassV2::Deployment', {
      DeploymentName: 'pis-models',
      DeploymentPolicies: {
        FailureHandlingPolicy: 'DO_NOTHING',
        ComponentUpdatePolicy: { Action: 'SKIP_NOTIFY_COMPONENTS', TimeoutInSeconds: 120 },
        ConfigurationValidationPolicy: { TimeoutInSeconds: 15 },
      },
      IotJobConfiguration: {
        JobExecutionsRolloutConfig: {
          MaximumPerMinute: 100,
          ExponentialRate: { BaseRatePerMinute: 10, IncrementFactor: 1.5, RateIncreaseCriteria: { NumberOfSucceededThings: 20 } },
        },
        AbortConfig: { CriteriaList: [{ FailureType: 'FAILED', Action: 'CANCEL', ThresholdPercentage: 12.5, MinNumberOfExecutedThings: 25 }] },
        TimeoutConfig: { InProgressTimeoutInMinutes: 180 },
      },
    });
  });

  test('addComponent adds components after construction, each reset then merged', () => {
    const stack = newStack();
    const fleet = new EdgeFleet(stack, 'Fleet', { components: [SERVER] });
    fleet.addComponent(MODEL, JSON.stringify({ port: '8081', threads: '2' }));
    Template.fromStack(stack).hasResourceProperties('AWS::GreengrassV2::Deployment', {
      Components: {
        'modelfleet.ModelServer': { ComponentVersion: '2.3.4', ConfigurationUpdate: { Reset: [''] } },
        'modelfleet.Model.iris': { ComponentVersion: '1.0.0', ConfigurationUpdate: { Reset: [''], Merge: '{"port":"8081","threads":"2"}' } },
      },
    });
  });

  test('addEdgeComponent deploys a component and grants the token exchange role its artifact reads', () => {
    const stack = newStack();
    const fleet = new EdgeFleet(stack, 'Fleet');
    class FakeComponent extends Construct implements IEdgeComponent {
      public readonly componentName = MODEL.componentName;
      public readonly componentVersion = MODEL.componentVersion;
      public readonly componentRef = MODEL;
      public grantArtifactRead(grantee: iam.IGrantable): iam.Grant {
        return iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: ['arn:aws:s3:::store/models/iris/abc/*'] });
      }
    }
    const component = new FakeComponent(stack, 'Model');
    fleet.addEdgeComponent(component, '{"port":"8080"}');
    fleet.addEdgeComponent(component); // the same component again: nothing more
    expect(fleet.deployedComponentNames).toEqual([MODEL.componentName]);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::GreengrassV2::Deployment', {
      Components: { 'modelfleet.Model.iris': { ComponentVersion: '1.0.0', ConfigurationUpdate: { Reset: [''], Merge: '{"port":"8080"}' } } },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(fleet.tokenExchangeRole.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::store/models/iris/abc/*' })]) },
    });
  });

  test('acknowledges the artifact reads\' wildcards on its own token exchange role only', () => {
    const stack = newStack();
    const fleet = new EdgeFleet(stack, 'Fleet');
    class WildcardComponent extends Construct implements IEdgeComponent {
      public readonly componentName = MODEL.componentName;
      public readonly componentVersion = MODEL.componentVersion;
      public readonly componentRef = MODEL;
      public grantArtifactRead(grantee: iam.IGrantable): iam.Grant {
        return iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject*'], resourceArns: ['arn:aws:s3:::store/models/iris/*'] });
      }
    }
    fleet.addEdgeComponent(new WildcardComponent(stack, 'Model'));
    const userRole = new iam.Role(stack, 'UserRole', { assumedBy: new iam.ServicePrincipal('credentials.iot.amazonaws.com') });
    const imported = EdgeFleet.fromThingGroupName(stack, 'Imported', 'other-pis', userRole);
    imported.addEdgeComponent(new WildcardComponent(stack, 'Model2'));
    Template.fromStack(stack); // the acknowledgements are made when the app is prepared
    const report = new AwsSolutionsChecks().validateScope(stack);
    const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => r.constructPath ?? ''));
    // the fleet's own role: acknowledged; the role the user passed in keeps the grant's findings
    expect(findings.filter((p) => p.startsWith('Edge/Fleet/'))).toEqual([]);
    expect(findings.filter((p) => p.startsWith('Edge/UserRole/'))).not.toEqual([]);
  });

  test('deploys the nucleus with jvmOptions by merge only, never resetting its provisioned configuration', () => {
    const { template } = fleetStack({ components: [MODEL], nucleusVersion: '2.14.3', nucleusJvmOptions: '-Xmx64m -XX:+UseSerialGC' });
    template.hasResourceProperties('AWS::GreengrassV2::Deployment', {
      Components: {
        'modelfleet.Model.iris': { ComponentVersion: '1.0.0', ConfigurationUpdate: { Reset: [''] } },
        'aws.greengrass.Nucleus': {
          ComponentVersion: '2.14.3',
          ConfigurationUpdate: { Merge: '{"jvmOptions":"-Xmx64m -XX:+UseSerialGC"}', Reset: Match.absent() },
        },
      },
    });
  });

  test('calls a pre-provisioning hook that only AWS IoT may invoke, for this template', () => {
    const stack = newStack();
    const hook = new lambda.Function(stack, 'Hook', {
      runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({ allowProvisioning: false });'),
    });
    const fleet = new EdgeFleet(stack, 'Fleet', { components: [MODEL], provisioningPreHook: hook });
    const template = Template.fromStack(stack);
    const hookId = stack.getLogicalId(hook.node.defaultChild as lambda.CfnFunction);
    template.hasResourceProperties('AWS::IoT::ProvisioningTemplate', {
      PreProvisioningHook: { TargetArn: { 'Fn::GetAtt': [hookId, 'Arn'] }, PayloadVersion: '2020-04-01' },
    });
    const [permissionId, permission] = only(template, 'AWS::Lambda::Permission');
    const props = permission.Properties as Json;
    expect({ ...props, SourceArn: flat(props.SourceArn) }).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [hookId, 'Arn'] },
      Principal: 'iot.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: `${IOT}:provisioningtemplate/${fleet.provisioningTemplate.templateName}`,
    });
    expect(template.toJSON().Resources[stack.getLogicalId(fleet.provisioningTemplate)].DependsOn).toContain(permissionId);
  });

  test('acknowledges the findings of its own hook and claim certificate handler, never of a hook the user gives', () => {
    const stack = newStack();
    const hook = new lambda.Function(stack, 'UserHook', {
      runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({ allowProvisioning: true });'),
    });
    new EdgeFleet(stack, 'Fleet', { components: [MODEL], provisioningPreHook: hook });
    Template.fromStack(stack);
    const findings = new AwsSolutionsChecks().validateScope(stack).violations
      .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath ?? ''}`));
    expect(findings.filter((f) => !f.includes(' at Edge/UserHook/'))).toEqual([]);
    expect(findings).toContain('AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole] '
      + 'at Edge/UserHook/ServiceRole/Resource');
  });

  test('provisions every claim request without a hook when defaultProvisioningPreHook is false', () => {
    const { fleet, template } = fleetStack({ components: [MODEL], defaultProvisioningPreHook: false });
    expect(fleet.provisioningPreHook).toBeUndefined();
    template.hasResourceProperties('AWS::IoT::ProvisioningTemplate', { PreProvisioningHook: Match.absent() });
    template.resourceCountIs('AWS::Lambda::Permission', 0);
  });

  test('signs the claim certificate from a CSR without any custom resource or secret', () => {
    const { stack, fleet, template } = fleetStack({ components: [MODEL], claimCertificate: ClaimCertificate.fromCsr(CSR) });
    template.hasResourceProperties('AWS::IoT::Certificate', { CertificateSigningRequest: CSR, Status: 'ACTIVE' });
    template.resourceCountIs('Custom::ModelfleetClaimCertificate', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(fleet.claimKeySecret).toBeUndefined();
    const certId = Object.keys(template.findResources('AWS::IoT::Certificate'))[0];
    expect(certId).toMatch(/^FleetClaimCertificate[0-9A-F]{8}$/);
    expect(stack.resolve(fleet.claimCertificateArn)).toEqual({ 'Fn::GetAtt': [certId, 'Arn'] });
    const outputs = Object.keys(template.toJSON().Outputs);
    expect(outputs.some((k) => k.includes('EdgeFleetClaimKeySecretArn'))).toBe(false);
    expect(outputs.some((k) => k.includes('EdgeFleetClaimCertificateId'))).toBe(true);
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations).toEqual([]);
  });
});

describe('EdgeFleet.fromThingGroupName', () => {
  // "You can define one deployment for each target. When you create a new deployment for a target that has an existing
  // deployment, you replace the previous deployment."
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-greengrassv2-deployment.html
  // (and https://docs.aws.amazon.com/greengrass/v2/developerguide/create-deployments.html: a component of the previous
  // deployment that the new one does not list is uninstalled). So the import deploys only when a component is added.
  const role = (stack: Stack) => iam.Role.fromRoleArn(stack, 'DevicesRole', 'arn:aws:iam::111111111111:role/pis-token-exchange');

  test('creates nothing until a component is added', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Edge', { env: { account: '111111111111', region: 'eu-west-1' } });
    const fleet = EdgeFleet.fromThingGroupName(stack, 'Pis', 'other-pis', role(stack));
    expect(fleet.thingGroupName).toBe('other-pis');
    expect(stack.resolve(fleet.thingGroupArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iot:eu-west-1:111111111111:thinggroup/other-pis']],
    });
    expect(Object.keys(Template.fromStack(stack).toJSON().Resources ?? {})).toEqual([]);
  });

  test('adding a component makes this app\'s one deployment to the existing thing group, with the default rollout', () => {
    const stack = newStack();
    const fleet = EdgeFleet.fromThingGroupName(stack, 'Pis', 'other-pis', role(stack));
    fleet.addComponent(SERVER);
    fleet.addComponent(MODEL);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::GreengrassV2::Deployment', 1);
    template.resourceCountIs('AWS::IoT::ThingGroup', 0);
    template.hasResourceProperties('AWS::GreengrassV2::Deployment', {
      TargetArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iot:eu-west-1:111111111111:thinggroup/other-pis']] },
      Components: {
        'modelfleet.ModelServer': { ComponentVersion: '2.3.4', ConfigurationUpdate: { Reset: [''] } },
        'modelfleet.Model.iris': { ComponentVersion: '1.0.0', ConfigurationUpdate: { Reset: [''] } },
      },
      DeploymentPolicies: { FailureHandlingPolicy: 'ROLLBACK' },
    });
    expect(fleet.deployedComponentNames).toEqual(['modelfleet.ModelServer', 'modelfleet.Model.iris']);
    expect(stack.resolve(fleet.deploymentId)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PisDeployment/), 'DeploymentId'] });
  });

  test('fromEdgeFleetAttributes sets the deployment\'s rollout', () => {
    const stack = newStack();
    const fleet = EdgeFleet.fromEdgeFleetAttributes(stack, 'Pis', {
      thingGroupName: 'other-pis', tokenExchangeRole: role(stack), rolloutMaximumPerMinute: 10, rolloutBaseRatePerMinute: 2,
    });
    fleet.addComponent(MODEL);
    Template.fromStack(stack).hasResourceProperties('AWS::GreengrassV2::Deployment', {
      IotJobConfiguration: Match.objectLike({ JobExecutionsRolloutConfig: Match.objectLike({ MaximumPerMinute: 10 }) }),
    });
  });

  test('addEdgeComponent grants the given role the artifact reads', () => {
    const stack = newStack();
    const devices = new iam.Role(stack, 'Devices', { assumedBy: new iam.ServicePrincipal('credentials.iot.amazonaws.com') });
    const fleet = EdgeFleet.fromThingGroupName(stack, 'Pis', 'other-pis', devices);
    class FakeComponent extends Construct implements IEdgeComponent {
      public readonly componentName = MODEL.componentName;
      public readonly componentVersion = MODEL.componentVersion;
      public readonly componentRef = MODEL;
      public grantArtifactRead(grantee: iam.IGrantable): iam.Grant {
        return iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: ['arn:aws:s3:::store/models/iris/abc/*'] });
      }
    }
    fleet.addEdgeComponent(new FakeComponent(stack, 'Model'));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(devices.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject' })]) },
    });
    // the devices must not download before the grant exists
    expect(Object.values(template.findResources('AWS::GreengrassV2::Deployment'))[0].DependsOn)
      .toEqual(expect.arrayContaining([expect.stringMatching(/^DevicesDefaultPolicy/)]));
  });

  test('fails at synth when a deployment was made but has no components', () => {
    const stack = newStack();
    const fleet = EdgeFleet.fromThingGroupName(stack, 'Pis', 'other-pis', role(stack));
    expect(fleet.deploymentId).toBeDefined();
    expect(() => Template.fromStack(stack)).toThrow(/EdgeFleetNoComponents: .*\(at Edge\/Pis\)/);
  });

  test('fails when the thing group name is malformed or the rollout out of range', () => {
    const stack = newStack();
    const err = errorOf(() => EdgeFleet.fromEdgeFleetAttributes(stack, 'Pis', {
      thingGroupName: 'my pis', tokenExchangeRole: role(stack), rolloutMaximumPerMinute: 0,
    }));
    expect(err.code).toBe('EdgeFleetNameInvalid');
    expect(err.message).toContain('EdgeFleetRolloutRateOutOfRange');
  });

  test('skips tokenized values', () => {
    const stack = newStack();
    const fleet = EdgeFleet.fromThingGroupName(stack, 'Pis', Token.asString({ Ref: 'Group' }), role(stack));
    fleet.addComponent(MODEL);
    expect(stack.resolve(fleet.thingGroupName)).toEqual({ Ref: 'Group' });
  });
});

describe('EdgeFleet validation', () => {
  test.each<[string, EdgeFleetProps, string]>([
    ['fails when the rollout maximum is out of range', { rolloutMaximumPerMinute: 0 }, 'EdgeFleetRolloutRateOutOfRange'],
    ['fails when the base rate is not whole', { rolloutBaseRatePerMinute: 2.5 }, 'EdgeFleetRolloutRateOutOfRange'],
    ['fails when the base rate exceeds the maximum', { rolloutBaseRatePerMinute: 60, rolloutMaximumPerMinute: 50 }, 'EdgeFleetRolloutRateOutOfRange'],
    ['fails when the increment factor is below 1.1', { rolloutIncrementFactor: 1 }, 'EdgeFleetRolloutIncrementFactorOutOfRange'],
    ['fails when the increment factor has two decimals', { rolloutIncrementFactor: 1.25 }, 'EdgeFleetRolloutIncrementFactorOutOfRange'],
    ['fails when the abort threshold is 0 percent', { rolloutAbortThresholdPercent: 0 }, 'EdgeFleetAbortThresholdOutOfRange'],
    ['fails when the abort threshold is above 100 percent', { rolloutAbortThresholdPercent: 150 }, 'EdgeFleetAbortThresholdOutOfRange'],
    ['fails when the abort threshold has three decimals', { rolloutAbortThresholdPercent: 10.125 }, 'EdgeFleetAbortThresholdOutOfRange'],
    ['fails when the abort minimum is 0 devices', { rolloutAbortMinExecutedThings: 0 }, 'EdgeFleetRolloutThingsOutOfRange'],
    ['fails when the rate increase needs 0 devices', { rolloutRateIncreaseSucceededThings: 0 }, 'EdgeFleetRolloutThingsOutOfRange'],
    ['fails when the in-progress timeout exceeds 7 days', { rolloutInProgressTimeout: Duration.days(8) }, 'EdgeFleetTimeoutOutOfRange'],
    ['fails when the in-progress timeout is not whole minutes', { rolloutInProgressTimeout: Duration.seconds(90) }, 'EdgeFleetTimeoutOutOfRange'],
    ['fails when the component update timeout is 0', { componentUpdateTimeout: Duration.seconds(0) }, 'EdgeFleetTimeoutOutOfRange'],
    ['fails when credentials would last under 15 minutes', { credentialDuration: Duration.minutes(5) }, 'EdgeFleetCredentialDurationOutOfRange'],
    ['fails when credentials would last over 12 hours', { credentialDuration: Duration.hours(13) }, 'EdgeFleetCredentialDurationOutOfRange'],
    ['fails when the thing group name has a space', { thingGroupName: 'my pis' }, 'EdgeFleetNameInvalid'],
    ['fails when the template name is longer than 36', { provisioningTemplateName: 'x'.repeat(37) }, 'EdgeFleetNameInvalid'],
    ['fails when jvmOptions come without a nucleus version', { nucleusJvmOptions: '-Xmx64m' }, 'EdgeFleetNucleusVersionRequired'],
    ['fails when a component version is not semver', { components: [{ componentName: 'a.b', componentVersion: 'v1' }] }, 'EdgeFleetComponentInvalid'],
    ['fails when a component name has a slash', { components: [{ componentName: 'a/b', componentVersion: '1.0.0' }] }, 'EdgeFleetComponentInvalid'],
    ['fails when the nucleus version is not semver', { nucleusVersion: '2.16', nucleusJvmOptions: '-Xmx64m' }, 'EdgeFleetNucleusVersionInvalid'],
  ])('%s', (_name, props, code) => {
    const err = errorOf(() => new EdgeFleet(newStack(), 'Fleet', { components: [MODEL], ...props }));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(new RegExp(`^${code}: .+ \\(at Edge/Fleet\\)$`, 's'));
  });

  test('fails with every problem at once', () => {
    const err = errorOf(() => new EdgeFleet(newStack(), 'Fleet', { rolloutMaximumPerMinute: 5000, rolloutAbortThresholdPercent: -1 }));
    expect(err.code).toBe('EdgeFleetRolloutRateOutOfRange');
    expect(err.message).toContain('got 5000');
    expect(err.message).toContain('EdgeFleetAbortThresholdOutOfRange');
    expect(err.message).toContain('got -1');
  });

  test('fails when a CSR is not a PEM certificate request', () => {
    const err = errorOf(() => new EdgeFleet(newStack(), 'Fleet', { components: [MODEL], claimCertificate: ClaimCertificate.fromCsr('hello') }));
    expect(err.code).toBe('EdgeFleetClaimCsrInvalid');
    expect(err.message).toContain('"hello"');
  });

  test('fails when addComponent gets a configuration that is not a JSON object', () => {
    const fleet = new EdgeFleet(newStack(), 'Fleet', { components: [SERVER] });
    expect(errorOf(() => fleet.addComponent(MODEL, '[1,2]')).code).toBe('EdgeFleetConfigurationMergeInvalid');
    expect(errorOf(() => fleet.addComponent(MODEL, '{port: 1}')).code).toBe('EdgeFleetConfigurationMergeInvalid');
  });

  test('fails when the same component is added twice', () => {
    const fleet = new EdgeFleet(newStack(), 'Fleet', { components: [MODEL] });
    const err = errorOf(() => fleet.addComponent({ ...MODEL, componentVersion: '1.0.1' }));
    expect(err.code).toBe('EdgeFleetDuplicateComponent');
  });

  test('fails at synth when the deployment has no components', () => {
    const stack = newStack();
    new EdgeFleet(stack, 'Fleet');
    expect(() => Template.fromStack(stack)).toThrow(/EdgeFleetNoComponents: .*\(at Edge\/Fleet\)/);
  });

  test('skips tokenized values', () => {
    const stack = newStack();
    const fleet = new EdgeFleet(stack, 'Fleet', {
      components: [{ componentName: Token.asString({ Ref: 'Name' }), componentVersion: Token.asString({ Ref: 'Version' }) }],
      thingGroupName: Token.asString({ Ref: 'Group' }),
      rolloutMaximumPerMinute: Token.asNumber({ Ref: 'Max' }),
      rolloutBaseRatePerMinute: Token.asNumber({ Ref: 'Base' }),
      rolloutIncrementFactor: Token.asNumber({ Ref: 'Factor' }),
      rolloutAbortThresholdPercent: Token.asNumber({ Ref: 'Pct' }),
      credentialDuration: Duration.seconds(Token.asNumber({ Ref: 'Secs' })),
      claimCertificate: ClaimCertificate.fromCsr(Token.asString({ Ref: 'Csr' })),
    });
    fleet.addComponent(SERVER, Token.asString({ Ref: 'Merge' }));
    expect(stack.resolve(fleet.thingGroup.thingGroupName)).toEqual({ Ref: 'Group' });
  });
});
