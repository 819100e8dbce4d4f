import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AlarmChatChannel, ModelFleet, ModelFleetResources, ModelFleetResourcesProps } from '../../../constructs/fleet';
import { stopGoldenWorker } from '../../../constructs/fleet/private/golden';
import { ModelSource } from '../../../constructs/model';
import { ModelFleetError } from '../../../constructs/core/private/modelfleet-error';

const IRIS = path.resolve(__dirname, '..', '..', '..', 'models', 'iris.onnx');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alerting-'));
afterAll(async () => {
  await stopGoldenWorker();
  fs.rmSync(dir, { recursive: true, force: true });
});

function fleetStack(props: ModelFleetResourcesProps): { app: App; stack: Stack; template: Template } {
  const app = new App({ outdir: fs.mkdtempSync(path.join(dir, 'out-')), builtinCloudFormationValidation: false,
    context: { 'aws:cdk:disable-asset-staging': true } });
  const stack = new Stack(app, 'Stack');
  new ModelFleetResources(stack, 'Resources', props);
  new ModelFleet(stack, 'Iris', { model: ModelSource.fromAsset(IRIS), historyDisabled: true });
  return { app, stack, template: Template.fromStack(stack) };
}

function topicRef(template: Template): { Ref: string } {
  const topics = Object.keys(template.findResources('AWS::SNS::Topic'));
  expect(topics).toHaveLength(1);
  return { Ref: topics[0] };
}

describe('the shared alarm topic', () => {
  const slack = fleetStack({ alarmEmail: 'ops@example.com', alarmChatChannel: AlarmChatChannel.slack('T0123ABCD', 'C0123ABCDEF') });

  test('every alarm and every event rule of the three targets notifies the one topic', () => {
    const topic = topicRef(slack.template);
    const alarms = Object.values(slack.template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThanOrEqual(2);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toContainEqual(topic);
    const rules = Object.values(slack.template.findResources('AWS::Events::Rule'))
      .filter((r) => JSON.stringify(r.Properties.EventPattern ?? {}).includes('aws.greengrass'));
    expect(rules).toHaveLength(2);
    for (const rule of rules) expect(rule.Properties.Targets.map((t: { Arn: unknown }) => t.Arn)).toEqual([topic]);
  });

  test('alarmEmail subscribes the address', () => {
    slack.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: topicRef(slack.template),
    });
  });

  test('alarmChatChannel slack makes a Chatbot Slack channel on the topic, read-only guardrail, a role without permissions', () => {
    slack.template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0123ABCDEF',
      SnsTopicArns: [topicRef(slack.template)],
      GuardrailPolicies: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/ReadOnlyAccess']] }],
    });
    const roles = Object.entries(slack.template.findResources('AWS::IAM::Role'))
      .filter(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('chatbot.amazonaws.com'));
    expect(roles).toHaveLength(1);
    expect(roles[0][1].Properties.Policies).toBeUndefined();
    expect(roles[0][1].Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('alarmChatChannel microsoftTeams makes a Chatbot Teams channel on the topic', () => {
    const tenant = '00000000-1111-2222-3333-444444444444';
    const team = '55555555-6666-7777-8888-999999999999';
    const teams = fleetStack({ alarmChatChannel: AlarmChatChannel.microsoftTeams(tenant, team, '19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2') });
    teams.template.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
      TeamsTenantId: tenant, TeamId: team, SnsTopicArns: [topicRef(teams.template)],
    });
    teams.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('fails when a Slack id is not one', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    let err: unknown;
    try {
      new ModelFleetResources(stack, 'Resources', { alarmChatChannel: AlarmChatChannel.slack('my workspace', 'C0123ABCDEF') });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelFleetError);
    expect((err as ModelFleetError).code).toBe('AlarmChatChannelIdInvalid');
    expect((err as Error).message).toContain("'my workspace'");
  });

  test('skips tokenized ids', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const ws = new CfnParameter(stack, 'Workspace').valueAsString;
    expect(() => new ModelFleetResources(stack, 'Resources', { alarmChatChannel: AlarmChatChannel.slack(ws, ws) })).not.toThrow();
  });

  test('edgeMonitoring: false makes no event rule and no fleet dashboard', () => {
    const { template } = fleetStack({ edgeMonitoring: false });
    const rules = Object.values(template.findResources('AWS::Events::Rule'))
      .filter((r) => JSON.stringify(r.Properties.EventPattern ?? {}).includes('aws.greengrass'));
    expect(rules).toHaveLength(0);
  });

  test('leaves no unacknowledged cdk-nag finding with a chat channel and e-mail', () => {
    const report = new AwsSolutionsChecks(slack.app).validateScope(slack.stack);
    const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
    expect(findings).toEqual([]);
  });
});
