import { Aws, Duration, Lazy, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { MODEL_METRICS_FILE_REGEX } from './components/private/metrics-file';
import { FieldErrors } from '../core/private/field-errors';
import { IEdgeFleet } from './edge-fleet';
import { COMPONENT_STATUS_DETAIL_TYPE, componentStatusInput, DEPLOYMENT_STATUS_DETAIL_TYPE, deploymentStatusInput } from './fleet/event-messages';


/** The tunable settings of an `EdgeFleetMonitoring`. */
export interface EdgeFleetMonitoringOptions {
  /**
   * Also notify when the fleet's deployment succeeds on a device (`SUCCEEDED`, `COMPLETED`), not only when it fails
   * there (`FAILED`, `REJECTED`, `CANCELED`). One message per device: on a fleet of hundreds, leave it off.
   *
   * @default false
   */
  readonly notifyDeploymentSucceeded?: boolean;

  /**
   * Create a CloudWatch dashboard for the fleet.
   *
   * @default true
   */
  readonly dashboard?: boolean;

  /**
   * Bring the model servers' metrics to CloudWatch: the fleet's deployment gets `aws.greengrass.LogManager`, which
   * uploads each model's metric lines (CloudWatch embedded metric format, written by the server every
   * `metricsInterval`) to CloudWatch Logs, where they become the `modelfleet/Edge` metrics; `addModel` adds the
   * fleet alarms. Devices write only their own log stream (the token exchange role's policy), no PutMetricData.
   *
   * @see https://docs.aws.amazon.com/greengrass/v2/developerguide/log-manager-component.html
   * @default true
   */
  readonly deviceMetrics?: boolean;

  /**
   * Version of `aws.greengrass.LogManager` to deploy (2.3.0 or later uploads the active file, not only rotated ones).
   *
   * @default '2.3.10'
   */
  readonly logManagerVersion?: string;

  /**
   * How often the log manager uploads new metric lines (`periodicUploadIntervalSec`, whole seconds from 10 to 3600).
   * Each upload is one HTTPS request: fewer uploads, less data.
   *
   * @default Duration.minutes(5)
   */
  readonly logUploadInterval?: Duration;

  /**
   * How long CloudWatch Logs keeps the metric lines (the metrics themselves are kept 15 months by CloudWatch).
   *
   * @default logs.RetentionDays.TWO_WEEKS
   */
  readonly metricsLogRetention?: logs.RetentionDays;

  /**
   * The share of a model's inference requests on the fleet answered with 5xx above which its error alarm fires
   * (two 15-minute periods in a row).
   *
   * @default 5
   */
  readonly alarmErrorRatePercent?: number;

  /**
   * The p99 latency of the slowest device above which a model's latency alarm fires (two 15-minute periods in a row).
   *
   * @default Duration.seconds(1)
   */
  readonly alarmLatencyP99Threshold?: Duration;

  /**
   * The number of devices serving a model below which its reporting alarm fires (two 15-minute periods in a row,
   * missing data counts as none). Set it to the fleet's size minus the devices you accept to lose.
   *
   * @default 1 - the alarm fires when no device reports at all
   */
  readonly alarmMinReportingDevices?: number;
}

/** Properties of an `EdgeFleetMonitoring`: its settings, the fleet it watches and the topic it notifies. */
export interface EdgeFleetMonitoringProps extends EdgeFleetMonitoringOptions {
  /** The fleet to watch: an `EdgeFleet`, or an imported one (`EdgeFleet.fromThingGroupName`). */
  readonly fleet: IEdgeFleet;

  /** The SNS topic the fleet's events and alarms notify (the shared alarm topic). */
  readonly alarmTopic: sns.ITopic;
}

/** The period of the fleet alarms: longer than the upload delay (interval plus upload interval). */
const ALARM_PERIOD = Duration.minutes(15);
/** Version of the log manager deployed by default. */
const LOG_MANAGER = 'aws.greengrass.LogManager';

/**
 * The operations side of an `EdgeFleet`: EventBridge rules on Greengrass's own deployment and component health
 * events for this fleet, sent to the alarm topic as readable messages (an AWS Chatbot custom notification: a title
 * and a description that Slack, Teams and e-mail show as text), and a CloudWatch dashboard.
 *
 * Deployment events are matched on the fleet's deployment id; component events on the names of the components the
 * fleet's deployment lists (a core device's event names the device, not its thing group).
 *
 * @see https://docs.aws.amazon.com/greengrass/v2/developerguide/deployment-health-notifications.html
 */
export class EdgeFleetMonitoring extends Construct {
  /** The rule on `Greengrass V2 Effective Deployment Status Change` for the fleet's deployment. */
  public readonly deploymentStatusRule: events.Rule;
  /** The rule on `Greengrass V2 Installed Component Status Change` (ERRORED, BROKEN) for the fleet's components. */
  public readonly componentStatusRule: events.Rule;
  /** The dashboard; undefined when `dashboard: false`. */
  public readonly dashboard?: cloudwatch.Dashboard;
  /** The topic the rules notify. */
  public readonly alarmTopic: sns.ITopic;

  /** Every alarm of the fleet (each notifies the alarm topic). */
  public readonly alarms: cloudwatch.Alarm[] = [];

  private readonly fleet: IEdgeFleet;
  private readonly props: EdgeFleetMonitoringProps;
  private readonly logConfigurations: Record<string, Record<string, string>> = {};

  constructor(scope: Construct, id: string, props: EdgeFleetMonitoringProps) {
    super(scope, id);
    validate(this, props);
    this.fleet = props.fleet;
    this.props = props;
    this.alarmTopic = props.alarmTopic;
    const fleetName = props.fleet.node.path;
    const deploymentId = props.fleet.deploymentId;
    const statuses = ['FAILED', 'REJECTED', 'CANCELED'];
    if (props.notifyDeploymentSucceeded) statuses.push('SUCCEEDED', 'COMPLETED');

    // The developer guide's sample names the id `deployment-id` in one version of the page and `deploymentId` in
    // another: match either.
    this.deploymentStatusRule = new events.Rule(this, 'DeploymentStatusRule', {
      description: `modelfleet: Greengrass deployment of ${fleetName} ended on a core device (${statuses.join(', ')})`,
      eventPattern: {
        source: ['aws.greengrass'],
        detailType: [DEPLOYMENT_STATUS_DETAIL_TYPE],
        detail: {
          coreDeviceExecutionStatus: statuses,
          $or: [{ deploymentId: [deploymentId] }, { 'deployment-id': [deploymentId] }],
        },
      },
    });
    this.deploymentStatusRule.addTarget(new targets.SnsTopic(props.alarmTopic, {
      message: deploymentStatusInput(fleetName),
    }));

    this.componentStatusRule = new events.Rule(this, 'ComponentStatusRule', {
      description: `modelfleet: a component of ${fleetName} is ERRORED or BROKEN on a core device`,
      eventPattern: {
        source: ['aws.greengrass'],
        detailType: [COMPONENT_STATUS_DETAIL_TYPE],
        detail: {
          components: {
            componentName: Lazy.list({ produce: () => this.componentNames() }),
            lifecycleState: ['ERRORED', 'BROKEN'],
          },
        },
      },
    });
    this.componentStatusRule.addTarget(new targets.SnsTopic(props.alarmTopic, {
      message: componentStatusInput(fleetName),
    }));

    if (props.dashboard ?? true) {
      this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard');
      this.dashboard.addWidgets(
        new cloudwatch.TextWidget({
          markdown: `# Edge fleet ${fleetName}\nThing group \`${props.fleet.thingGroupName}\`. Per-device state: `
            + '`npx modelfleet fleet status`. Deployment failures and broken components also reach the alarm topic.',
          width: 24,
          height: 2,
        }),
      );
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Devices where the deployment failed (events)',
          left: [this.metricDeploymentFailures()],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Component ERRORED / BROKEN (events)',
          left: [this.metricComponentFailures()],
          width: 12,
        }),
      );
    }

    if (props.deviceMetrics ?? true) {
      const uploadSeconds = (props.logUploadInterval ?? Duration.minutes(5)).toSeconds();
      props.fleet.addComponent({ componentName: LOG_MANAGER, componentVersion: props.logManagerVersion ?? '2.3.10' },
        Lazy.string({
          produce: () => JSON.stringify({
            logsUploaderConfiguration: { componentLogsConfigurationMap: this.logConfigurations },
            periodicUploadIntervalSec: String(uploadSeconds),
          }),
        }));
    }
  }

  /**
   * Watches a model served on the fleet: its metric lines are uploaded (with `deviceMetrics`), and it gets the fleet
   * alarms (error rate, p99 latency, devices reporting) and a row of the dashboard.
   *
   * @param modelName the model's name (the `Model` dimension)
   * @param componentName the model's Greengrass component (whose work folder holds the metric file)
   * @param metricsInterval the model server's `metricsInterval`
   */
  public addModel(modelName: string, componentName: string, metricsInterval?: Duration): void {
    if (!(this.props.deviceMetrics ?? true)) return;
    const intervalSeconds = (metricsInterval ?? Duration.minutes(5)).toSeconds();
    if (intervalSeconds === 0) return;
    const key = `${componentName}.Metrics`;
    if (this.logConfigurations[key]) return;
    this.logConfigurations[key] = {
      logFileDirectoryPath: `/greengrass/v2/work/${componentName}`,
      logFileRegex: MODEL_METRICS_FILE_REGEX,
      minimumLogLevel: 'INFO',
      diskSpaceLimit: '5',
      diskSpaceLimitUnit: 'MB',
      deleteLogFileAfterCloudUpload: 'true',
    };
    const idPart = modelName.replace(/[^A-Za-z0-9]/g, '');
    // The log manager names the group; creating it here gives it a retention (its CreateLogGroup then finds it).
    new logs.LogGroup(this, `MetricsLogGroup${idPart}`, {
      logGroupName: `/aws/greengrass/UserComponent/${Aws.REGION}/${key}`,
      retention: this.props.metricsLogRetention ?? logs.RetentionDays.TWO_WEEKS,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const m = (metricName: string, statistic: string, label: string) => new cloudwatch.Metric({
      namespace: EDGE_METRICS_NAMESPACE, metricName, dimensionsMap: { Model: modelName }, statistic, period: ALARM_PERIOD, label,
    });
    const requests = m('Requests', 'Sum', 'requests');
    const errors = m('Errors', 'Sum', '5xx');
    const p99 = m('LatencyP99', 'Maximum', 'p99 of the slowest device (ms)');
    const p50 = m('LatencyP50', 'Average', 'p50, average of the devices (ms)');
    const reports = m('Reports', 'Sum', 'reports');
    const errorRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)', usingMetrics: { requests, errors },
      period: ALARM_PERIOD, label: `${modelName}: 5xx % of the fleet's requests`,
    });
    const devices = new cloudwatch.MathExpression({
      expression: `reports / (PERIOD(reports) / ${intervalSeconds})`, usingMetrics: { reports },
      period: ALARM_PERIOD, label: `${modelName}: devices reporting`,
    });
    const pct = this.props.alarmErrorRatePercent ?? 5;
    const latencyMs = (this.props.alarmLatencyP99Threshold ?? Duration.seconds(1)).toMilliseconds();
    const minDevices = this.props.alarmMinReportingDevices ?? 1;
    const common = { evaluationPeriods: 2, datapointsToAlarm: 2 };
    const alarms = [
      errorRate.createAlarm(this, `ErrorRateAlarm${idPart}`, {
        ...common, threshold: pct, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `Edge fleet ${this.fleet.node.path}: more than ${pct} % of model ${modelName}'s requests answered 5xx `
          + '(modelfleet/Edge Errors / Requests). Find the device: the dashboard\'s per-device graph, then its model component log.',
      }),
      p99.createAlarm(this, `LatencyAlarm${idPart}`, {
        ...common, threshold: latencyMs, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `Edge fleet ${this.fleet.node.path}: model ${modelName}'s p99 latency is above ${latencyMs} ms on at `
          + 'least one device (modelfleet/Edge LatencyP99, Maximum).',
      }),
      devices.createAlarm(this, `ReportingAlarm${idPart}`, {
        ...common, threshold: minDevices, comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        alarmDescription: `Edge fleet ${this.fleet.node.path}: fewer than ${minDevices} devices report metrics of model `
          + `${modelName}. Run 'npx modelfleet fleet status' to see which devices are quiet.`,
      }),
    ];
    for (const alarm of alarms) {
      alarm.addAlarmAction(new cwActions.SnsAction(this.alarmTopic));
      alarm.addOkAction(new cwActions.SnsAction(this.alarmTopic));
      this.alarms.push(alarm);
    }
    if (this.dashboard) {
      const perDevice = (metric: string, stat: string) => new cloudwatch.MathExpression({
        expression: `SEARCH('{${EDGE_METRICS_NAMESPACE},Device,Model} MetricName="${metric}" Model="${modelName}"', '${stat}', 300)`,
        period: Duration.minutes(5), label: '',
      });
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: `${modelName}: requests and 5xx (fleet)`, left: [requests, errors], right: [errorRate], width: 6 }),
        new cloudwatch.GraphWidget({ title: `${modelName}: latency (ms)`, left: [p50, p99], width: 6 }),
        new cloudwatch.GraphWidget({ title: `${modelName}: devices reporting`, left: [devices], width: 6 }),
        new cloudwatch.GraphWidget({ title: `${modelName}: requests per device`, left: [perDevice('Requests', 'Sum')], width: 6 }),
      );
    }
  }

  /**
   * Events matched by the deployment status rule (each is one device where the deployment ended as notified).
   *
   * @param props metric options
   */
  public metricDeploymentFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return ruleMetric(this.deploymentStatusRule, 'device deployments failed', props);
  }

  /**
   * Events matched by the component status rule (a component ERRORED or BROKEN on a device).
   *
   * @param props metric options
   */
  public metricComponentFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return ruleMetric(this.componentStatusRule, 'component errors', props);
  }

  /** The component names of the fleet's deployment, read when the template is rendered. */
  private componentNames(): string[] {
    const names = this.fleet.deployedComponentNames;
    return names.length > 0 ? names : ['modelfleet-no-component'];
  }
}

