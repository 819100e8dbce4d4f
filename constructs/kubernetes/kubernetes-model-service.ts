import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Annotations, attachCustomSynthesis, CfnOutput, Duration, Names, Size, Stack, Token } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as cdk8s from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IDependable } from 'constructs';
import { IngressPeer } from './ingress-peer';
import { NodeLabel, NodeToleration } from './node-placement';
import { ObjectLabel } from './object-label';
import { acknowledgeGrantWildcards, acknowledgeKubectlProvider, kubectlProviderOf, podRoleReason } from './private/acknowledge';
import { deployTimeYaml, publishDeployTimeFiles } from './private/deploy-time-yaml';
import { createIrsaRole } from './private/irsa-role';
import { alertRuleGroups, grafanaDashboard } from './private/observability';
import { resolveManifest } from './private/resolve-manifest';
import { EXACT_SIZE, FieldErrors, show } from '../core/private/field-errors';
import { ModelFleetError } from '../core/private/modelfleet-error';
import { runtimeEnvironment, validateRuntimeSettings } from '../core/private/runtime-settings';
import { RuntimeSettings } from '../core/runtime-settings';
import { StoredModel } from '../model-store';
import { ServingImage } from '../serving-image';

/** The image that copies the model from S3 into the pod (`aws s3 cp`), pinned; ECR Public avoids Docker Hub limits. */
const DEFAULT_MODEL_FETCH_IMAGE = 'public.ecr.aws/aws-cli/aws-cli:2.22.0';
/** Where the model version's objects are copied to, and read from by the server. */
const MODEL_DIR = '/models';
const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
/** Kubernetes label keys: an optional DNS-subdomain prefix and a name of 63 characters at most. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const CIDR_V4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const CIDR_V6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:.]*\/(12[0-8]|1[01]\d|[1-9]?\d)$/;
/** What the server keeps of the grace period after the preStop sleep, for the process to exit once drained. */
const EXIT_MARGIN_SECONDS = 5;
/** The most threads the CPU limit gives by default: the runtime's `--threads` maximum. */
const MAX_DEFAULT_THREADS = 256;
/** The largest CPU request or limit accepted: 1000 cores, more than any node has. */
const MAX_MILLICORES = 1_000_000;

/**
 * Every tunable setting of a `KubernetesModelService` (all optional), and of the Kubernetes target of `ModelFleet`,
 * which passes them through. With the runtime's own settings (`RuntimeSettings`: `threads`, `workers`, `maxBatch`,
 * ...), passed to the server as `MODELFLEET_*` variables.
 */
export interface KubernetesModelServiceOptions extends RuntimeSettings {
  /**
   * The EKS cluster to apply the chart to. The construct then creates the IRSA role, bound to the cluster's OIDC
   * provider, and the service account, and applies the chart with the cluster's kubectl provider.
   *
   * @default - no cluster: the chart is YAML for a GitOps tool. When every value is known at synth, it is written
   *   into the cloud assembly (`<cdk.out>/<construct path with '-'>.k8s.yaml`); otherwise (an env-agnostic stack, an
   *   asset image, a generated bucket name...) `cdk deploy` writes it, resolved, into the model store bucket at
   *   `kubernetes/<namespace>/<service name>/<hash>.yaml` (stack output `ManifestUrl`), with a warning.
   */
  readonly cluster?: eks.ICluster;

  /**
   * The namespace of every object (a DNS label). It must exist.
   *
   * @default 'default'
   */
  readonly namespaceName?: string;

  /**
   * The name of the Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget and NetworkPolicy
   * (a DNS label: lower case, 63 characters at most).
   *
   * @default - `modelfleet-<model name>`, lower-cased
   */
  readonly serviceName?: string;

  /**
   * The port of the ClusterIP Service (its target is the model server's port 8080).
   *
   * @default 80
   */
  readonly servicePort?: number;

  /**
   * The number of replicas, and the HorizontalPodAutoscaler's minimum. A PodDisruptionBudget
   * (`maxUnavailable: 1`) is created when it is above 1.
   *
   * @default 2
   */
  readonly replicas?: number;

  /**
   * The HorizontalPodAutoscaler's maximum number of replicas.
   *
   * @default - 4 times `replicas` (`replicas` itself when it is a token)
   * @see https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/
   */
  readonly autoscalingMaxReplicas?: number;

  /**
   * The average CPU utilization (percent of the CPU request) that the HorizontalPodAutoscaler keeps.
   *
   * @default 70
   */
  readonly autoscalingCpuUtilization?: number;

  /**
   * The CPU requested by the model server, in millicores.
   *
   * @default 500
   */
  readonly cpuRequestMillicores?: number;

  /**
   * The CPU limit of the model server, in millicores. `threads` follows it by default, since onnxruntime counts the
   * host's cores, not the limit.
   *
   * @default 1000
   */
  readonly cpuLimitMillicores?: number;

  /**
   * The memory requested by the model server (whole mebibytes).
   *
   * @default Size.mebibytes(512)
   */
  readonly memoryRequest?: Size;

  /**
   * The memory limit of the model server (whole mebibytes).
   *
   * @default Size.gibibytes(1)
   */
  readonly memoryLimit?: Size;

  /**
   * The sources the NetworkPolicy admits to the model server's port; nothing else can connect. Add the namespace of
   * your Prometheus to let it scrape `/metrics`.
   *
   * @default - the pods of the service's own namespace
   */
  readonly networkPolicyIngressPeers?: IngressPeer[];

  /**
   * The namespace of the Prometheus that scrapes `/metrics`: the NetworkPolicy admits its pods on the server port.
   *
   * @default - no such peer; with scraping (`prometheusScrape` or `serviceMonitor`) on and no ingress peer outside the
   *   service's namespace, the warning `modelfleet:kubernetesPrometheusBlocked` says that a Prometheus in another
   *   namespace cannot reach the pods
   */
  readonly prometheusNamespace?: string;

  /**
   * Whether to create a Prometheus Operator `ServiceMonitor` (`monitoring.coreos.com/v1`) for the Service's `http`
   * port at `/metrics`, every 30 s. The cluster needs the operator's CRDs.
   *
   * @default false
   * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor
   */
  readonly serviceMonitor?: boolean;

  /**
   * Labels of the ServiceMonitor, besides the chart's, for your Prometheus's `serviceMonitorSelector` (e.g.
   * `{ key: 'release', value: 'kube-prometheus-stack' }`).
   *
   * @default - the chart's labels only
   */
  readonly serviceMonitorLabels?: ObjectLabel[];

  /**
   * Prometheus alerting rules for the model server (5xx share, p99 latency, pods down, worker crashes, failed model
   * loads): a Prometheus Operator `PrometheusRule` in the chart when `serviceMonitor` is on (labelled with
   * `serviceMonitorLabels`, for your Prometheus's `ruleSelector`), else a plain rules file written into the cloud
   * assembly beside the YAML (`<construct path with '-'>.rules.yaml`) for your Prometheus's `rule_files`. Their series
   * are selected by `job="<service name>"` (the job a ServiceMonitor gives them) and the namespace.
   *
   * @default true
   */
  readonly prometheusRules?: boolean;

