import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { EdgeFleet } from './edge-fleet';
import { componentStatusInput, deploymentStatusInput } from './fleet/event-messages';

/** The `detail-type` of Greengrass's event when a deployment ends on a core device. */
export const DEPLOYMENT_STATUS_DETAIL_TYPE = 'Greengrass V2 Effective Deployment Status Change';
/** The `detail-type` of Greengrass's event when an installed component changes state on a core device. */
export const COMPONENT_STATUS_DETAIL_TYPE = 'Greengrass V2 Installed Component Status Change';

/** Properties of an `EdgeFleetMonitoring`. */
export interface EdgeFleetMonitoringProps {
  /** The fleet to watch. */
  readonly fleet: EdgeFleet;

  /** The SNS topic the fleet's events and alarms notify (the shared alarm topic). */
  readonly alarmTopic: sns.ITopic;

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
}

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

  private readonly fleet: EdgeFleet;

  constructor(scope: Construct, id: string, props: EdgeFleetMonitoringProps) {
    super(scope, id);
    this.fleet = props.fleet;
    this.alarmTopic = props.alarmTopic;
    const fleetName = props.fleet.node.path;
    const deploymentId = props.fleet.deployment.attrDeploymentId;
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
    const rendered = Stack.of(this).resolve(this.fleet.deployment.components) as Record<string, unknown> | undefined;
    const names = Object.keys(rendered ?? {});
    return names.length > 0 ? names : ['modelfleet-no-component'];
  }
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
