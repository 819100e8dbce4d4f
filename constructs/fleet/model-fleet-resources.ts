import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Duration, Stack } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { EdgePlatform, EdgeRuntimeArtifacts, ModelServerComponent, NodeRuntimeComponent } from '../greengrass/components';
import { EdgeFleet, IEdgeFleet } from '../greengrass/edge-fleet';
import { EdgeFleetMonitoring } from '../greengrass/fleet-monitoring';
import { ModelFleetError } from '../core/private/modelfleet-error';
import { IModelStore, ModelStore } from '../model-store';
import { ServingImage } from '../serving-image';
import { AlarmChatChannel, AlarmChatChannelConfig } from './alarm-chat-channel';
import { acknowledgeUploadFunctions } from './private/acknowledgements';

/** Properties of `ModelFleetResources`. */
export interface ModelFleetResourcesProps {
  /**
   * The model store every model of the stack goes to.
   *
   * @default - a new `ModelStore` with its defaults, created when the first model needs it
   */
  readonly store?: IModelStore;

  /**
   * The serving image of every SageMaker endpoint and Kubernetes workload of the stack.
   *
   * @default ServingImage.fromAsset() - image assets built by `cdk deploy` from the package's prebuilt linux-x64 runtime
   */
  readonly servingImage?: ServingImage;

  /**
   * The Greengrass fleet every model of the stack is deployed to.
   *
   * @default - a new `EdgeFleet` with its defaults, created when the first model goes to the edge
   */
  readonly edgeFleet?: IEdgeFleet;

  /**
   * Prefix of the Greengrass component names (`<prefix>.NodeRuntime`, `<prefix>.ModelServer`, `<prefix>.Model.<name>`).
   *
   * @default - the components' own default prefix
   */
  readonly edgeComponentNamePrefix?: string;

  /**
   * Platforms the runtime components are built for.
   *
   * @default - every platform the Greengrass components support (`EdgePlatform.all()`)
   */
  readonly edgePlatforms?: EdgePlatform[];

  /**
   * The prebuilt runtime zips the model server component ships.
   *
   * @default EdgeRuntimeArtifacts.fromPackage() - the zips built into the installed modelfleet package
   */
  readonly edgeRuntimeArtifacts?: EdgeRuntimeArtifacts;

  /**
   * The edge port of the first model; each further model of the stack gets the next port, so that several models
   * can run on one device.
   *
   * @default 8080
   */
  readonly edgeFirstPort?: number;

  /**
   * The SNS topic that every alarm and event rule of the stack's models notifies: the SageMaker endpoints' alarms,
   * the edge fleets' deployment and component events and their device metric alarms.
   *
   * @default - one topic for the stack (TLS-only), created when the first model needs it
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * An e-mail address subscribed to the alarm topic (confirm the subscription from the mail AWS sends); more with
   * `addAlarmEmail`.
   *
   * @default - no e-mail subscription
   */
  readonly alarmEmail?: string;

  /**
   * A Slack or Microsoft Teams channel the alarm topic reaches through AWS Chatbot, e.g.
   * `AlarmChatChannel.slack('T0123ABCD', 'C0123ABCDEF')`.
   *
   * @default - no chat channel
   */
  readonly alarmChatChannel?: AlarmChatChannel;

  /**
   * Watch each edge fleet: EventBridge rules on Greengrass's deployment and component health events to the alarm
   * topic, and a CloudWatch dashboard (`EdgeFleetMonitoring`). The rules cost nothing until an event matches.
   *
   * @default true
   */
  readonly edgeMonitoring?: boolean;

  /**
   * Also notify the alarm topic when a deployment succeeds on a device (one message per device).
   *
   * @default false - only failed, rejected and canceled deployments are notified
   */
  readonly edgeNotifyDeploymentSucceeded?: boolean;

  /**
   * Bring the edge model servers' metrics to CloudWatch through `aws.greengrass.LogManager`, with fleet alarms
   * (`EdgeFleetMonitoringProps.deviceMetrics`).
   *
   * @default true
   */
  readonly edgeDeviceMetrics?: boolean;

  /**
   * The 5xx share of a model's requests on the fleet that fires its error alarm.
   *
   * @default 5
   */
  readonly edgeAlarmErrorRatePercent?: number;