  /**
   * The share of inference requests answered 5xx (in percent) above which the `ModelfleetHighErrorRate` rule fires.
   *
   * @default 5
   */
  readonly alertErrorRatePercent?: number;

  /**
   * The p99 inference latency above which the `ModelfleetHighLatency` rule fires.
   *
   * @default Duration.seconds(1)
   */
  readonly alertLatencyP99Threshold?: Duration;

  /**
   * How long the server's preStop hook sleeps before it gets SIGTERM, so that the Service's endpoints (kube-proxy,
   * ingress controllers, load balancers) stop sending to a terminating pod before its runtime stops accepting.
   * Uses the `sleep` lifecycle handler (Kubernetes 1.30 and later); `Duration.seconds(0)` leaves the hook out.
   *
   * @default Duration.seconds(10)
   * @see https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/
   */
  readonly preStopDelay?: Duration;

  /**
   * The pods' termination grace period: it covers the preStop sleep, then the runtime's drain of the requests in
   * flight (`--drain-timeout-ms`: the rest less 5 s to exit).
   *
   * @default Duration.seconds(40)
   * @see https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination
   */
  readonly terminationGracePeriod?: Duration;

  /**
   * Whether to create the NetworkPolicy. It only takes effect with a network plugin that enforces policies
   * (e.g. the VPC CNI with network policies enabled, Calico, Cilium).
   *
   * @default true
   */
  readonly networkPolicyEnabled?: boolean;

  /**
   * Whether to add the `prometheus.io/scrape`, `prometheus.io/port` and `prometheus.io/path: /metrics` annotations to
   * the pods.
   *
   * @default true
   */
  readonly prometheusScrape?: boolean;

  /**
   * Node labels the pods require (`nodeSelector`), e.g. `{ key: 'kubernetes.io/arch', value: 'arm64' }`.
   *
   * @default - any node
   */
  readonly nodeSelector?: NodeLabel[];

  /**
   * Node taints the pods tolerate, e.g. `{ key: 'nvidia.com/gpu', effect: TolerationEffect.NO_SCHEDULE }`.
   *
   * @default - no tolerations
   */
  readonly tolerations?: NodeToleration[];

  /**
   * The name of the Kubernetes service account of the pods.
   *
   * @default - the service name
   */
  readonly serviceAccountName?: string;

  /**
   * The IAM role the pods assume through IRSA (the `eks.amazonaws.com/role-arn` annotation of the service account)
   * when no `cluster` is given; the construct grants it read access to the model's prefix, and leaves its cdk-nag
   * findings to you (it acknowledges only what it creates). Its trust policy must admit
   * `system:serviceaccount:<namespace>:<service account name>` from the cluster's OIDC provider. For YAML written at
   * synth, its ARN must be known then (e.g. `iam.Role.fromRoleArn(this, 'PodRole', arn)`). Not with `cluster` or
   * `openIdConnectProvider` (the construct creates the role then).
   *
   * @default - the role created for `openIdConnectProvider`; with neither, the service account has no role
   *   annotation and the pods cannot fetch the model until you add one (a warning says how)
   * @see https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html
   */
  readonly serviceAccountRole?: iam.IRole;

  /**
   * The OIDC provider of the cluster the GitOps YAML is applied to (without `cluster`): the construct creates the
   * pods' IAM role, trusted through this provider by `system:serviceaccount:<namespace>:<service account name>` only
   * (`sub`, and `aud` = `sts.amazonaws.com`), grants it read access to the model's prefix and annotates the service
   * account with it. E.g. `iam.OpenIdConnectProvider.fromOpenIdConnectProviderArn(this, 'Oidc', arn)`.
   *
   * @default - no role is created: `serviceAccountRole` is used if given
   * @see https://docs.aws.amazon.com/eks/latest/userguide/enable-iam-roles-for-service-accounts.html
   */
  readonly openIdConnectProvider?: iam.IOpenIdConnectProvider;

  /**
   * The image of the init container that copies the model from S3 (it runs `aws s3 cp`); pin a tag or a digest.
   *
   * @default 'public.ecr.aws/aws-cli/aws-cli:2.22.0'
   */
  readonly modelFetchImage?: string;

  /**
   * The numeric user id of every container (the pods run as non-root with this uid and gid).
   *
   * @default 1000
   */
  readonly runAsUser?: number;
}

/**
 * Properties of a `KubernetesModelService`: its options, and what it serves.
 */
export interface KubernetesModelServiceProps extends KubernetesModelServiceOptions {
  /** The model version to serve (from `ModelStore.addModel`). */
  readonly model: StoredModel;

  /**
   * The serving image (`modelfleet-edge serve`), e.g. `ServingImage.fromRegistry(uri)`.
   *
   * @default - the runtime's own image, built from the installed package by `cdk deploy` (`ServingImage.fromAsset()`,
   *   its non-root `runtime` stage; one image asset per stack)
   */
  readonly image?: ServingImage;
}

/**
 * Serves one stored model on Kubernetes with the modelfleet runtime: a cdk8s chart with a hardened Deployment (an init
 * container copies the model version from S3 through IRSA), Service, HorizontalPodAutoscaler, PodDisruptionBudget,
 * NetworkPolicy and ServiceAccount, applied to an EKS cluster or written as YAML for GitOps.
 *
 * @example
 * new KubernetesModelService(this, 'Iris', { model, cluster });
 */
