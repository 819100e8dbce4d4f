import * as fs from 'fs';
import * as path from 'path';
import { Annotations, attachCustomSynthesis, Names, Size, SizeRoundingBehavior, Stack, Token, Validations } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cdk8s from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { IngressPeer } from './ingress-peer';
import { NodeLabel, NodeToleration } from './node-placement';
import { acknowledgeGrantWildcards } from './private/acknowledge';
import { resolveManifest } from './private/resolve-manifest';
import { ModelFleetError } from '../model';
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

/**
 * Properties of a `KubernetesModelService`.
 */
export interface KubernetesModelServiceProps {
  /** The model version to serve (from `ModelStore.addModel`). */
  readonly model: StoredModel;

  /** The serving image (`modelfleet-edge serve`), e.g. `ServingImage.fromAsset()`. */
  readonly image: ServingImage;

  /**
   * The EKS cluster to apply the chart to. The construct then creates the IRSA role, bound to the cluster's OIDC
   * provider, and the service account, and applies the chart with the cluster's kubectl provider.
   *
   * @default - no cluster: the chart is written as plain YAML into the cloud assembly
   *   (`<cdk.out>/<construct path with '-'>.k8s.yaml`) for a GitOps tool; then every value in it must be known at
   *   synth and `serviceAccountRoleArn` is required.
   */
  readonly cluster?: eks.ICluster;

  /**
   * The namespace of every object. It must exist.
   *
   * @default 'default'
   */
  readonly namespace?: string;

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
   * The CPU limit of the model server, in millicores. The server's inference threads (`MODELFLEET_THREADS`) follow
   * it, since onnxruntime counts the host's cores, not the limit.
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
   * The number of inference threads (`MODELFLEET_THREADS`).
   *
   * @default - the CPU limit in whole cores, at least 1
   */
  readonly threads?: number;

  /**
   * The sources the NetworkPolicy admits to the model server's port; nothing else can connect. Add the namespace of
   * your Prometheus to let it scrape `/metrics`.
   *
   * @default - the pods of the service's own namespace
   */
  readonly networkPolicyIngressPeers?: IngressPeer[];

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
   * The IAM role the pods assume through IRSA (the `eks.amazonaws.com/role-arn` annotation) when no `cluster` is
   * given; the construct grants it read access to the model's prefix. Its trust policy must admit
   * `system:serviceaccount:<namespace>:<service account name>` from the cluster's OIDC provider.
   *
   * @default - required without `cluster`; with `cluster` the construct creates the role
   * @see https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html
   */
  readonly serviceAccountRoleArn?: string;

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
 * Serves one stored model on Kubernetes with the modelfleet runtime: a cdk8s chart with a hardened Deployment (an init
 * container copies the model version from S3 through IRSA), Service, HorizontalPodAutoscaler, PodDisruptionBudget,
 * NetworkPolicy and ServiceAccount, applied to an EKS cluster or written as YAML for GitOps.
 *
 * @example
 * new KubernetesModelService(this, 'Iris', { model, image: ServingImage.fromAsset(), cluster });
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
  /** The name shared by the Kubernetes objects. */
  public readonly serviceName: string;
  /** The namespace of the Kubernetes objects. */
  public readonly namespace: string;
  /** The name of the pods' Kubernetes service account. */
  public readonly serviceAccountName: string;
  /** The in-cluster URL of the service, e.g. `http://modelfleet-iris.default.svc.cluster.local:80`. */
  public readonly url: string;
  /** The manifest applied to the cluster (with `cluster`). */
  public readonly manifest?: eks.KubernetesManifest;
  /** The service account with its IRSA role (with `cluster`). */
  public readonly serviceAccount?: eks.ServiceAccount;
  /** The IAM role of the pods: created with `cluster`, imported from `serviceAccountRoleArn` without. */
  public readonly role: iam.IRole;
  /** The file name of the YAML written into the cloud assembly (without `cluster`). */
  public readonly manifestFileName?: string;

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
    const threads = props.threads ?? (Token.isUnresolved(cpuLimit) ? undefined : Math.max(1, Math.floor(cpuLimit / 1000)));
    const servicePort = props.servicePort ?? 80;
    const runAsUser = props.runAsUser ?? 1000;
    this.namespace = props.namespace ?? 'default';
    this.serviceName = props.serviceName ?? defaultServiceName(model.name);
    this.serviceAccountName = props.serviceAccountName ?? this.serviceName;
    this.url = `http://${this.serviceName}.${this.namespace}.svc.cluster.local:${servicePort}`;