  /**
   * The p99 latency of the slowest device that fires a model's latency alarm.
   *
   * @default Duration.seconds(1)
   */
  readonly edgeAlarmLatencyP99Threshold?: Duration;

  /**
   * The number of devices reporting a model's metrics below which its reporting alarm fires.
   *
   * @default 1 - the alarm fires when no device reports
   */
  readonly edgeAlarmMinReportingDevices?: number;
}

/**
 * What the `ModelFleet`s of one stack share: one model store, one serving image, one edge fleet and one set of
 * runtime components. Found with `ModelFleetResources.of(scope)` (created with defaults on first use); declare one
 * yourself, before any `ModelFleet`, to choose its parts.
 *
 * Every part is created only when a model needs it: a cluster-only app makes no edge fleet.
 */
export class ModelFleetResources extends Construct {
  /** The construct id `of()` uses when it creates the resources of a stack. */
  public static readonly ID = 'ModelFleetResources';

  /**
   * The shared resources of the stack that holds `scope`: the ones declared there, or new ones with defaults.
   *
   * @param scope any construct in the stack
   */
  public static of(scope: IConstruct): ModelFleetResources {
    const stack = Stack.of(scope);
    const found = declared.get(stack);
    if (found) return found;
    const created = new ModelFleetResources(stack, ModelFleetResources.ID);
    implicit.add(created);
    return created;
  }

  /** The serving image every endpoint and workload of the stack uses. */
  public readonly servingImage: ServingImage;

  private readonly props: ModelFleetResourcesProps;
  private sharedStore?: IModelStore;
  private sharedEdgeFleet?: IEdgeFleet;
  private sharedNodeRuntime?: NodeRuntimeComponent;
  private sharedModelServer?: ModelServerComponent;
  private nextPort: number;
  private readonly usedPorts = new WeakMap<IEdgeFleet, Map<number, string>>();
  private sharedAlarmTopic?: sns.ITopic;
  private readonly alarmEmails = new Set<string>();
  private readonly monitorings = new Map<IEdgeFleet, EdgeFleetMonitoring>();

  /** The AWS Chatbot channel of the alarm topic, when `alarmChatChannel` is given. */
  public readonly alarmChatChannel?: AlarmChatChannelConfig;

  /**
   * Declares the shared resources of a stack. Declare them once, before the stack's first `ModelFleet`: a second
   * declaration, or one after a `ModelFleet` made the defaults, is refused (`ModelFleetResourcesAlreadyDefined`).
   */
  constructor(scope: Construct, id: string, props: ModelFleetResourcesProps = {}) {
    const stack = Stack.of(scope);
    const existing = declared.get(stack);
    if (existing) {
      const how = implicit.has(existing)
        ? `a ModelFleet already created the stack's defaults at ${existing.node.path}; declare ${id} before the stack's first ModelFleet`
        : `the stack already declares them at ${existing.node.path}; declare them once per stack (pass its parts there)`;
      throw new ModelFleetError('ModelFleetResourcesAlreadyDefined',
        `ModelFleetResources ${id} would be ignored: ${how}`, scope);
    }
    super(scope, id);
    declared.set(stack, this);
    this.props = props;
    this.servingImage = props.servingImage ?? ServingImage.fromAsset();
    this.sharedStore = props.store;
    this.sharedEdgeFleet = props.edgeFleet;
    this.nextPort = props.edgeFirstPort ?? 8080;
    this.sharedAlarmTopic = props.alarmTopic;
    if (props.alarmEmail !== undefined) this.addAlarmEmail(props.alarmEmail);
    if (props.alarmChatChannel) this.alarmChatChannel = props.alarmChatChannel.bind(this, this.alarmTopic);
  }

  /** The SNS topic of every alarm and event rule of the stack's models (created on first use). */
  public get alarmTopic(): sns.ITopic {
    this.sharedAlarmTopic = this.sharedAlarmTopic ?? new sns.Topic(this, 'AlarmTopic', {
      displayName: 'modelfleet alarms',
      enforceSSL: true,
    });
    return this.sharedAlarmTopic;
  }