export class KubernetesModelService extends Construct {
  /** The cdk8s chart holding every Kubernetes object. */
  public readonly chart: cdk8s.Chart;
  /** The Deployment of the model server. */
  public readonly deployment: kplus.Deployment;
  /** The ClusterIP Service in front of the pods. */
  public readonly service: kplus.Service;
  /** The HorizontalPodAutoscaler of the Deployment. */
  public readonly horizontalPodAutoscaler: kplus.HorizontalPodAutoscaler;
  /** The PodDisruptionBudget, when there is more than one replica. */
  public readonly podDisruptionBudget?: kplus.k8s.KubePodDisruptionBudget;
  /** The NetworkPolicy, unless disabled. */
  public readonly networkPolicy?: kplus.NetworkPolicy;
  /** The Prometheus Operator ServiceMonitor, when `serviceMonitor` is true. */
  public readonly serviceMonitor?: cdk8s.ApiObject;
  /** The Prometheus Operator PrometheusRule, when `serviceMonitor` and `prometheusRules` are on. */
  public readonly prometheusRule?: cdk8s.ApiObject;
  /** The Grafana dashboard of the model server's metrics (JSON), also written into the cloud assembly. */
  public readonly grafanaDashboardJson: string;
  /** File name of the Grafana dashboard in the cloud assembly (`<construct path with '-'>.grafana.json`). */
  public readonly grafanaDashboardFileName: string;
  /** File name of the plain Prometheus rules file in the cloud assembly, when one is written. */
  public readonly prometheusRulesFileName?: string;
  /** The name shared by the Kubernetes objects. */
  public readonly serviceName: string;
  /** The namespace of the Kubernetes objects. */
  public readonly namespaceName: string;
  /** The name of the pods' Kubernetes service account. */
  public readonly serviceAccountName: string;
  /** The in-cluster URL of the service, e.g. `http://modelfleet-iris.default.svc.cluster.local:80`. */
  public readonly url: string;
  /** The manifest applied to the cluster (with `cluster`). */
  public readonly manifest?: eks.KubernetesManifest;
  /** The service account with its IRSA role (with `cluster`). */
  public readonly serviceAccount?: eks.ServiceAccount;
  /**
   * The IAM role of the pods: created with `cluster` or `openIdConnectProvider`, else the given
   * `serviceAccountRole`; undefined with none of them.
   */
  public readonly role?: iam.IRole;
  /** The file name of the YAML written into the cloud assembly (without `cluster`, when every value is known at synth). */
  public readonly manifestFileName?: string;
  /**
   * What writes the resolved YAML into the model store at deployment (without `cluster`, when some value is only
   * known at deployment).
   */
  public readonly manifestPublication?: s3deploy.BucketDeployment;
  /** The store key of the YAML written at deployment: `kubernetes/<namespace>/<service name>/<hash>.yaml`. */
  public readonly manifestObjectKey?: string;
  /** The store key of the newest YAML written at deployment: `kubernetes/<namespace>/<service name>/latest.yaml`. */
  public readonly manifestLatestObjectKey?: string;
  /** `s3://<store bucket>/<manifestObjectKey>`, also the stack output `manifestUrlOutput`. */
  public readonly manifestUrl?: string;
  /** The stack output holding `manifestUrl`. */
  public readonly manifestUrlOutput?: CfnOutput;