/** The CloudWatch namespace of the model servers' metrics (the runtime's EMF lines). */
const EDGE_METRICS_NAMESPACE = 'modelfleet/Edge';

function validate(scope: Construct, props: EdgeFleetMonitoringProps): void {
  const problems = new FieldErrors();
  const upload = props.logUploadInterval?.toSeconds({ integral: false });
  problems.range('EdgeFleetMonitoringUploadIntervalOutOfRange', 'logUploadInterval (seconds)', upload, 10, 3600,
    'the log manager uploads every 10 s to 1 h, e.g. Duration.minutes(5)');
  const pct = props.alarmErrorRatePercent;
  if (pct !== undefined && !Token.isUnresolved(pct) && !(pct > 0 && pct <= 100)) {
    problems.add('EdgeFleetMonitoringErrorRateOutOfRange',
      `alarmErrorRatePercent must be above 0 and at most 100, got ${pct}; use a percentage such as 5`);
  }
  problems.range('EdgeFleetMonitoringMinDevicesOutOfRange', 'alarmMinReportingDevices', props.alarmMinReportingDevices,
    1, 1_000_000, 'use a whole number of devices, at least 1');
  problems.throwIfAny(scope);
}

function ruleMetric(rule: events.Rule, label: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Events',
    metricName: 'TriggeredRules',
    dimensionsMap: { RuleName: rule.ruleName },
    statistic: 'Sum',
    period: Duration.minutes(5),
    label,
    ...props,
  });
}