  /**
   * The monitoring of an edge fleet (event rules and dashboard), created once per fleet; undefined when
   * `edgeMonitoring` is false.
   *
   * @param fleet the fleet
   */
  public edgeMonitoring(fleet: IEdgeFleet): EdgeFleetMonitoring | undefined {
    if (this.props.edgeMonitoring === false) return undefined;
    let monitoring = this.monitorings.get(fleet);
    if (!monitoring) {
      const id = fleet.node.scope === this ? 'EdgeFleetMonitoring' : `EdgeFleetMonitoring${this.monitorings.size + 1}`;
      monitoring = new EdgeFleetMonitoring(this, id, {
        fleet,
        alarmTopic: this.alarmTopic,
        notifyDeploymentSucceeded: this.props.edgeNotifyDeploymentSucceeded,
        deviceMetrics: this.props.edgeDeviceMetrics,
        alarmErrorRatePercent: this.props.edgeAlarmErrorRatePercent,
        alarmLatencyP99Threshold: this.props.edgeAlarmLatencyP99Threshold,
        alarmMinReportingDevices: this.props.edgeAlarmMinReportingDevices,
      });
      this.monitorings.set(fleet, monitoring);
    }
    return monitoring;
  }

  /**
   * Subscribes an e-mail address to the alarm topic (once, however many models ask).
   *
   * @param email the address
   */
  public addAlarmEmail(email: string): void {
    if (this.alarmEmails.has(email)) return;
    this.alarmEmails.add(email);
    this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(email));
  }

  /** The shared model store (created on first use). */
  public get store(): IModelStore {
    this.sharedStore = this.sharedStore ?? new ModelStore(this, 'Store');
    return this.sharedStore;
  }

  /** The shared edge fleet (created on first use). */
  public get edgeFleet(): IEdgeFleet {
    this.sharedEdgeFleet = this.sharedEdgeFleet ?? new EdgeFleet(this, 'EdgeFleet');
    return this.sharedEdgeFleet;
  }

  /**
   * The runtime components (Node and the model server), created once, added once to each fleet.
   *
   * @internal
   */
  public _runtimeComponents(store: IModelStore, fleet: IEdgeFleet): { nodeRuntime: NodeRuntimeComponent; modelServer: ModelServerComponent } {
    if (!this.sharedNodeRuntime || !this.sharedModelServer) {
      this.sharedNodeRuntime = new NodeRuntimeComponent(this, 'NodeRuntime', {
        bucket: store.bucket,
        componentNamePrefix: this.props.edgeComponentNamePrefix,
        platforms: this.props.edgePlatforms,
      });
      this.sharedModelServer = new ModelServerComponent(this, 'ModelServer', {
        bucket: store.bucket,
        nodeRuntime: this.sharedNodeRuntime,
        componentNamePrefix: this.props.edgeComponentNamePrefix,
        platforms: this.props.edgePlatforms,
        runtimeArtifacts: this.props.edgeRuntimeArtifacts,
      });
    }
    // Each fleet adds a component once, with its artifact grants.
    for (const component of [this.sharedNodeRuntime, this.sharedModelServer]) fleet.addEdgeComponent(component);
    acknowledgeUploadFunctions(this, Stack.of(this), store.bucket);
    return { nodeRuntime: this.sharedNodeRuntime, modelServer: this.sharedModelServer };
  }

  /**
   * Reserves a device port on a fleet for a model: the given one, or the next free one. Returns the model that
   * already holds a given port, as an error message, instead of reserving it.
   *
   * @internal
   */
  public _reserveEdgePort(fleet: IEdgeFleet, model: string, port?: number): { port: number; conflict?: string } {
    const used = this.usedPorts.get(fleet) ?? new Map<number, string>();
    this.usedPorts.set(fleet, used);
    if (port !== undefined) {
      const holder = used.get(port);
      if (holder !== undefined && holder !== model) return { port, conflict: holder };
      used.set(port, model);
      return { port };
    }
    while (used.has(this.nextPort)) this.nextPort++;
    const next = this.nextPort++;
    used.set(next, model);
    return { port: next };
  }
}

/** The shared resources of each stack: the one declared there. */
const declared = new WeakMap<Stack, ModelFleetResources>();

/** The ones `of()` created with defaults (not declared by the app). */
const implicit = new WeakSet<ModelFleetResources>();