  constructor(scope: Construct, id: string, props: KubernetesModelServiceProps) {
    super(scope, id);

    const model = props.model;
    const replicas = props.replicas ?? 2;
    const maxReplicas = props.autoscalingMaxReplicas ?? (Token.isUnresolved(replicas) ? replicas : replicas * 4);
    const cpuTarget = props.autoscalingCpuUtilization ?? 70;
    const cpuRequest = props.cpuRequestMillicores ?? 500;
    const cpuLimit = props.cpuLimitMillicores ?? 1000;
    const memoryRequest = props.memoryRequest ?? Size.mebibytes(512);
    const memoryLimit = props.memoryLimit ?? Size.gibibytes(1);
    // onnxruntime counts the host's cores, not the CPU limit: the threads follow the limit unless given.
    const threads = props.threads
      ?? (Token.isUnresolved(cpuLimit) ? undefined : Math.min(MAX_DEFAULT_THREADS, Math.max(1, Math.floor(cpuLimit / 1000))));
    const servicePort = props.servicePort ?? 80;
    const runAsUser = props.runAsUser ?? 1000;
    const preStopDelay = props.preStopDelay ?? Duration.seconds(10);
    const gracePeriod = props.terminationGracePeriod ?? Duration.seconds(40);
    this.namespaceName = props.namespaceName ?? 'default';
    this.serviceName = props.serviceName ?? defaultServiceName(model.name);
    this.serviceAccountName = props.serviceAccountName ?? this.serviceName;
    this.url = `http://${this.serviceName}.${this.namespaceName}.svc.cluster.local:${servicePort}`;

    if (threads === undefined) {
      Annotations.of(this).addWarningV2('modelfleet:kubernetesThreadsUnknown', 'cpuLimitMillicores is a token, so '
        + 'MODELFLEET_THREADS cannot follow it and the server will use one thread per host core; pass threads');
    }
    // Every runtime setting given, with the thread count resolved: validated and passed as MODELFLEET_* variables.
    const runtimeSettings: RuntimeSettings = { ...props, threads };
    this.validate(props, runtimeSettings, {
      replicas, maxReplicas, cpuTarget, cpuRequest, cpuLimit, memoryRequest, memoryLimit, servicePort, runAsUser,
      preStopDelay, gracePeriod,
    });
    const preStopSeconds = preStopDelay.toSeconds();
    const graceSeconds = gracePeriod.toSeconds();
    // The runtime drains what the grace period leaves after the preStop sleep, less the time to exit.
    const drainMs = Token.isUnresolved(preStopSeconds) || Token.isUnresolved(graceSeconds)
      ? undefined
      : (graceSeconds - preStopSeconds - EXIT_MARGIN_SECONDS) * 1000;

    const labels: Record<string, string> = {
      'app.kubernetes.io/name': 'modelfleet',
      'app.kubernetes.io/instance': this.serviceName,
      'app.kubernetes.io/component': 'model-server',
      'modelfleet.io/model': model.name,
      'modelfleet.io/model-version': model.version,
    };

    /** Immutable once applied: the selector of the Deployment, Service, budget, policy and spread constraints. */
    const selectorLabels = {
      'app.kubernetes.io/name': labels['app.kubernetes.io/name'],
      'app.kubernetes.io/instance': labels['app.kubernetes.io/instance'],
    };

    // The service account and its role: created in the cluster (IRSA), created for the given OIDC provider or given
    // for GitOps; or none, with a warning.
    let annotationRoleArn: string | undefined;
    // An imported cluster's kubectl provider is created at the stack's root by the first manifest applied with it.
    const kubectlProviderBefore = props.cluster ? kubectlProviderOf(this, props.cluster) : undefined;
    if (props.cluster) {
      this.serviceAccount = new eks.ServiceAccount(this, 'ServiceAccount', {
        cluster: props.cluster,
        name: this.serviceAccountName,
        namespace: this.namespaceName,
        labels,
        identityType: eks.IdentityType.IRSA,
      });
      this.role = this.serviceAccount.role;
    } else if (props.openIdConnectProvider) {
      const irsa = createIrsaRole(this, 'ServiceAccountRole', props.openIdConnectProvider, this.namespaceName, this.serviceAccountName);
      this.role = irsa.role;
      annotationRoleArn = irsa.annotationArn;
    } else if (props.serviceAccountRole !== undefined) {
      this.role = props.serviceAccountRole;
      annotationRoleArn = literalRoleArn(props.serviceAccountRole);
    } else {
      Annotations.of(this).addWarningV2('modelfleet:kubernetesNoPodRole', `the Kubernetes service account `
        + `${this.namespaceName}/${this.serviceAccountName} has no IAM role, so the fetch-model init container cannot read `
        + `${model.prefix} from the model store and the pods will not start; pass openIdConnectProvider (the OIDC provider `
        + 'of your cluster: the construct creates the role and grants it the model) or serviceAccountRole, or annotate '
        + 'the service account with eks.amazonaws.com/role-arn: <ARN of a role trusted by the cluster\'s OIDC provider '
        + `for system:serviceaccount:${this.namespaceName}:${this.serviceAccountName} that may read ${model.prefix}*>`);
    }
    if (this.role) {
      const grant = model.grantRead(this.role);
      // Only a role this construct created (the service account's, the IRSA role): a given role keeps its findings.
      acknowledgeGrantWildcards(this, props.cluster ? this.serviceAccount! : this.role, grant, podRoleReason(model.prefix));
    }
    const imageUri = (props.image ?? defaultImage()).bind(this).imageUri;

    this.chart = new ModelServiceChart(new cdk8s.App(), 'Chart', { namespace: this.namespaceName, labels, disableResourceNameHashes: true });
    const serviceAccount = props.cluster
      ? kplus.ServiceAccount.fromServiceAccountName(this.chart, 'ServiceAccountRef', this.serviceAccountName, { namespaceName: this.namespaceName })
      : new kplus.ServiceAccount(this.chart, 'ServiceAccount', {
        metadata: {
          name: this.serviceAccountName,
          annotations: annotationRoleArn === undefined ? undefined : { 'eks.amazonaws.com/role-arn': annotationRoleArn },
        },
        automountToken: false,
      });

    const modelVolume = kplus.Volume.fromEmptyDir(this.chart, 'ModelVolume', 'model', {
      sizeLimit: cdk8s.Size.mebibytes(modelVolumeMebibytes(model.sizeBytes)),
    });
    const tmpVolume = kplus.Volume.fromEmptyDir(this.chart, 'TmpVolume', 'tmp', { sizeLimit: cdk8s.Size.mebibytes(64) });
    const podAnnotations: Record<string, string> = (props.prometheusScrape ?? true)
      ? { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'prometheus.io/path': '/metrics' }
      : {};

    this.deployment = new kplus.Deployment(this.chart, 'Deployment', {
      metadata: { name: this.serviceName },
      podMetadata: { labels, annotations: podAnnotations },
      // Selected by name and instance (below): cdk8s's address label is the same for every service's chart.
      select: false,
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(1),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
      serviceAccount,
      // IRSA mounts its own projected web identity token: the API token is not needed.
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: runAsUser, group: runAsUser, fsGroup: runAsUser },
      volumes: [modelVolume, tmpVolume],
      terminationGracePeriod: cdk8s.Duration.seconds(graceSeconds),
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: selectorLabels }));
    const containerSecurity: kplus.ContainerSecurityContextProps = {
      ensureNonRoot: true,
      user: runAsUser,
      group: runAsUser,
      privileged: false,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    };
    const fetchEnv: Record<string, kplus.EnvValue> = { HOME: kplus.EnvValue.fromValue('/tmp') };
    const region = model.bucket.env.region;
    if (props.cluster || !Token.isUnresolved(region)) {
      fetchEnv.AWS_REGION = kplus.EnvValue.fromValue(region);
    }
    this.deployment.addInitContainer({
      name: 'fetch-model',
      image: props.modelFetchImage ?? DEFAULT_MODEL_FETCH_IMAGE,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: [
        'aws', 's3', 'cp', '--recursive', '--only-show-errors',
        '--exclude', '*', '--include', 'model.onnx', '--include', 'contract.json',
        `s3://${props.cluster ? model.bucket.bucketName : literalBucketName(model.bucket)}/${model.prefix}`, `${MODEL_DIR}/`,
      ],
      envVariables: fetchEnv,
      resources: {
        cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
        memory: { request: cdk8s.Size.mebibytes(128), limit: cdk8s.Size.mebibytes(256) },
      },
      securityContext: containerSecurity,
      volumeMounts: [
        { volume: modelVolume, path: MODEL_DIR },
        { volume: tmpVolume, path: '/tmp' },
      ],
    });
    this.deployment.addContainer({
      name: 'server',
      image: imageUri,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      args: ['serve', '--model', `${MODEL_DIR}/model.onnx`, '--host', '0.0.0.0', '--port', '8080',
        ...drainMs === undefined ? [] : ['--drain-timeout-ms', String(drainMs)]],
      ports: [{ number: 8080, name: 'http' }],
      envVariables: Object.fromEntries(Object.entries(runtimeEnvironment(runtimeSettings))
        .map(([name, value]) => [name, kplus.EnvValue.fromValue(value)])),
      resources: {
        cpu: { request: kplus.Cpu.millis(cpuRequest), limit: kplus.Cpu.millis(cpuLimit) },
        memory: { request: toCdk8sSize(memoryRequest), limit: toCdk8sSize(memoryLimit) },
      },
      startup: kplus.Probe.fromHttpGet('/v2/health/live', {
        port: 8080, periodSeconds: cdk8s.Duration.seconds(2), failureThreshold: 60, timeoutSeconds: cdk8s.Duration.seconds(2),
      }),
      liveness: kplus.Probe.fromHttpGet('/v2/health/live', {
        port: 8080, periodSeconds: cdk8s.Duration.seconds(10), failureThreshold: 3, timeoutSeconds: cdk8s.Duration.seconds(2),
      }),
      readiness: kplus.Probe.fromHttpGet('/v2/health/ready', {
        port: 8080, periodSeconds: cdk8s.Duration.seconds(5), failureThreshold: 2, timeoutSeconds: cdk8s.Duration.seconds(2),
      }),
      securityContext: containerSecurity,
      volumeMounts: [
        { volume: modelVolume, path: MODEL_DIR, readOnly: true },
        { volume: tmpVolume, path: '/tmp' },
      ],
    });
    this.patchPodSpec(props, selectorLabels, preStopSeconds);

    this.service = new kplus.Service(this.chart, 'Service', {
      metadata: { name: this.serviceName },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'http', port: servicePort, targetPort: 8080 }],
    });
    for (const [key, value] of Object.entries(selectorLabels)) {
      this.service.selectLabel(key, value);
    }

    this.horizontalPodAutoscaler = new kplus.HorizontalPodAutoscaler(this.chart, 'Autoscaler', {
      metadata: { name: this.serviceName },
      target: this.deployment,
      minReplicas: replicas,
      maxReplicas,
      metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(cpuTarget))],
    });

    if (Token.isUnresolved(replicas) || replicas > 1) {
      this.podDisruptionBudget = new kplus.k8s.KubePodDisruptionBudget(this.chart, 'DisruptionBudget', {
        metadata: { name: this.serviceName },
        spec: {
          maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
          selector: { matchLabels: this.deployment.matchLabels },
        },
      });
    }

    if (props.networkPolicyEnabled ?? true) {
      this.networkPolicy = new kplus.NetworkPolicy(this.chart, 'NetworkPolicy', {
        metadata: { name: this.serviceName },
        selector: kplus.Pods.select(this.chart, 'ServerPods', { labels: selectorLabels }),
        ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
      });
      const peers = props.networkPolicyIngressPeers ?? [];
      if (peers.length === 0) {
        this.networkPolicy.addIngressRule(kplus.Pods.all(this.chart, 'SameNamespacePods'), [kplus.NetworkPolicyPort.tcp(8080)]);
      }
      peers.forEach((peer, i) => this.networkPolicy!.addIngressRule(this.toPolicyPeer(peer, i), [kplus.NetworkPolicyPort.tcp(8080)]));
      if (props.prometheusNamespace !== undefined) {
        this.networkPolicy.addIngressRule(
          kplus.Namespaces.select(this.chart, 'PrometheusNamespace', { names: [props.prometheusNamespace] }),
          [kplus.NetworkPolicyPort.tcp(8080)]);
      }
      // A scraper in another namespace (the usual place of a cluster's Prometheus) is silently dropped otherwise.
      const scraping = (props.prometheusScrape ?? true) || (props.serviceMonitor ?? false);
      const otherNamespaceAdmitted = props.prometheusNamespace !== undefined
        || peers.some((p) => p.cidr !== undefined || (p.namespaceName !== undefined && p.namespaceName !== this.namespaceName));
      if (scraping && !otherNamespaceAdmitted) {
        Annotations.of(this).addWarningV2('modelfleet:kubernetesPrometheusBlocked', `the pods are set up to be scraped `
          + `(/metrics on 8080), but the NetworkPolicy admits only the namespace ${this.namespaceName}, so a Prometheus in `
          + 'another namespace cannot reach them; pass prometheusNamespace (e.g. \'monitoring\'), add '
          + 'IngressPeer.podsInNamespace(<its namespace>) to networkPolicyIngressPeers, or set prometheusScrape: false');
      }
    }

    if (props.serviceMonitor ?? false) {
      this.serviceMonitor = new cdk8s.ApiObject(this.chart, 'ServiceMonitor', {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: {
          name: this.serviceName,
          labels: Object.fromEntries((props.serviceMonitorLabels ?? []).map((l) => [l.key, l.value])),
        },
        spec: {
          selector: { matchLabels: selectorLabels },
          namespaceSelector: { matchNames: [this.namespaceName] },
          endpoints: [{ port: 'http', path: '/metrics', interval: '30s' }],
        },
      });
    }

    // ---- Grafana dashboard and Prometheus alerting rules ----
    const base = this.node.path.replace(/\//g, '-');
    const literalJob = Token.isUnresolved(this.serviceName) ? undefined : this.serviceName;
    this.grafanaDashboardJson = JSON.stringify(grafanaDashboard(`modelfleet ${literalJob ?? 'model server'}`, literalJob), undefined, 2) + '\n';
    this.grafanaDashboardFileName = `${base}.grafana.json`;
    const files: Array<{ name: string; text: () => string }> = [{ name: this.grafanaDashboardFileName, text: () => this.grafanaDashboardJson }];
    if (props.prometheusRules ?? true) {
      const groups = () => alertRuleGroups({
        selector: `job="${this.serviceName}",namespace="${this.namespaceName}"`,
        group: `modelfleet-${this.serviceName}`,
        errorRatio: (props.alertErrorRatePercent ?? 5) / 100,
        latencyP99Seconds: (props.alertLatencyP99Threshold ?? Duration.seconds(1)).toMilliseconds() / 1000,
        minPodsUp: 1,
      });
      if (props.serviceMonitor ?? false) {
        this.prometheusRule = new cdk8s.ApiObject(this.chart, 'PrometheusRule', {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'PrometheusRule',
          metadata: {
            name: this.serviceName,
            labels: Object.fromEntries((props.serviceMonitorLabels ?? []).map((l) => [l.key, l.value])),
          },
          spec: { groups: groups() },
        });
      } else {
        this.prometheusRulesFileName = `${base}.rules.yaml`;
        files.push({ name: this.prometheusRulesFileName, text: () => cdk8s.Yaml.stringify({ groups: groups() }) });
      }
    }
    // a construct of its own: a construct takes one custom synthesis, and the YAML file has this one's
    attachCustomSynthesis(new Construct(this, 'ObservabilityFiles'), {
      onSynthesize: (session) => {
        for (const f of files) {
          fs.mkdirSync(session.outdir, { recursive: true });
          fs.writeFileSync(path.join(session.outdir, f.name), f.text());
        }
      },
    });

    if (props.cluster) {
      this.manifest = new eks.KubernetesManifest(this, 'Manifest', {
        cluster: props.cluster,
        manifest: this.chart.toJson(),
      });
      this.manifest.node.addDependency(this.serviceAccount!);
      this.manifest.node.addDependency(model.upload);
      const provider = kubectlProviderOf(this, props.cluster);
      if (provider && !kubectlProviderBefore) {
        acknowledgeKubectlProvider(this, provider);
      }
    } else {
      const { unresolved } = resolveManifest(Stack.of(this), this.chart.toJson());
      if (unresolved.length === 0) {
        this.manifestFileName = `${this.node.path.replace(/\//g, '-')}.k8s.yaml`;
        const fileName = this.manifestFileName;
        attachCustomSynthesis(this, {
          onSynthesize: (session) => this.writeManifest(path.join(session.outdir, fileName)),
        });
        Annotations.of(this).addInfo(`Kubernetes manifest written to ${fileName} in the cloud assembly`);
      } else {
        if (!fetchEnv.AWS_REGION) {
          // Known at deployment: the pods need not rely on the IRSA webhook's region (the cluster's, not the bucket's).
          this.deployment.initContainers[0].env.addVariable('AWS_REGION', kplus.EnvValue.fromValue(region));
        }
        const published = this.publishManifest(model, [this.role, model.upload]);
        this.manifestPublication = published.deployment;
        this.manifestObjectKey = published.objectKey;
        this.manifestLatestObjectKey = published.latestObjectKey;
        this.manifestUrl = published.url;
        this.manifestUrlOutput = published.output;
        Annotations.of(this).addWarningV2('modelfleet:kubernetesManifestAtDeploy', `the Kubernetes manifest holds values `
          + `only known at deployment (${unresolved.join(', ')}), so no YAML file is written into the cloud assembly; `
          + `cdk deploy writes it, resolved, into the model store: s3://${displayBucketName(model.bucket)}/${published.objectKey} `
          + `(stack output ${Stack.of(this).getLogicalId(published.output)}; the newest one is always at `
          + `${published.latestObjectKey}). For a file at synth instead: ${unresolvedFixes(unresolved).join('; ')}`);
      }
    }
  }

  /**
   * Publishes the chart at deployment: the model store's single upload (a model outside a store: a BucketDeployment
   * of its own) writes the YAML, its deploy-time values substituted, to
   * `kubernetes/<namespace>/<service>/<hash>.yaml` (content-addressed: earlier manifests stay readable) and
   * `.../latest.yaml` in the model store bucket; it never prunes, so the models stay. The hash is of the YAML with
   * its values as CloudFormation expressions.
   */
  private publishManifest(model: StoredModel, after: Array<IDependable | undefined>): {
    deployment: s3deploy.BucketDeployment; objectKey: string; latestObjectKey: string; url: string; output: CfnOutput;
  } {
    const stack = Stack.of(this);
    const text = deployTimeYaml(resolveManifest(stack, this.chart.toJson()).objects);
    const hash = crypto.createHash('sha256').update(JSON.stringify(stack.resolve(text))).digest('hex').slice(0, 16);
    // The BucketDeployment took the YAML now: a change to the chart after this would be silently left out. Compared
    // with the tokens left as tokens: resolved, a reference to another stack would read differently after `prepare`
    // (an `Fn::ImportValue` instead of a `Ref`) though the chart did not change.
    const taken = JSON.stringify(this.chart.toJson());
    attachCustomSynthesis(this, {
      onSynthesize: () => {
        if (JSON.stringify(this.chart.toJson()) !== taken) {
          throw new ModelFleetError('KubernetesChartChangedAfterCreation', 'the chart changed after the '
            + 'KubernetesModelService was created, but its YAML for GitOps was taken for publication at deployment when it '
            + 'was created, so the change would be left out; change it through the props, or give every value a literal '
            + '(the YAML is then written at synth and includes later changes)', this);
        }
      },
    });
    const literal = (value: string) => {
      const resolved: unknown = stack.resolve(value);
      return typeof resolved === 'string' ? resolved : undefined;
    };
    const namespace = literal(this.namespaceName);
    const service = literal(this.serviceName);
    const prefix = namespace !== undefined && service !== undefined
      ? `kubernetes/${namespace}/${service}/`
      : `kubernetes/${Names.uniqueResourceName(this, { maxLength: 128 })}/`;
    const deployment = publishDeployTimeFiles(this, 'ManifestPublication', model, prefix,
      [{ fileName: `${hash}.yaml`, text }, { fileName: 'latest.yaml', text }], after);
    const objectKey = `${prefix}${hash}.yaml`;
    const url = model.bucket.s3UrlForObject(objectKey);
    const output = new CfnOutput(this, 'ManifestUrl', {
      value: url,
      description: `Kubernetes manifest (YAML) of ${this.namespaceName}/${this.serviceName} for GitOps; the newest also at `
        + `${prefix}latest.yaml`,
    });
    return { deployment, objectKey, latestObjectKey: `${prefix}latest.yaml`, url, output };
  }

  /** Patches in what cdk8s-plus-27 cannot express (see the README section "Kubernetes"). */
  private patchPodSpec(props: KubernetesModelServiceProps, selectorLabels: Record<string, string>, preStopSeconds: number): void {
    const obj = cdk8s.ApiObject.of(this.deployment);
    const pod = '/spec/template/spec';
    // cdk8s's address label (`Chart-Deployment-<hash>`) is the same in every service's chart: selection uses ours.
    obj.addJsonPatch(cdk8s.JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'));
    // The Capability enum has no ALL and renders `drop: [null]`.
    obj.addJsonPatch(cdk8s.JsonPatch.add(`${pod}/initContainers/0/securityContext/capabilities`, { drop: ['ALL'] }));
    obj.addJsonPatch(cdk8s.JsonPatch.add(`${pod}/containers/0/securityContext/capabilities`, { drop: ['ALL'] }));
    obj.addJsonPatch(cdk8s.JsonPatch.add(`${pod}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }));
    // cdk8s-plus-27 has no sleep handler (Handler: exec, httpGet, tcpSocket; the image may hold no `sleep` binary),
    // and its Kubernetes 1.27 L1 drops `sleep` even from a JSON patch: the chart adds it after rendering.
    if (Token.isUnresolved(preStopSeconds) || preStopSeconds > 0) {
      (this.chart as ModelServiceChart).serverPreStopSleepSeconds = preStopSeconds;
    }
    // `spread: true` writes required anti-affinity (pods stay Pending with more replicas than zones).
    const selector = { matchLabels: selectorLabels };
    obj.addJsonPatch(cdk8s.JsonPatch.add(`${pod}/topologySpreadConstraints`, [
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector },
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector },
    ]));
    if (props.nodeSelector && props.nodeSelector.length > 0) {
      obj.addJsonPatch(cdk8s.JsonPatch.add(`${pod}/nodeSelector`,
        Object.fromEntries(props.nodeSelector.map((l) => [l.key, l.value]))));
    }
    if (props.tolerations && props.tolerations.length > 0) {
      obj.addJsonPatch(cdk8s.JsonPatch.add(`${pod}/tolerations`, props.tolerations.map((t) => ({
        key: t.key,
        operator: t.value === undefined ? 'Exists' : 'Equal',
        value: t.value,
        effect: t.effect,
      }))));
    }
  }

  private toPolicyPeer(peer: IngressPeer, index: number): kplus.INetworkPolicyPeer {
    if (peer.cidr !== undefined) {
      return peer.cidr.includes(':')
        ? kplus.NetworkPolicyIpBlock.ipv6(this.chart, `PeerIpBlock${index}`, peer.cidr, peer.exceptCidrs)
        : kplus.NetworkPolicyIpBlock.ipv4(this.chart, `PeerIpBlock${index}`, peer.cidr, peer.exceptCidrs);
    }
    const namespaces = peer.namespaceName === undefined
      ? undefined
      : kplus.Namespaces.select(this.chart, `PeerNamespace${index}`, { names: [peer.namespaceName] });
    if (peer.labelKey === undefined) {
      return namespaces!;
    }
    return kplus.Pods.select(this.chart, `PeerPods${index}`, {
      labels: { [peer.labelKey]: peer.labelValue ?? '' },
      namespaces,
    });
  }

  /**
   * Writes the chart as YAML, every token resolved. The chart was fully known when the construct was created (else
   * it is published at deployment); a value changed to a token since then cannot be published anymore: throw.
   */
  private writeManifest(file: string): void {
    const { objects, unresolved } = resolveManifest(Stack.of(this), this.chart.toJson());
    if (unresolved.length > 0) {
      throw new ModelFleetError('KubernetesManifestUnresolvedToken',
        `the YAML manifest for GitOps was fully known when the construct was created, but values changed since then are `
        + `only known at deployment, at ${unresolved.join(', ')}; ${unresolvedFixes(unresolved).join('; ')} (or make the `
        + 'change before the KubernetesModelService is created, so that it publishes the manifest at deployment)', this);
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, cdk8s.Yaml.stringify(...objects));
  }

  private validate(props: KubernetesModelServiceProps, runtimeSettings: RuntimeSettings, v: {
    replicas: number; maxReplicas: number; cpuTarget: number; cpuRequest: number; cpuLimit: number;
    memoryRequest: Size; memoryLimit: Size; servicePort: number; runAsUser: number;
    preStopDelay: Duration; gracePeriod: Duration;
  }): void {
    const errors = new FieldErrors();
    const known = (...values: number[]) => values.every((n) => !Token.isUnresolved(n));

    errors.range('KubernetesReplicasOutOfRange', 'replicas', v.replicas, 1, 1000, 'give at least 1 replica');
    errors.range('KubernetesReplicasOutOfRange', 'autoscalingMaxReplicas', v.maxReplicas, 1, 1000, 'give at least 1 replica');
    if (known(v.replicas, v.maxReplicas) && v.maxReplicas < v.replicas) {
      errors.add('KubernetesAutoscalingMaxBelowMin',
        `autoscalingMaxReplicas (${v.maxReplicas}) must be at least replicas (${v.replicas}); raise autoscalingMaxReplicas`);
    }
    errors.range('KubernetesCpuUtilizationOutOfRange', 'autoscalingCpuUtilization', v.cpuTarget, 1, 100,
      'give a percentage of the CPU request, e.g. 70');
    errors.range('KubernetesCpuOutOfRange', 'cpuRequestMillicores', v.cpuRequest, 1, MAX_MILLICORES,
      'give millicores, e.g. 500 for half a core');
    errors.range('KubernetesCpuOutOfRange', 'cpuLimitMillicores', v.cpuLimit, 1, MAX_MILLICORES,
      'give millicores, e.g. 1000 for one core');
    if (known(v.cpuRequest, v.cpuLimit) && v.cpuRequest > v.cpuLimit) {
      errors.add('KubernetesRequestAboveLimit', `cpuRequestMillicores (${v.cpuRequest}) must not exceed cpuLimitMillicores `
        + `(${v.cpuLimit}); lower the request or raise the limit`);
    }
    const mib = (name: string, size: Size): number | undefined => {
      const value = size.toMebibytes(EXACT_SIZE);
      if (Token.isUnresolved(value)) {
        return undefined;
      }
      if (!Number.isInteger(value) || value < 1) {
        errors.add('KubernetesMemoryNotWholeMebibytes', `${name} must be a whole number of mebibytes (at least 1), got `
          + `${value} MiB; use Size.mebibytes() or Size.gibibytes()`);
        return undefined;
      }
      return value;
    };
    const memRequest = mib('memoryRequest', v.memoryRequest);
    const memLimit = mib('memoryLimit', v.memoryLimit);
    if (memRequest !== undefined && memLimit !== undefined && memRequest > memLimit) {
      errors.add('KubernetesRequestAboveLimit',
        `memoryRequest (${memRequest} MiB) must not exceed memoryLimit (${memLimit} MiB); lower the request or raise the limit`);
    }
    // threads, workers, maxBatch...: the runtime's own ranges (threads is the CPU limit's unless given)
    validateRuntimeSettings(errors, runtimeSettings);
    errors.range('KubernetesPortOutOfRange', 'servicePort', v.servicePort, 1, 65535, 'give a TCP port, e.g. 80');
    errors.range('KubernetesRunAsUserOutOfRange', 'runAsUser', v.runAsUser, 1, 2147483647,
      'give a non-root uid, e.g. 1000 (the serving image\'s user)');
    const preStopMs = v.preStopDelay.toMilliseconds();
    const graceMs = v.gracePeriod.toMilliseconds();
    if (known(preStopMs, graceMs)) {
      if (preStopMs % 1000 !== 0 || graceMs % 1000 !== 0) {
        errors.add('KubernetesPreStopDelayOutOfRange', `preStopDelay and terminationGracePeriod must be whole seconds, got `
          + `${preStopMs / 1000} s and ${graceMs / 1000} s; use Duration.seconds()`);
      } else if (graceMs - preStopMs < (EXIT_MARGIN_SECONDS + 1) * 1000) {
        errors.add('KubernetesPreStopDelayOutOfRange', `preStopDelay (${preStopMs / 1000} s) must leave at least `
          + `${EXIT_MARGIN_SECONDS + 1} s of terminationGracePeriod (${graceMs / 1000} s) for the runtime to drain and exit; `
          + 'shorten the delay or lengthen the grace period');
      }
    }

    const name = (field: string, value: string, pattern: RegExp, what: string) => {
      if (!Token.isUnresolved(value) && !pattern.test(value)) {
        errors.add('KubernetesNameInvalid', `${field} must be ${what}, got ${show(value)}; use lower-case letters, digits and '-'`);
      }
    };
    name('serviceName', this.serviceName, DNS_LABEL, 'a DNS label (at most 63 characters, starting with a letter)');
    name('namespaceName', this.namespaceName, DNS_LABEL, 'a DNS label (at most 63 characters, starting with a letter)');
    name('serviceAccountName', this.serviceAccountName, DNS_SUBDOMAIN, 'a DNS subdomain');
    const label = (field: string, key: string, value: string | undefined) => {
      if (!Token.isUnresolved(key) && !LABEL_KEY.test(key)) {
        errors.add('KubernetesLabelInvalid', `${field} key must be a Kubernetes label key, got ${show(key)}; e.g. 'kubernetes.io/arch'`);
      }
      if (value !== undefined && !Token.isUnresolved(value) && !LABEL_VALUE.test(value)) {
        errors.add('KubernetesLabelInvalid', `${field} value must be a Kubernetes label value (at most 63 characters of `
          + `letters, digits, '-', '_' and '.'), got ${show(value)}; shorten it`);
      }
    };
    const model = props.model;
    if (!Token.isUnresolved(model.version) && !LABEL_VALUE.test(model.version)) {
      errors.add('KubernetesLabelInvalid', `the model version must be a Kubernetes label value (at most 63 characters, starting `
        + `and ending with a letter or digit) for the modelfleet.io/model-version label, got ${show(model.version)}; add the `
        + 'model with a shorter version');
    }
    for (const l of props.nodeSelector ?? []) {
      label('nodeSelector', l.key, l.value);
    }
    for (const t of props.tolerations ?? []) {
      label('tolerations', t.key, t.value);
    }
    for (const l of props.serviceMonitorLabels ?? []) {
      label('serviceMonitorLabels', l.key, l.value);
    }
    if (props.serviceMonitorLabels?.length && !(props.serviceMonitor ?? false)) {
      errors.add('KubernetesServiceMonitorLabelsWithoutMonitor', 'serviceMonitorLabels is set but serviceMonitor is not true; '
        + 'set serviceMonitor: true or drop the labels');
    }
    if (props.prometheusNamespace !== undefined) {
      name('prometheusNamespace', props.prometheusNamespace, DNS_LABEL, 'a DNS label');
    }
    for (const p of props.networkPolicyIngressPeers ?? []) {
      for (const cidr of p.cidr === undefined ? [] : [p.cidr, ...p.exceptCidrs ?? []]) {
        if (!Token.isUnresolved(cidr) && !CIDR_V4.test(cidr) && !CIDR_V6.test(cidr)) {
          errors.add('KubernetesCidrInvalid', `networkPolicyIngressPeers ipBlock must be a CIDR block such as '10.0.0.0/16', `
            + `got ${show(cidr)}; add the prefix length`);
        }
      }
      if (p.namespaceName !== undefined) {
        name('networkPolicyIngressPeers namespaceName', p.namespaceName, DNS_LABEL, 'a DNS label');
      }
      if (p.labelKey !== undefined) {
        label('networkPolicyIngressPeers', p.labelKey, p.labelValue);
      }
    }
    if (props.networkPolicyEnabled === false && (props.networkPolicyIngressPeers?.length || props.prometheusNamespace !== undefined)) {
      errors.add('KubernetesNetworkPolicyPeersWithoutPolicy', 'networkPolicyIngressPeers or prometheusNamespace is set but '
        + 'networkPolicyEnabled is false, so no policy admits them; drop the peers or enable the policy');
    }

    if (props.cluster && props.serviceAccountRole !== undefined) {
      errors.add('KubernetesServiceAccountRoleWithCluster', `serviceAccountRole must not be set with cluster (the construct `
        + `creates the IRSA role), got ${roleDisplay(props.serviceAccountRole)}; drop serviceAccountRole, or drop cluster to `
        + 'write YAML for GitOps');
    }
    if (props.cluster && props.openIdConnectProvider !== undefined) {
      errors.add('KubernetesOidcProviderWithCluster', 'openIdConnectProvider must not be set with cluster (the construct '
        + 'creates the IRSA role on the cluster\'s own provider); drop openIdConnectProvider, or drop cluster to write YAML '
        + 'for GitOps');
    }
    if (props.openIdConnectProvider !== undefined && props.serviceAccountRole !== undefined) {
      errors.add('KubernetesServiceAccountRoleWithOidcProvider', `serviceAccountRole must not be set with openIdConnectProvider `
        + `(the construct creates the role for that provider), got ${roleDisplay(props.serviceAccountRole)}; drop one of them`);
    }
    errors.throwIfAny(this);
  }
}

/**
 * The service's chart: renders what cdk8s-plus-27's Kubernetes 1.27 L1 classes cannot hold, after they render (their
 * `toJson` keeps only the fields of that API version, patches included).
 */
class ModelServiceChart extends cdk8s.Chart {
  /** The server's `lifecycle.preStop.sleep.seconds` (Kubernetes 1.30+); undefined for no preStop hook. */
  public serverPreStopSleepSeconds?: number;

  public toJson(): ReturnType<cdk8s.Chart['toJson']> {
    const objects = super.toJson();
    const seconds = this.serverPreStopSleepSeconds;
    if (seconds === undefined) return objects;
    return objects.map((obj) => {
      if (obj.kind !== 'Deployment') return obj;
      const containers = (obj.spec.template.spec.containers as Array<Record<string, unknown>>).map((c) => (c.name === 'server'
        ? { ...c, lifecycle: { ...(c.lifecycle as object | undefined), preStop: { sleep: { seconds } } } }
        : c));
      return { ...obj, spec: { ...obj.spec, template: { ...obj.spec.template, spec: { ...obj.spec.template.spec, containers } } } };
    });
  }
}

/** How to get each unresolved manifest value known at synth. */
function unresolvedFixes(unresolved: readonly string[]): string[] {
  const fixes = new Set<string>();
  for (const where of unresolved) {
    if (/\.image$/.test(where)) {
      fixes.add('for the image, give the stack a concrete env (account and region) or use ServingImage.fromRegistry()');
    } else if (/\.command\[/.test(where) || /AWS_REGION/.test(where)) {
      fixes.add('for the model location, give the model store bucket a physical name (ModelStore bucketName) and the '
        + 'stack a concrete env');
    } else if (/role-arn/.test(where)) {
      fixes.add('for the role, give the stack a concrete env (with openIdConnectProvider) or pass a serviceAccountRole '
        + 'whose ARN is a literal (iam.Role.fromRoleArn)');
    } else {
      fixes.add(`replace the token at ${where} by a literal`);
    }
  }
  return [...fixes];
}

/** The bucket's name for a message: the literal, or a description. */
function displayBucketName(bucket: s3.IBucket): string {
  const name = literalBucketName(bucket);
  return Token.isUnresolved(name) ? '<model store bucket>' : name;
}

/** `modelfleet-<name>`, lower-cased, with every run of other characters turned into '-', at most 63 characters. */
function defaultServiceName(modelName: string): string {
  if (Token.isUnresolved(modelName)) {
    return 'modelfleet-model';
  }
  const slug = modelName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return `modelfleet-${slug}`.slice(0, 63).replace(/-+$/, '');
}

/**
 * The bucket's name, as a literal when the bucket is defined in this app with a physical name (its `bucketName`
 * is a `Ref` token even then), so that GitOps YAML can hold it.
 */
function literalBucketName(bucket: s3.IBucket): string {
  const cfn = bucket.node.defaultChild;
  if (Token.isUnresolved(bucket.bucketName) && cfn instanceof s3.CfnBucket && cfn.bucketName !== undefined
    && !Token.isUnresolved(cfn.bucketName)) {
    return cfn.bucketName;
  }
  return bucket.bucketName;
}

/**
 * The role's ARN, as a literal when the role is defined in the app with a physical name in a stack with a known
 * account (its `roleArn` is a `Fn::GetAtt` token even then), so that GitOps YAML can hold it.
 */
function literalRoleArn(role: iam.IRole): string {
  const cfn = role.node.defaultChild;
  const stack = Stack.of(role);
  if (Token.isUnresolved(role.roleArn) && cfn instanceof iam.CfnRole && cfn.roleName !== undefined
    && !Token.isUnresolved(cfn.roleName) && !Token.isUnresolved(cfn.path ?? '/') && !Token.isUnresolved(stack.account)) {
    // `arn:<partition>:iam::<account>:role<path><name>`; the path starts and ends with '/'
    return stack.formatArn({
      service: 'iam', region: '', resource: 'role', resourceName: `${(cfn.path ?? '/').slice(1)}${cfn.roleName}`,
    });
  }
  return role.roleArn;
}

/** The model `emptyDir`'s size limit: twice the model (for the contract and copy slack), at least 128 MiB. */
function modelVolumeMebibytes(sizeBytes: number): number {
  if (Token.isUnresolved(sizeBytes) || !Number.isFinite(sizeBytes)) {
    return 1024;
  }
  return Math.max(128, Math.ceil((2 * sizeBytes) / (1024 * 1024)));
}

function toCdk8sSize(size: Size): cdk8s.Size {
  return cdk8s.Size.mebibytes(size.toMebibytes(EXACT_SIZE));
}

/** A role for a message: its ARN when known at synth, else its construct path. */
function roleDisplay(role: iam.IRole): string {
  return Token.isUnresolved(role.roleArn) ? role.node.path : show(role.roleArn);
}

let sharedDefaultImage: ServingImage | undefined;

/** The runtime's own image, shared by every service so that a stack holds one image asset. */
function defaultImage(): ServingImage {
  sharedDefaultImage ??= ServingImage.fromAsset();
  return sharedDefaultImage;
}
