import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as iam from 'aws-cdk-lib/aws-iam';
import { EdgeFleet, EdgeFleetMonitoring, IEdgeFleet } from '../../../../constructs/greengrass';
import { eventMatches, transformInput } from '../../../helpers/event-pattern';

/*
 * The sample events below are the two formats of the AWS IoT Greengrass V2 developer guide, "Get deployment and
 * component health status notifications":
 * https://docs.aws.amazon.com/greengrass/v2/developerguide/deployment-health-notifications.html
 * (the deployment id is `deploymentId` in the current page and `deployment-id` in earlier versions of it; the sample's
 * `A|B|C` status placeholders are replaced by one value each).
 */
const DEPLOYMENT_ID = '4f38f1a7-3dd0-42a1-af48-EXAMPLE09681';

function deploymentEvent(status: string, idKey = 'deploymentId', id = DEPLOYMENT_ID): object {
  return {
    version: '0',
    id: ' cd4d811e-ab12-322b-8255-EXAMPLEb1bc8',
    'detail-type': 'Greengrass V2 Effective Deployment Status Change',
    source: 'aws.greengrass',
    account: '123456789012',
    region: 'us-west-2',
    time: '2018-03-22T00:38:11Z',
    resources: ['arn:aws:greengrass:us-east-1:123456789012:coreDevices:MyGreengrassCore'],
    detail: {
      [idKey]: id,
      coreDeviceExecutionStatus: status,
      statusDetails: {
        errorStack: ['DEPLOYMENT_FAILURE', 'ARTIFACT_DOWNLOAD_ERROR', 'S3_ERROR', 'S3_ACCESS_DENIED', 'S3_HEAD_OBJECT_ACCESS_DENIED'],
        errorTypes: ['DEPENDENCY_ERROR', 'PERMISSION_ERROR'],
      },
      reason: 'S3_HEAD_OBJECT_ACCESS_DENIED: FAILED_NO_STATE_CHANGE: Failed to download artifact name: '
        + '\'s3://pentest27/nucleus/281/aws.greengrass.nucleus.zip\' for component aws.greengrass.Nucleus-2.8.1, reason: '
        + 'S3 HeadObject returns 403 Access Denied. Ensure the IAM role associated with the core device has a policy '
        + 'granting s3:GetObject.',
    },
  };
}

function componentEvent(name: string, state: string): object {
  return {
    version: '0',
    id: ' cd4d811e-ab12-322b-8255-EXAMPLEb1bc8',
    'detail-type': 'Greengrass V2 Installed Component Status Change',
    source: 'aws.greengrass',
    account: '123456789012',
    region: 'us-west-2',
    time: '2018-03-22T00:38:11Z',
    resources: ['arn:aws:greengrass:us-east-1:123456789012:coreDevices:MyGreengrassCore'],
    detail: {
      components: [{
        componentName: name,
        componentVersion: '1.0.0',
        root: true,
        lifecycleState: state,
        lifecycleStatusCodes: ['STARTUP_ERROR'],
        lifecycleStateDetails: 'An error occurred during startup. The startup script exited with code 1.',
      }],
    },
  };
}

const MODEL = { componentName: 'com.example.Model.iris', componentVersion: '1.0.0' };
const SERVER = { componentName: 'com.example.ModelServer', componentVersion: '1.2.3' };

interface Rendered {
  template: Template;
  rule(descriptionPart: string): { pattern: object; paths: Record<string, string>; input: string; target: Record<string, unknown> };
}

function render(props: { notifyDeploymentSucceeded?: boolean; dashboard?: boolean } = {}, imported = false): Rendered {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Stack');
  const topic = new sns.Topic(stack, 'Alarms');
  let fleet: IEdgeFleet;
  if (imported) {
    fleet = EdgeFleet.fromThingGroupName(stack, 'Fleet', 'other-pis',
      iam.Role.fromRoleArn(stack, 'Devices', 'arn:aws:iam::111111111111:role/pis-token-exchange'));
    fleet.addComponent(SERVER);
  } else {
    fleet = new EdgeFleet(stack, 'Fleet', { components: [SERVER] });
  }
  new EdgeFleetMonitoring(stack, 'Monitoring', { fleet, alarmTopic: topic, ...props });
  fleet.addComponent(MODEL); // added after the monitoring: the rule still lists it
  const template = Template.fromStack(stack);
  // Resolve the deployment id of the template to the sample's id.
  const deploymentRef = JSON.stringify({ 'Fn::GetAtt': [Object.keys(template.findResources('AWS::GreengrassV2::Deployment'))[0], 'DeploymentId'] });
  return {
    template,
    rule(descriptionPart) {
      const rules = Object.values(template.findResources('AWS::Events::Rule'))
        .filter((r) => String(r.Properties.Description).includes(descriptionPart));
      expect(rules).toHaveLength(1);
      const props = rules[0].Properties;
      const pattern = JSON.parse(JSON.stringify(props.EventPattern).split(deploymentRef).join(JSON.stringify(DEPLOYMENT_ID)));
      const target = props.Targets[0];
      return { pattern, target, paths: target.InputTransformer.InputPathsMap, input: target.InputTransformer.InputTemplate };
    },
  };
}