    if (threads === undefined) {
      Annotations.of(this).addWarningV2('modelfleet:kubernetesThreadsUnknown', 'cpuLimitMillicores is a token, so '
        + 'MODELFLEET_THREADS cannot follow it and the server will use one thread per host core; pass threads');
    }
    this.validate(props, {
      replicas, maxReplicas, cpuTarget, cpuRequest, cpuLimit, memoryRequest, memoryLimit, threads, servicePort, runAsUser,
    });

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

    // The service account and its role: created in the cluster (IRSA) or given as an ARN for GitOps.
    if (props.cluster) {
      this.serviceAccount = new eks.ServiceAccount(this, 'ServiceAccount', {
        cluster: props.cluster,
        name: this.serviceAccountName,
        namespace: this.namespace,
        labels,
        identityType: eks.IdentityType.IRSA,
      });
      this.role = this.serviceAccount.role;
    } else {
      this.role = iam.Role.fromRoleArn(this, 'ServiceAccountRole', props.serviceAccountRoleArn!);
    }
    const grant = model.grantRead(this.role);
    acknowledgeGrantWildcards(props.cluster ? this.serviceAccount! : this.role, grant,
      `The pods may only read this model version: the read actions of Bucket.grantRead on ${model.prefix}* of the model store.`);
    const imageUri = props.image.bind(this).imageUri;

    this.chart = new cdk8s.Chart(new cdk8s.App(), 'Chart', { namespace: this.namespace, labels, disableResourceNameHashes: true });
    const serviceAccount = props.cluster
      ? kplus.ServiceAccount.fromServiceAccountName(this.chart, 'ServiceAccountRef', this.serviceAccountName, { namespaceName: this.namespace })
      : new kplus.ServiceAccount(this.chart, 'ServiceAccount', {
        metadata: { name: this.serviceAccountName, annotations: { 'eks.amazonaws.com/role-arn': props.serviceAccountRoleArn! } },
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
      terminationGracePeriod: cdk8s.Duration.seconds(30),
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
      args: ['serve', '--model', `${MODEL_DIR}/model.onnx`, '--host', '0.0.0.0', '--port', '8080'],
      ports: [{ number: 8080, name: 'http' }],
      envVariables: threads === undefined ? {} : { MODELFLEET_THREADS: kplus.EnvValue.fromValue(String(threads)) },
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
    this.patchPodSpec(props, selectorLabels);

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
    }

    if (props.cluster) {
      this.manifest = new eks.KubernetesManifest(this, 'Manifest', {
        cluster: props.cluster,
        manifest: this.chart.toJson(),
      });
      this.manifest.node.addDependency(this.serviceAccount!);
      this.manifest.node.addDependency(model.upload);
      this.acknowledgeKubectlProvider(props.cluster);
    } else {
      this.manifestFileName = `${this.node.path.replace(/\//g, '-')}.k8s.yaml`;
      const fileName = this.manifestFileName;
      attachCustomSynthesis(this, {
        onSynthesize: (session) => this.writeManifest(path.join(session.outdir, fileName)),
      });
      Annotations.of(this).addInfo(`Kubernetes manifest written to ${fileName} in the cloud assembly`);
    }
  }