describe('EdgeFleetMonitoring', () => {
  const r = render();

  test('the deployment rule matches the documented failure event of this fleet\'s deployment, in both id spellings', () => {
    const { pattern } = r.rule('deployment');
    expect(eventMatches(pattern, deploymentEvent('FAILED'))).toBe(true);
    expect(eventMatches(pattern, deploymentEvent('FAILED', 'deployment-id'))).toBe(true);
  });

  test('the deployment rule ignores successes, and failures of another deployment', () => {
    const { pattern } = r.rule('deployment');
    expect(eventMatches(pattern, deploymentEvent('SUCCEEDED'))).toBe(false);
    expect(eventMatches(pattern, deploymentEvent('COMPLETED'))).toBe(false);
    expect(eventMatches(pattern, deploymentEvent('FAILED', 'deploymentId', 'another-deployment'))).toBe(false);
    expect(eventMatches(pattern, componentEvent(MODEL.componentName, 'BROKEN'))).toBe(false);
  });

  test('watches an imported fleet: this app\'s deployment to the thing group and its components', () => {
    const imported = render({}, true);
    expect(eventMatches(imported.rule('deployment').pattern, deploymentEvent('FAILED'))).toBe(true);
    const { pattern } = imported.rule('component');
    for (const name of [SERVER.componentName, MODEL.componentName]) expect(eventMatches(pattern, componentEvent(name, 'BROKEN'))).toBe(true);
  });

  test('notifyDeploymentSucceeded adds SUCCEEDED and COMPLETED', () => {
    const { pattern } = render({ notifyDeploymentSucceeded: true }).rule('deployment');
    expect(eventMatches(pattern, deploymentEvent('SUCCEEDED'))).toBe(true);
    expect(eventMatches(pattern, deploymentEvent('COMPLETED'))).toBe(true);
  });

  test('the component rule matches the documented event for every component of the deployment, added late too', () => {
    const { pattern } = r.rule('component');
    for (const name of [SERVER.componentName, MODEL.componentName]) {
      expect(eventMatches(pattern, componentEvent(name, 'BROKEN'))).toBe(true);
      expect(eventMatches(pattern, componentEvent(name, 'ERRORED'))).toBe(true);
      expect(eventMatches(pattern, componentEvent(name, 'RUNNING'))).toBe(false);
    }
    expect(eventMatches(pattern, componentEvent('someone.Else', 'BROKEN'))).toBe(false);
    expect(eventMatches(pattern, deploymentEvent('FAILED'))).toBe(false);
  });

  test('a deployment failure reaches the topic as a readable chat notification (device, status, reason, error stack)', () => {
    const { paths, input, target } = r.rule('deployment');
    expect((target.Arn as { Ref: string }).Ref).toMatch(/^Alarms/);
    const message = JSON.parse(transformInput(paths, input, deploymentEvent('FAILED')));
    expect(message).toMatchObject({ version: '1.0', source: 'custom' });
    expect(message.content.title).toBe('Greengrass deployment FAILED on arn:aws:greengrass:us-east-1:123456789012:coreDevices:MyGreengrassCore');
    expect(message.content.description).toContain(`the deployment ${DEPLOYMENT_ID} ended as FAILED`);
    expect(message.content.description).toContain('S3 HeadObject returns 403 Access Denied');
    expect(message.content.keywords).toEqual(['DEPLOYMENT_FAILURE', 'ARTIFACT_DOWNLOAD_ERROR', 'S3_ERROR', 'S3_ACCESS_DENIED', 'S3_HEAD_OBJECT_ACCESS_DENIED']);
  });

  test('a broken component reaches the topic as a readable chat notification (component, version, state, details)', () => {
    const { paths, input } = r.rule('component');
    const message = JSON.parse(transformInput(paths, input, componentEvent(MODEL.componentName, 'BROKEN')));
    expect(message.content.title).toBe(`Greengrass component ${MODEL.componentName} BROKEN on `
      + 'arn:aws:greengrass:us-east-1:123456789012:coreDevices:MyGreengrassCore');
    expect(message.content.description).toContain(`version 1.0.0 is BROKEN`);
    expect(message.content.description).toContain('The startup script exited with code 1.');
    expect(message.content.description).toContain(`/greengrass/v2/logs/${MODEL.componentName}.log`);
    expect(message.content.keywords).toEqual(['STARTUP_ERROR']);
  });

  test('EventBridge may publish to the topic', () => {
    r.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: 'sns:Publish', Principal: { Service: 'events.amazonaws.com' },
      })]) },
    });
  });

  test('creates a dashboard with the rules\' event counts, none with dashboard: false', () => {
    r.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(Object.values(r.template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    expect(body).toContain('TriggeredRules');
    render({ dashboard: false }).template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });

  test('deviceMetrics deploys the log manager uploading each model\'s metric file, and alarms the fleet per model', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Stack');
    const topic = new sns.Topic(stack, 'Alarms');
    const fleet = new EdgeFleet(stack, 'Fleet', { components: [SERVER, MODEL] });
    const monitoring = new EdgeFleetMonitoring(stack, 'Monitoring', { fleet, alarmTopic: topic, alarmMinReportingDevices: 18 });
    monitoring.addModel('iris', MODEL.componentName);
    const template = Template.fromStack(stack);
    const deployment = Object.values(template.findResources('AWS::GreengrassV2::Deployment'))[0];
    const logManager = deployment.Properties.Components['aws.greengrass.LogManager'];
    expect(logManager.ComponentVersion).toBe('2.3.10');
    expect(JSON.parse(logManager.ConfigurationUpdate.Merge)).toEqual({
      logsUploaderConfiguration: { componentLogsConfigurationMap: { [`${MODEL.componentName}.Metrics`]: {
        logFileDirectoryPath: `/greengrass/v2/work/${MODEL.componentName}`, logFileRegex: 'modelfleet-metrics\\w*.log',
        minimumLogLevel: 'INFO', diskSpaceLimit: '5', diskSpaceLimitUnit: 'MB', deleteLogFileAfterCloudUpload: 'true',
      } } },
      periodicUploadIntervalSec: '300',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: { 'Fn::Join': ['', ['/aws/greengrass/UserComponent/', { Ref: 'AWS::Region' }, `/${MODEL.componentName}.Metrics`]] },
      RetentionInDays: 14,
    });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(3);
    const topicRef = { Ref: Object.keys(template.findResources('AWS::SNS::Topic'))[0] };
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
      expect(alarm.Properties.OKActions).toEqual([topicRef]);
    }
    const byText = (t: string) => alarms.find((a) => String(a.Properties.AlarmDescription).includes(t))!.Properties;
    expect(byText('answered 5xx')).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
    const latency = byText('p99 latency');
    expect(latency).toMatchObject({ Threshold: 1000 });
    expect(latency.Metrics[0].MetricStat).toEqual({ Metric: { Namespace: 'modelfleet/Edge', MetricName: 'LatencyP99',
      Dimensions: [{ Name: 'Model', Value: 'iris' }] }, Period: 900, Stat: 'Maximum' });
    const reporting = byText('report metrics');
    expect(reporting).toMatchObject({ Threshold: 18, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' });
    expect(JSON.stringify(reporting.Metrics)).toContain('reports / (PERIOD(reports) / 300)');
    expect(monitoring.alarms).toHaveLength(3);
  });

  test('deviceMetrics: false adds no log manager and no alarm', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Stack');
    const fleet = new EdgeFleet(stack, 'Fleet', { components: [SERVER] });
    new EdgeFleetMonitoring(stack, 'Monitoring', { fleet, alarmTopic: new sns.Topic(stack, 'Alarms'), deviceMetrics: false })
      .addModel('iris', MODEL.componentName);
    const template = Template.fromStack(stack);
    expect(Object.keys(Object.values(template.findResources('AWS::GreengrassV2::Deployment'))[0].Properties.Components))
      .toEqual([SERVER.componentName]);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('fails when an alarm threshold or the upload interval is out of range', () => {
    const stack = new Stack(new App(), 'Stack');
    const fleet = new EdgeFleet(stack, 'Fleet', { components: [SERVER] });
    let err: Error | undefined;
    try {
      new EdgeFleetMonitoring(stack, 'Monitoring', { fleet, alarmTopic: new sns.Topic(stack, 'Alarms'),
        alarmErrorRatePercent: 0, alarmMinReportingDevices: 0.5, logUploadInterval: Duration.seconds(5) });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(/^EdgeFleetMonitoringUploadIntervalOutOfRange: logUploadInterval \(seconds\) must be an integer between 10 and 3600, got 5;/);
    expect(err?.message).toMatch(/EdgeFleetMonitoringErrorRateOutOfRange: alarmErrorRatePercent .* got 0;/);
    expect(err?.message).toMatch(/EdgeFleetMonitoringMinDevicesOutOfRange: alarmMinReportingDevices .* got 0.5;/);
  });

  test('leaves no cdk-nag finding', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Stack');
    const fleet = new EdgeFleet(stack, 'Fleet', { components: [SERVER] });
    new EdgeFleetMonitoring(stack, 'Monitoring', { fleet, alarmTopic: new sns.Topic(stack, 'Alarms', { enforceSSL: true }) })
      .addModel('iris', MODEL.componentName);
    app.synth();
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    const findings = report.violations.flatMap((v) => v.violatingResources.map((x) => `${v.ruleName} at ${x.constructPath}`));
    expect(findings).toEqual([]);
  });
});