  /**
   * An imported cluster gets its kubectl provider (aws-eks's Lambda functions) in this stack, created for this
   * manifest: acknowledge the cdk-nag findings that come from aws-cdk-lib's own choices there.
   */
  private acknowledgeKubectlProvider(cluster: eks.ICluster): void {
    const provider = Stack.of(this).node.tryFindChild(`${Names.nodeUniqueId(cluster.node)}-KubectlProvider`);
    if (!provider) {
      return;
    }
    const validations = Validations.of(provider);
    const managed = (name: string) => `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`;
    for (const id of [managed('service-role/AWSLambdaBasicExecutionRole'), managed('AmazonEC2ContainerRegistryPullOnly'),
      'AwsSolutions-IAM4[Policy::{"Fn::If":["HandlerHasEcrPublic195AF58A",{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},'
        + '":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"]]},{"Ref":"AWS::NoValue"}]}]']) {
      validations.acknowledge({
        id,
        reason: 'aws-eks\'s kubectl provider: aws-cdk-lib attaches these AWS managed policies to its Lambda roles (logs, and '
          + 'pulling the kubectl layer image).',
      });
    }
    validations.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::<Handler886CB40B.Arn>:*]',
      reason: 'aws-eks\'s kubectl provider: the provider framework may invoke every version of its own handler function.',
    });
    validations.acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'aws-eks\'s kubectl provider: aws-cdk-lib pins the handler runtime that its kubectl layer supports.',
    });
  }

  /** Patches in what cdk8s-plus-27 cannot express (see docs/readme/kubernetes.md). */
  private patchPodSpec(props: KubernetesModelServiceProps, selectorLabels: Record<string, string>): void {
    const obj = cdk8s.ApiObject.of(this.deployment);
    const pod = '/spec/template/spec';
    // cdk8s's address label (`Chart-Deployment-<hash>`) is the same in every service's chart: selection uses ours.
    obj.addJsonPatch(cdk8s.JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'));
    // The Capability enum has no ALL and renders `drop: [null]`.
    obj.addJsonPatch(cdk8s.JsonPatch.add(`${pod}/initContainers/0/securityContext/capabilities`, { drop: ['ALL'] }));
    obj.addJsonPatch(cdk8s.JsonPatch.add(`${pod}/containers/0/securityContext/capabilities`, { drop: ['ALL'] }));
    obj.addJsonPatch(cdk8s.JsonPatch.add(`${pod}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }));
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

  /** Writes the chart as YAML, every token resolved, or throws listing the values only known at deployment. */
  private writeManifest(file: string): void {
    const { objects, unresolved } = resolveManifest(Stack.of(this), this.chart.toJson());
    if (unresolved.length > 0) {
      const fixes = new Set<string>();
      for (const where of unresolved) {
        if (/\.image$/.test(where)) {
          fixes.add('for the image, give the stack a concrete env (account and region) or use ServingImage.fromRegistry()');
        } else if (/\.command\[/.test(where) || /AWS_REGION/.test(where)) {
          fixes.add('for the model location, give the model store bucket a physical name and the stack a concrete env');
        } else if (/role-arn/.test(where)) {
          fixes.add('pass serviceAccountRoleArn as a literal ARN');
        } else {
          fixes.add('replace the token by a literal');
        }
      }
      throw new ModelFleetError('KubernetesManifestUnresolvedToken',
        `the YAML manifest for GitOps would hold values only known at deployment, at ${unresolved.join(', ')}; `
        + `${[...fixes].join('; ')} (or pass cluster to apply the chart with CloudFormation)`, this);
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, cdk8s.Yaml.stringify(...objects));
  }

  private validate(props: KubernetesModelServiceProps, v: {
    replicas: number; maxReplicas: number; cpuTarget: number; cpuRequest: number; cpuLimit: number;
    memoryRequest: Size; memoryLimit: Size; threads: number | undefined; servicePort: number; runAsUser: number;
  }): void {
    const issues: Array<{ code: string; message: string }> = [];
    const add = (code: string, message: string) => issues.push({ code, message });
    const known = (...values: number[]) => values.every((n) => !Token.isUnresolved(n));
    const integerAtLeast = (code: string, name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
      if (known(value) && (!Number.isInteger(value) || value < min || value > max)) {
        add(code, `${name} must be an integer between ${min} and ${max}, got ${value}; pass a value in range`);
      }
    };

    integerAtLeast('KubernetesReplicasOutOfRange', 'replicas', v.replicas, 1, 1000);
    integerAtLeast('KubernetesReplicasOutOfRange', 'autoscalingMaxReplicas', v.maxReplicas, 1, 1000);
    if (known(v.replicas, v.maxReplicas) && v.maxReplicas < v.replicas) {
      add('KubernetesAutoscalingMaxBelowMin',
        `autoscalingMaxReplicas (${v.maxReplicas}) must be at least replicas (${v.replicas}); raise autoscalingMaxReplicas`);
    }
    integerAtLeast('KubernetesCpuUtilizationOutOfRange', 'autoscalingCpuUtilization', v.cpuTarget, 1, 100);
    integerAtLeast('KubernetesCpuOutOfRange', 'cpuRequestMillicores', v.cpuRequest, 1);
    integerAtLeast('KubernetesCpuOutOfRange', 'cpuLimitMillicores', v.cpuLimit, 1);
    if (known(v.cpuRequest, v.cpuLimit) && v.cpuRequest > v.cpuLimit) {
      add('KubernetesRequestAboveLimit',
        `cpuRequestMillicores (${v.cpuRequest}) must not exceed cpuLimitMillicores (${v.cpuLimit}); lower the request or raise the limit`);
    }
    const mib = (name: string, size: Size): number | undefined => {
      const value = size.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
      if (Token.isUnresolved(value)) {
        return undefined;
      }
      if (!Number.isInteger(value) || value < 1) {
        add('KubernetesMemoryNotWholeMebibytes', `${name} must be a whole number of mebibytes (at least 1), got ${value} MiB; `
          + 'use Size.mebibytes() or Size.gibibytes()');
        return undefined;
      }
      return value;
    };
    const memRequest = mib('memoryRequest', v.memoryRequest);
    const memLimit = mib('memoryLimit', v.memoryLimit);
    if (memRequest !== undefined && memLimit !== undefined && memRequest > memLimit) {
      add('KubernetesRequestAboveLimit',
        `memoryRequest (${memRequest} MiB) must not exceed memoryLimit (${memLimit} MiB); lower the request or raise the limit`);
    }
    if (v.threads !== undefined) {
      integerAtLeast('KubernetesThreadsOutOfRange', 'threads', v.threads, 1, 256);
    }
    integerAtLeast('KubernetesPortOutOfRange', 'servicePort', v.servicePort, 1, 65535);
    integerAtLeast('KubernetesRunAsUserOutOfRange', 'runAsUser', v.runAsUser, 1, 2147483647);

    const name = (field: string, value: string, pattern: RegExp, what: string) => {
      if (!Token.isUnresolved(value) && !pattern.test(value)) {
        add('KubernetesNameInvalid', `${field} must be ${what}, got '${value}'; use lower-case letters, digits and '-'`);
      }
    };
    name('serviceName', this.serviceName, DNS_LABEL, 'a DNS label (at most 63 characters, starting with a letter)');
    name('namespace', this.namespace, DNS_LABEL, 'a DNS label (at most 63 characters, starting with a letter)');
    name('serviceAccountName', this.serviceAccountName, DNS_SUBDOMAIN, 'a DNS subdomain');
    const label = (field: string, key: string, value: string | undefined) => {
      if (!Token.isUnresolved(key) && !LABEL_KEY.test(key)) {
        add('KubernetesLabelInvalid', `${field} key must be a Kubernetes label key, got '${key}'; e.g. 'kubernetes.io/arch'`);
      }
      if (value !== undefined && !Token.isUnresolved(value) && !LABEL_VALUE.test(value)) {
        add('KubernetesLabelInvalid', `${field} value must be a Kubernetes label value (at most 63 characters), got '${value}'`);
      }
    };
    const model = props.model;
    if (!Token.isUnresolved(model.version) && !LABEL_VALUE.test(model.version)) {
      add('KubernetesLabelInvalid', `the model version must be a Kubernetes label value (at most 63 characters, starting and `
        + `ending with a letter or digit) for the modelfleet.io/model-version label, got '${model.version}'; add the model with `
        + 'a shorter version');
    }
    for (const l of props.nodeSelector ?? []) {
      label('nodeSelector', l.key, l.value);
    }
    for (const t of props.tolerations ?? []) {
      label('tolerations', t.key, t.value);
    }
    for (const p of props.networkPolicyIngressPeers ?? []) {
      if (p.namespaceName !== undefined) {
        name('networkPolicyIngressPeers namespace', p.namespaceName, DNS_LABEL, 'a DNS label');
      }
      if (p.labelKey !== undefined) {
        label('networkPolicyIngressPeers', p.labelKey, p.labelValue);
      }
    }
    if (props.networkPolicyEnabled === false && props.networkPolicyIngressPeers?.length) {
      add('KubernetesNetworkPolicyPeersWithoutPolicy',
        'networkPolicyIngressPeers is set but networkPolicyEnabled is false; drop the peers or enable the policy');
    }

    if (props.cluster && props.serviceAccountRoleArn !== undefined) {
      add('KubernetesRoleArnWithCluster', `serviceAccountRoleArn must not be set with cluster (the construct creates the IRSA role), `
        + `got '${props.serviceAccountRoleArn}'; drop serviceAccountRoleArn, or drop cluster to write YAML for GitOps`);
    }
    if (!props.cluster && props.serviceAccountRoleArn === undefined) {
      add('KubernetesRoleArnRequired', 'serviceAccountRoleArn is required without cluster (the YAML for GitOps annotates the service '
        + 'account with it for IRSA); pass the ARN of a role trusted by the cluster\'s OIDC provider, or pass cluster');
    }
    if (issues.length > 0) {
      // One error with the first code; every other problem on its own line, so all are fixed in one go.
      const [first, ...others] = issues;
      throw new ModelFleetError(first.code, [first.message, ...others.map((i) => `${i.code}: ${i.message}`)].join('\n'), this);
    }
  }
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

/** The model `emptyDir`'s size limit: twice the model (for the contract and copy slack), at least 128 MiB. */
function modelVolumeMebibytes(sizeBytes: number): number {
  if (Token.isUnresolved(sizeBytes) || !Number.isFinite(sizeBytes)) {
    return 1024;
  }
  return Math.max(128, Math.ceil((2 * sizeBytes) / (1024 * 1024)));
}

function toCdk8sSize(size: Size): cdk8s.Size {
  return cdk8s.Size.mebibytes(size.toMebibytes({ rounding: SizeRoundingBehavior.NONE }));
}
