import * as fs from 'fs';
import * as path from 'path';
import { App, CfnParameter, CfnResource, CfnWaitConditionHandle, Duration, Fn, Lazy, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseAllDocuments } from 'yaml';
import {
  IngressPeer, KubernetesModelService, KubernetesModelServiceProps, TolerationEffect,
} from '../../../constructs/kubernetes';
import { ModelContract } from '../../../constructs/model';
import { StoredModel } from '../../../constructs/model-store';
import { KUBECTL_PROVIDER_ACKNOWLEDGEMENTS } from '../../../constructs/kubernetes/private/acknowledge';
import { ServingImage } from '../../../constructs/serving-image';
import { LogLevel } from '../../../constructs/core';
import { modelFleetErrorOf } from '../../helpers/construct-errors';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const IMAGE = '111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelfleet:1.0.0';
const ROLE_ARN = 'arn:aws:iam::111111111111:role/iris-reader';
const OIDC_ISSUER = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const OIDC_ARN = `arn:aws:iam::111111111111:oidc-provider/${OIDC_ISSUER}`;
const VERSION = '3f2a9c1b7d4e';

type KubeObject = {
  apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>;
    annotations?: Record<string, string> }; spec?: Record<string, unknown>;
};
/** A rendered manifest, read by path in the tests. */
interface Json { readonly [key: string]: Json }

/** Validators for every kind the chart may hold, from the Kubernetes OpenAPI schemas (kubernetes-models). */
type Validator = (obj: unknown) => void;
const schema = <T>(Model: new (data: T) => { validate(): void }): Validator => (obj) => new Model(obj as T).validate();
const SCHEMAS: Record<string, Validator> = {
  'apps/v1/Deployment': schema(Deployment),
  'v1/Service': schema(Service),
  'v1/ServiceAccount': schema(ServiceAccount),
  'autoscaling/v2/HorizontalPodAutoscaler': schema(HorizontalPodAutoscaler),
  'policy/v1/PodDisruptionBudget': schema(PodDisruptionBudget),
  'networking.k8s.io/v1/NetworkPolicy': schema(NetworkPolicy),
};

function validateAll(objects: KubeObject[]): void {
  for (const obj of objects) {
    const validate = SCHEMAS[`${obj.apiVersion}/${obj.kind}`];
    expect(validate).toBeDefined();
    validate(obj);
  }
}

function storedModel(stack: Stack, bucket?: s3.IBucket): StoredModel {
  return new StoredModel({
    name: 'iris',
    version: VERSION,
    bucket: bucket ?? s3.Bucket.fromBucketName(stack, 'Store', 'modelfleet-store'),
    sha256: `${VERSION}${'0'.repeat(52)}`,
    sizeBytes: 3 * 1024 * 1024,
    contract: ModelContract.of({
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
    }),
    upload: new CfnWaitConditionHandle(stack, 'Upload'),
  });
}

/** A GitOps service (no cluster) in a stack with a concrete env. */
function gitOps(props: Partial<KubernetesModelServiceProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Serving', { env: ENV });
  const service = new KubernetesModelService(stack, 'Iris', {
    model: storedModel(stack),
    image: ServingImage.fromRegistry(IMAGE),
    serviceAccountRole: podRole(stack),
    ...props,
  });
  const objects = Testing.synth(service.chart) as KubeObject[];
  const of = (kind: string): Json => {
    const found = objects.filter((o) => o.kind === kind);
    expect(found).toHaveLength(1);
    return found[0] as unknown as Json;
  };
  return { app, stack, service, objects, of, pod: () => of('Deployment').spec.template.spec as Json };
}

function importedCluster(stack: Stack): eks.ICluster {
  return eks.Cluster.fromClusterAttributes(stack, 'Cluster', {
    clusterName: 'fleet',
    kubectlRoleArn: 'arn:aws:iam::111111111111:role/fleet-kubectl',
    openIdConnectProvider: iam.OpenIdConnectProvider.fromOpenIdConnectProviderArn(stack, 'Oidc', OIDC_ARN),
  });
}

function importedOidcProvider(scope: Stack): iam.IOpenIdConnectProvider {
  return iam.OpenIdConnectProvider.fromOpenIdConnectProviderArn(scope, 'Oidc', OIDC_ARN);
}

const errorOf = modelFleetErrorOf;

/** The cdk-nag AwsSolutions findings left in `stack` (after the acknowledgements), by finding id and construct path. */
function nagFindings(app: App, stack: Stack): Array<{ id: string; path: string }> {
  const report = new AwsSolutionsChecks(app).validateScope(stack);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '' })));
}

/** The pods' role, given by the user for GitOps: an existing role, imported by its ARN. */
function podRole(scope: Construct): iam.IRole {
  return iam.Role.fromRoleArn(scope, 'PodRole', ROLE_ARN);
}

describe('KubernetesModelService', () => {
  describe('Deployment', () => {
    test('runs the serving image with `serve --model /models/model.onnx` on 0.0.0.0:8080', () => {
      const server = gitOps().pod().containers[0];
      expect(server.name).toBe('server');
      expect(server.image).toBe(IMAGE);
      expect(server.imagePullPolicy).toBe('IfNotPresent');
      expect(server.args).toEqual(['serve', '--model', '/models/model.onnx', '--host', '0.0.0.0', '--port', '8080',
        '--drain-timeout-ms', '25000']);
      expect(server.ports).toEqual([{ containerPort: 8080, name: 'http' }]);
    });

    test('copies this model version into an emptyDir in an init container, mounted read-only into the server', () => {
      const { pod } = gitOps();
      const spec = pod();
      expect(spec.initContainers).toHaveLength(1);
      const fetch = spec.initContainers[0];
      expect(fetch.image).toBe('public.ecr.aws/aws-cli/aws-cli:2.22.0');
      expect(fetch.command).toEqual([
        'aws', 's3', 'cp', '--recursive', '--only-show-errors',
        '--exclude', '*', '--include', 'model.onnx', '--include', 'contract.json',
        `s3://modelfleet-store/models/iris/${VERSION}/`, '/models/',
      ]);
      expect(fetch.env).toEqual([{ name: 'HOME', value: '/tmp' }, { name: 'AWS_REGION', value: 'eu-west-1' }]);
      expect(fetch.volumeMounts).toEqual([{ mountPath: '/models', name: 'model' }, { mountPath: '/tmp', name: 'tmp' }]);
      expect(spec.containers[0].volumeMounts).toEqual([
        { mountPath: '/models', name: 'model', readOnly: true },
        { mountPath: '/tmp', name: 'tmp' },
      ]);
      // twice the 3 MiB model, at least 128 MiB
      expect(spec.volumes).toEqual([
        { name: 'model', emptyDir: { sizeLimit: '128Mi' } },
        { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
      ]);
    });

    test('sizes the model volume from the model', () => {
      const app = new App();
      const stack = new Stack(app, 'Serving', { env: ENV });
      const base = storedModel(stack);
      const model = new StoredModel({ ...base, sizeBytes: 300 * 1024 * 1024, upload: base.upload });
      const service = new KubernetesModelService(stack, 'Iris', {
        model, image: ServingImage.fromRegistry(IMAGE), serviceAccountRole: podRole(stack),
      });
      const deployment = Testing.synth(service.chart).find((o) => o.kind === 'Deployment');
      expect(deployment.spec.template.spec.volumes[0]).toEqual({ name: 'model', emptyDir: { sizeLimit: '600Mi' } });
    });

    test('probes startup and liveness on /v2/health/live and readiness on /v2/health/ready', () => {
      const server = gitOps().pod().containers[0];
      expect(server.startupProbe).toEqual({
        httpGet: { path: '/v2/health/live', port: 8080, scheme: 'HTTP' },
        periodSeconds: 2, failureThreshold: 60, timeoutSeconds: 2,
      });
      expect(server.livenessProbe).toEqual({
        httpGet: { path: '/v2/health/live', port: 8080, scheme: 'HTTP' },
        periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2,
      });
      expect(server.readinessProbe).toEqual({
        httpGet: { path: '/v2/health/ready', port: 8080, scheme: 'HTTP' },
        periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2,
      });
    });

    test('requests 500m CPU and 512Mi, limits 1 CPU and 1Gi, and runs one inference thread by default', () => {
      const server = gitOps().pod().containers[0];
      expect(server.resources).toEqual({
        requests: { cpu: '500m', memory: '512Mi' },
        limits: { cpu: '1000m', memory: '1024Mi' },
      });
      expect(server.env).toEqual([{ name: 'MODELFLEET_THREADS', value: '1' }]);
    });

    test('takes requests and limits from props and the thread count from the CPU limit', () => {
      const server = gitOps({
        cpuRequestMillicores: 1500, cpuLimitMillicores: 2500, memoryRequest: Size.gibibytes(2), memoryLimit: Size.gibibytes(3),
      }).pod().containers[0];
      expect(server.resources).toEqual({
        requests: { cpu: '1500m', memory: '2048Mi' },
        limits: { cpu: '2500m', memory: '3072Mi' },
      });
      expect(server.env).toEqual([{ name: 'MODELFLEET_THREADS', value: '2' }]);
    });

    test('uses the given thread count', () => {
      const server = gitOps({ threads: 3 }).pod().containers[0];
      expect(server.env).toEqual([{ name: 'MODELFLEET_THREADS', value: '3' }]);
    });

    test('follows the CPU limit with at most the runtime\'s 256 threads', () => {
      const server = gitOps({ cpuRequestMillicores: 1000, cpuLimitMillicores: 300_000 }).pod().containers[0];
      expect(server.env).toEqual([{ name: 'MODELFLEET_THREADS', value: '256' }]);
    });

    test('passes every runtime setting given as its MODELFLEET_* variable, in the runtime\'s units', () => {
      const { pod, objects } = gitOps({
        cpuLimitMillicores: 4000, workers: 2, maxBatch: 16, batchDelay: Duration.millis(5), maxQueue: 128,
        maxBodySize: Size.mebibytes(8), logLevel: LogLevel.WARN,
      });
      expect(pod().containers[0].env).toEqual([
        { name: 'MODELFLEET_THREADS', value: '4' },
        { name: 'MODELFLEET_WORKERS', value: '2' },
        { name: 'MODELFLEET_MAX_BATCH', value: '16' },
        { name: 'MODELFLEET_BATCH_DELAY_MS', value: '5' },
        { name: 'MODELFLEET_MAX_QUEUE', value: '128' },
        { name: 'MODELFLEET_MAX_BODY_MB', value: '8' },
        { name: 'MODELFLEET_LOG_LEVEL', value: 'warn' },
      ]);
      validateAll(objects);
    });

    test('skips tokenized runtime settings and passes them at deployment', () => {
      const stack = new Stack(new App(), 'Serving');
      const service = new KubernetesModelService(stack, 'Iris', {
        model: storedModel(stack),
        image: ServingImage.fromRegistry(IMAGE),
        cluster: importedCluster(stack),
        maxBatch: Token.asNumber(new CfnParameter(stack, 'MaxBatch', { type: 'Number' })),
      });
      const env = Testing.synth(service.chart).find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].env;
      expect(env.map((e: { name: string }) => e.name)).toEqual(['MODELFLEET_THREADS', 'MODELFLEET_MAX_BATCH']);
      // a string in the applied manifest, as Kubernetes wants env values
      expect(JSON.stringify(Template.fromStack(stack).toJSON()))
        .toContain('{\\"name\\":\\"MODELFLEET_MAX_BATCH\\",\\"value\\":\\"",{"Ref":"MaxBatch"},"\\"}');
    });

    test('runs the runtime\'s own non-root image when no image is given, one asset for every service of a stack', () => {
      const app = new App();
      const stack = new Stack(app, 'Serving', { env: ENV });
      const model = storedModel(stack);
      const serviceAccountRole = podRole(stack);
      const a = new KubernetesModelService(stack, 'A', { model, serviceAccountRole, serviceName: 'iris-a' });
      new KubernetesModelService(stack, 'B', { model, serviceAccountRole, serviceName: 'iris-b' });
      const assets = stack.node.findAll().filter((c): c is ecrAssets.DockerImageAsset => c instanceof ecrAssets.DockerImageAsset);
      expect(assets).toHaveLength(1);
      const image = Testing.synth(a.chart).find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].image;
      expect(stack.resolve(image)).toEqual(stack.resolve(assets[0].imageUri));
      const manifest = JSON.parse(fs.readFileSync(path.join(app.synth().directory, 'Serving.assets.json'), 'utf8'));
      expect(Object.values<{ source: { dockerBuildTarget?: string } }>(manifest.dockerImages).map((d) => d.source.dockerBuildTarget))
        .toEqual(['runtime']);
    });

    test('runs every container restricted: uid 1000, non-root, read-only root, no escalation, ALL dropped, RuntimeDefault', () => {
      const spec = gitOps().pod();
      expect(spec.securityContext).toEqual({
        runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, fsGroupChangePolicy: 'Always',
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(Object.keys(spec.initContainers)).toHaveLength(1);
      expect(Object.keys(spec.containers)).toHaveLength(1);
      for (const container of [spec.initContainers[0], spec.containers[0]]) {
        expect(container.securityContext).toEqual({
          runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, privileged: false,
          readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] },
        });
      }
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.serviceAccountName).toBe('modelfleet-iris');
    });

    test('runs as the given uid', () => {
      const spec = gitOps({ runAsUser: 10001 }).pod();
      expect(spec.securityContext.runAsUser).toBe(10001);
      expect(spec.containers[0].securityContext.runAsUser).toBe(10001);
      expect(spec.initContainers[0].securityContext.runAsUser).toBe(10001);
    });

    test('annotates the pods for a Prometheus scrape of /metrics on 8080', () => {
      const { of } = gitOps();
      expect(of('Deployment').spec.template.metadata.annotations).toEqual({
        'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'prometheus.io/path': '/metrics',
      });
      expect(gitOps({ prometheusScrape: false }).of('Deployment').spec.template.metadata.annotations).toBeUndefined();
    });

    test('spreads the pods across hostnames and zones without blocking scheduling', () => {
      const spec = gitOps().pod();
      const selector = { matchLabels: { 'app.kubernetes.io/name': 'modelfleet', 'app.kubernetes.io/instance': 'modelfleet-iris' } };
      expect(spec.topologySpreadConstraints).toEqual([
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector },
        { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector },
      ]);
      expect(spec.affinity).toBeUndefined();
    });

    test('places the pods with the given node selector and tolerations', () => {
      const spec = gitOps({
        nodeSelector: [{ key: 'kubernetes.io/arch', value: 'arm64' }, { key: 'karpenter.sh/nodepool', value: 'inference' }],
        tolerations: [
          { key: 'nvidia.com/gpu', effect: TolerationEffect.NO_SCHEDULE },
          { key: 'dedicated', value: 'inference', effect: TolerationEffect.NO_EXECUTE },
          { key: 'spot' },
        ],
      }).pod();
      expect(spec.nodeSelector).toEqual({ 'kubernetes.io/arch': 'arm64', 'karpenter.sh/nodepool': 'inference' });
      expect(spec.tolerations).toEqual([
        { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'dedicated', operator: 'Equal', value: 'inference', effect: 'NoExecute' },
        { key: 'spot', operator: 'Exists' },
      ]);
    });

    test('places the pods on any node by default', () => {
      const spec = gitOps().pod();
      expect(spec.nodeSelector).toBeUndefined();
      expect(spec.tolerations).toBeUndefined();
    });

    test('rolls out one extra pod at a time and leaves the replica count to the autoscaler', () => {
      const { of } = gitOps();
      const deployment = of('Deployment');
      expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
      expect(deployment.spec.replicas).toBeUndefined();
      expect(deployment.spec.selector).toEqual({
        matchLabels: { 'app.kubernetes.io/name': 'modelfleet', 'app.kubernetes.io/instance': 'modelfleet-iris' },
      });
      expect(deployment.spec.template.metadata.labels).toEqual({
        'app.kubernetes.io/name': 'modelfleet', 'app.kubernetes.io/instance': 'modelfleet-iris',
        'app.kubernetes.io/component': 'model-server', 'modelfleet.io/model': 'iris', 'modelfleet.io/model-version': VERSION,
      });
    });
  });

  describe('Service, autoscaler, budget and policy', () => {
    test('exposes port 80 to the server port 8080 on a ClusterIP Service', () => {
      const { of, service } = gitOps();
      expect(of('Service').spec).toEqual({
        type: 'ClusterIP',
        externalIPs: [],
        ports: [{ name: 'http', port: 80, targetPort: 8080 }],
        selector: { 'app.kubernetes.io/name': 'modelfleet', 'app.kubernetes.io/instance': 'modelfleet-iris' },
      });
      expect(service.url).toBe('http://modelfleet-iris.default.svc.cluster.local:80');
    });

    test('names every object after the service in the given namespace', () => {
      const { objects, service } = gitOps({ serviceName: 'iris-prod', namespaceName: 'ml', servicePort: 8080 });
      expect(objects.map((o) => [o.kind, o.metadata.name, o.metadata.namespace])).toEqual([
        ['ServiceAccount', 'iris-prod', 'ml'],
        ['Deployment', 'iris-prod', 'ml'],
        ['Service', 'iris-prod', 'ml'],
        ['HorizontalPodAutoscaler', 'iris-prod', 'ml'],
        ['PodDisruptionBudget', 'iris-prod', 'ml'],
        ['NetworkPolicy', 'iris-prod', 'ml'],
      ]);
      expect(service.url).toBe('http://iris-prod.ml.svc.cluster.local:8080');
    });

    test('scales between replicas and 4 times replicas on 70% CPU by default', () => {
      const hpa = gitOps().of('HorizontalPodAutoscaler');
      expect(hpa.spec).toMatchObject({
        minReplicas: 2,
        maxReplicas: 8,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'modelfleet-iris' },
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      });
    });

    test('scales with the given bounds and CPU target', () => {
      const hpa = gitOps({ replicas: 3, autoscalingMaxReplicas: 12, autoscalingCpuUtilization: 55 }).of('HorizontalPodAutoscaler');
      expect(hpa.spec.minReplicas).toBe(3);
      expect(hpa.spec.maxReplicas).toBe(12);
      expect(hpa.spec.metrics[0].resource.target.averageUtilization).toBe(55);
    });

    test('keeps all but one pod through voluntary disruptions when there is more than one replica', () => {
      const { of, service } = gitOps();
      expect(of('PodDisruptionBudget').spec).toEqual({
        maxUnavailable: 1,
        selector: { matchLabels: { 'app.kubernetes.io/name': 'modelfleet', 'app.kubernetes.io/instance': 'modelfleet-iris' } },
      });
      expect(service.podDisruptionBudget).toBeDefined();
    });

    test('creates no disruption budget for a single replica', () => {
      const { objects, service } = gitOps({ replicas: 1 });
      expect(objects.map((o) => o.kind)).not.toContain('PodDisruptionBudget');
      expect(service.podDisruptionBudget).toBeUndefined();
    });

    test('admits only pods of the same namespace on port 8080 by default', () => {
      const policy = gitOps().of('NetworkPolicy');
      expect(policy.spec).toEqual({
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'modelfleet', 'app.kubernetes.io/instance': 'modelfleet-iris' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 8080, protocol: 'TCP' }] }],
      });
    });

    test('admits only the given namespaces and labelled pods', () => {
      const policy = gitOps({
        networkPolicyIngressPeers: [
          IngressPeer.podsInNamespace('monitoring'),
          IngressPeer.podsWithLabel('app', 'web'),
          IngressPeer.podsWithLabelInNamespace('gateway', 'app.kubernetes.io/name', 'envoy'),
        ],
      }).of('NetworkPolicy');
      const port = [{ port: 8080, protocol: 'TCP' }];
      expect(policy.spec.ingress).toEqual([
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: {} }], ports: port },
        { from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: port },
        {
          from: [{
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateway' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'envoy' } },
          }],
          ports: port,
        },
      ]);
    });

    test('creates no NetworkPolicy when disabled', () => {
      const { objects, service } = gitOps({ networkPolicyEnabled: false });
      expect(objects.map((o) => o.kind)).not.toContain('NetworkPolicy');
      expect(service.networkPolicy).toBeUndefined();
    });

    test('two services in one namespace select only their own pods', () => {
      const app = new App();
      const stack = new Stack(app, 'Serving', { env: ENV });
      const model = storedModel(stack);
      const image = ServingImage.fromRegistry(IMAGE);
      const serviceAccountRole = podRole(stack);
      const a = new KubernetesModelService(stack, 'A', { model, image, serviceAccountRole, serviceName: 'iris-a' });
      const b = new KubernetesModelService(stack, 'B', { model, image, serviceAccountRole, serviceName: 'iris-b' });
      const selectorOf = (s: KubernetesModelService) => Testing.synth(s.chart).find((o) => o.kind === 'Service').spec.selector;
      expect(selectorOf(a)).not.toEqual(selectorOf(b));
      expect(selectorOf(a)['app.kubernetes.io/instance']).toBe('iris-a');
    });
  });

  describe('schemas', () => {
    test('every manifest is valid against the Kubernetes API schemas, with defaults and with every option', () => {
      validateAll(gitOps().objects);
      validateAll(gitOps({
        namespaceName: 'ml', serviceName: 'iris-prod', replicas: 3, autoscalingMaxReplicas: 9, autoscalingCpuUtilization: 60,
        cpuRequestMillicores: 250, cpuLimitMillicores: 2000, memoryRequest: Size.mebibytes(256), memoryLimit: Size.gibibytes(2),
        networkPolicyIngressPeers: [IngressPeer.podsInNamespace('monitoring'), IngressPeer.podsWithLabel('app', 'web')],
        nodeSelector: [{ key: 'kubernetes.io/arch', value: 'arm64' }],
        tolerations: [{ key: 'nvidia.com/gpu', effect: TolerationEffect.NO_SCHEDULE }],
        prometheusScrape: false,
      }).objects);
    });

    test('the schema check rejects the capabilities cdk8s-plus-27 renders for an enum drop ([null])', () => {
      const { service } = gitOps();
      ApiObject.of(service.deployment).addJsonPatch(
        JsonPatch.replace('/spec/template/spec/containers/0/securityContext/capabilities', { drop: [null] }));
      const deployment = Testing.synth(service.chart).find((o) => o.kind === 'Deployment');
      expect(() => SCHEMAS['apps/v1/Deployment'](deployment)).toThrow(/capabilities/);
    });

    test('renders the default chart as recorded', () => {
      expect(gitOps().objects).toMatchSnapshot();
    });
  });

  describe('with a cluster', () => {
    let app: App;
    let template: Template;
    let service: KubernetesModelService;
    let stack: Stack;
    let gitOpsStack: Stack;
    beforeAll(() => {
      // One app, synthesized once: a cluster service, and in a second stack two GitOps services, one with the role it
      // creates for an OIDC provider, one with a role the user gives.
      app = new App();
      stack = new Stack(app, 'Serving');
      const bucket = new s3.Bucket(stack, 'Store', { enforceSSL: true });
      Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: 'A test fixture standing in for the model store.' });
      service = new KubernetesModelService(stack, 'Iris', {
        model: storedModel(stack, bucket),
        image: ServingImage.fromRegistry(IMAGE),
        cluster: importedCluster(stack),
      });
      gitOpsStack = new Stack(app, 'GitOps', { env: ENV });
      const model = storedModel(gitOpsStack);
      new KubernetesModelService(gitOpsStack, 'Iris', {
        model, image: ServingImage.fromRegistry(IMAGE), serviceAccountRole: podRole(gitOpsStack),
      });
      new KubernetesModelService(gitOpsStack, 'IrisOidc', {
        model, image: ServingImage.fromRegistry(IMAGE), openIdConnectProvider: importedOidcProvider(gitOpsStack),
        serviceName: 'iris-oidc',
      });
      template = Template.fromJSON(app.synth().getStackByName('Serving').template);
    });

    test('leaves no cdk-nag finding, the kubectl provider aws-eks made for its manifests included', () => {
      // The provider is a stack-root singleton aws-eks creates for the service's manifests: the service acknowledges
      // it through core's acknowledge(), whose list of CDK singletons has it.
      expect(nagFindings(app, stack)).toEqual([]);
    });

    test('leaves the findings of a kubectl provider that the user\'s own manifest made aws-eks create', () => {
      const other = new App();
      const own = new Stack(other, 'Serving');
      const bucket = new s3.Bucket(own, 'Store', { enforceSSL: true });
      Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: 'A test fixture standing in for the model store.' });
      const cluster = importedCluster(own);
      cluster.addManifest('Mine', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mine' } });
      new KubernetesModelService(own, 'Iris', { model: storedModel(own, bucket), image: ServingImage.fromRegistry(IMAGE), cluster });
      other.synth();
      const findings = nagFindings(other, own);
      expect([...new Set(findings.map((f) => f.id))].sort()).toEqual(KUBECTL_PROVIDER_ACKNOWLEDGEMENTS.map((a) => a.id).sort());
      expect(findings.every((f) => f.path.includes('-KubectlProvider/'))).toBe(true);
    });

    test('acknowledges the wildcards of the pods\' role it creates, and none of a role the user gives', () => {
      expect(nagFindings(app, gitOpsStack)).toEqual([{
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::modelfleet-store/models/iris/${VERSION}/*]`,
        path: 'GitOps/PodRole/Policy/Resource',
      }]);
    });

    /** The chart's objects as applied, with CloudFormation intrinsics written as `@Ref(...)`-style strings. */
    function appliedChart(): KubeObject[] {
      const manifest = template.findResources('Custom::AWSCDK-EKS-KubernetesResource', {
        Properties: { Manifest: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('"kind":"Deployment"')])] } },
      });
      expect(Object.keys(manifest)).toHaveLength(1);
      const parts: unknown[] = Object.values(manifest)[0].Properties.Manifest['Fn::Join'][1];
      const text = parts.map((p) => {
        if (typeof p === 'string') return p;
        const intrinsic = p as { Ref?: string; 'Fn::GetAtt'?: string[] };
        if (intrinsic.Ref) return `@Ref(${intrinsic.Ref})`;
        if (intrinsic['Fn::GetAtt']) return `@GetAtt(${intrinsic['Fn::GetAtt'].join('.')})`;
        return `@${JSON.stringify(intrinsic).replace(/"/g, '\'')}`;
      }).join('');
      return JSON.parse(text) as KubeObject[];
    }

    test('applies the chart with one KubernetesResource after the service account and the model upload', () => {
      template.resourceCountIs('Custom::AWSCDK-EKS-KubernetesResource', 2);
      const [id] = Object.keys(template.findResources('Custom::AWSCDK-EKS-KubernetesResource', {
        Properties: { Manifest: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('"kind":"Deployment"')])] } },
      }));
      const resource = template.toJSON().Resources[id];
      expect(resource.Properties.ClusterName).toBe('fleet');
      expect(resource.Properties.RoleArn).toBe('arn:aws:iam::111111111111:role/fleet-kubectl');
      expect(resource.DependsOn).toEqual(expect.arrayContaining([
        expect.stringMatching(/^IrisServiceAccountmanifestServiceAccount/), 'Upload',
      ]));
    });

    test('keeps the logical id of the applied chart', () => {
      expect(stack.getLogicalId(service.manifest!.node.findChild('Resource').node.defaultChild as never)).toBe('IrisManifest40FB54EE');
    });

    test('applies every object but the service account, which the cluster construct creates, with deploy-time values', () => {
      const objects = appliedChart();
      expect(objects.map((o) => o.kind)).toEqual(
        ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy']);
      const pod = (objects[0] as unknown as Json).spec.template.spec;
      expect(pod.serviceAccountName).toBe('modelfleet-iris');
      expect(pod.initContainers[0].command).toContain(`s3://@Ref(${stack.getLogicalId(
        stack.node.findChild('Store').node.defaultChild as never)})/models/iris/${VERSION}/`);
      expect(pod.initContainers[0].env).toContainEqual({ name: 'AWS_REGION', value: '@Ref(AWS::Region)' });
      validateAll(objects);
    });

    test('creates the IRSA role trusted by the cluster OIDC provider for this service account only', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [{
            Action: 'sts:AssumeRoleWithWebIdentity',
            Effect: 'Allow',
            Principal: { Federated: OIDC_ARN },
            Condition: { StringEquals: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IrisServiceAccountConditionJson'), 'Value'] } },
          }],
        },
      });
      template.hasResourceProperties('Custom::AWSCDKCfnJson', {
        Value: JSON.stringify({
          [`${OIDC_ISSUER}:aud`]: 'sts.amazonaws.com',
          [`${OIDC_ISSUER}:sub`]: 'system:serviceaccount:default:modelfleet-iris',
        }),
      });
    });

    test('annotates the service account with the role', () => {
      template.hasResourceProperties('Custom::AWSCDK-EKS-KubernetesResource', {
        Manifest: { 'Fn::Join': ['', Match.arrayWith([
          Match.stringLikeRegexp('"kind":"ServiceAccount".*"name":"modelfleet-iris","namespace":"default"'),
          { 'Fn::GetAtt': [stack.getLogicalId(service.role!.node.defaultChild as never), 'Arn'] },
        ])] },
      });
    });

    test('grants the role read access to this model version only', () => {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: stack.getLogicalId(service.role!.node.defaultChild as never) }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Action: 's3:GetObject',
            Resource: {
              'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Store'), 'Arn'] }, `/models/iris/${VERSION}/*`]],
            },
          })]),
        },
      });
    });

    test('writes no YAML file', () => {
      expect(service.manifestFileName).toBeUndefined();
    });
  });

  describe('without a cluster (GitOps)', () => {
    test('writes the chart as YAML into the cloud assembly, every value resolved', () => {
      const { app, service, objects } = gitOps();
      const assembly = app.synth();
      expect(service.manifestFileName).toBe('Serving-Iris.k8s.yaml');
      const file = path.join(assembly.directory, service.manifestFileName!);
      const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS());
      expect(docs).toEqual(objects);
      expect(docs.map((d) => d.kind)).toEqual(
        ['ServiceAccount', 'Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy']);
      validateAll(docs);
    });

    test('annotates the service account with the given role for IRSA and grants that role read access', () => {
      const { of, stack } = gitOps();
      const account = of('ServiceAccount');
      expect(account.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': ROLE_ARN });
      expect(account.automountServiceAccountToken).toBe(false);
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        Roles: ['iris-reader'],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Action: 's3:GetObject',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::modelfleet-store/models/iris/${VERSION}/*`]] },
          })]),
        },
      });
    });

    test('writes the ARN of a given role defined in the app with a name, known at synth, and grants it read access', () => {
      const app = new App();
      const stack = new Stack(app, 'Serving', { env: ENV });
      const role = new iam.Role(stack, 'Pods', {
        roleName: 'iris-pods', path: '/ml/', assumedBy: new iam.OpenIdConnectPrincipal(importedOidcProvider(stack)),
      });
      const service = new KubernetesModelService(stack, 'Iris', {
        model: storedModel(stack), image: ServingImage.fromRegistry(IMAGE), serviceAccountRole: role,
      });
      const assembly = app.synth();
      expect(service.role).toBe(role);
      expect(fs.readFileSync(path.join(assembly.directory, service.manifestFileName!), 'utf8'))
        .toContain('eks.amazonaws.com/role-arn: arn:aws:iam::111111111111:role/ml/iris-pods\n');
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as never) }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject' })]) },
      });
    });

    test('resolves an asset image URI in a stack with a concrete env', () => {
      const { app, service } = gitOps({ image: ServingImage.fromAsset() });
      const assembly = app.synth();
      const docs = parseAllDocuments(fs.readFileSync(path.join(assembly.directory, service.manifestFileName!), 'utf8'))
        .map((d) => d.toJS());
      const deployment = docs.find((d) => d.kind === 'Deployment');
      expect(deployment.spec.template.spec.containers[0].image).toMatch(
        /^111111111111\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/cdk-hnb659fds-container-assets-111111111111-eu-west-1:[0-9a-f]{64}$/);
    });

    test('writes the physical name of a store bucket defined in the app', () => {
      const app = new App();
      const stack = new Stack(app, 'Serving', { env: ENV });
      const service = new KubernetesModelService(stack, 'Iris', {
        model: storedModel(stack, new s3.Bucket(stack, 'Store', { bucketName: 'acme-models' })),
        image: ServingImage.fromRegistry(IMAGE),
        serviceAccountRole: podRole(stack),
      });
      const assembly = app.synth();
      const yaml = fs.readFileSync(path.join(assembly.directory, service.manifestFileName!), 'utf8');
      expect(yaml).toContain(`- s3://acme-models/models/iris/${VERSION}/\n`);
    });

    test('fails when a value is changed to a deploy-time token after the construct was created', () => {
      const { app, stack, service } = gitOps();
      ApiObject.of(service.deployment).addJsonPatch(JsonPatch.replace('/spec/template/spec/containers/0/image',
        new CfnParameter(stack, 'Image').valueAsString));
      const error = errorOf(() => app.synth());
      expect(error.code).toBe('KubernetesManifestUnresolvedToken');
      expect(error.message).toContain('Deployment/modelfleet-iris: spec.template.spec.containers[0].image');
      expect(error.message).toContain('use ServingImage.fromRegistry()');
      expect(error.constructPath).toBe('Serving/Iris');
    });

    test('annotates the service account with the role it creates for the given OIDC provider, known at synth', () => {
      const { app, stack, service, of } = gitOps({
        serviceAccountRole: undefined, openIdConnectProvider: importedOidcProvider(new Stack()),
      });
      const roleName = Template.fromStack(stack).findResources('AWS::IAM::Role');
      expect(Object.values(roleName).map((r) => r.Properties.RoleName)).toEqual(['ServingIris3F709C0E-eu-west-1']);
      expect(of('ServiceAccount').metadata.annotations['eks.amazonaws.com/role-arn']).toMatch(/:role\/ServingIris3F709C0E-eu-west-1$/);
      const assembly = app.synth();
      expect(fs.readFileSync(path.join(assembly.directory, service.manifestFileName!), 'utf8'))
        .toContain('eks.amazonaws.com/role-arn: arn:aws:iam::111111111111:role/ServingIris3F709C0E-eu-west-1\n');
      expect(service.manifestPublication).toBeUndefined();
    });
  });

  describe('without a cluster, in an env-agnostic stack (an asset image, a generated bucket, a created role)', () => {
    let app: App;
    let stack: Stack;
    let service: KubernetesModelService;
    let template: Template;
    let assemblyDir: string;
    let nagFailure: unknown;
    beforeAll(() => {
      app = new App();
      stack = new Stack(app, 'Serving');
      const bucket = new s3.Bucket(stack, 'Store', { enforceSSL: true });
      Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: 'A test fixture standing in for the model store.' });
      service = new KubernetesModelService(stack, 'Iris', {
        model: storedModel(stack, bucket),
        image: ServingImage.fromAsset(),
        openIdConnectProvider: importedOidcProvider(stack),
      });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      try {
        const assembly = app.synth();
        assemblyDir = assembly.directory;
        template = Template.fromJSON(assembly.getStackByName('Serving').template);
      } catch (e) {
        nagFailure = e;
      }
    });

    /** The staged YAML of the publication, each marker replaced the way the BucketDeployment function does. */
    function publishedYaml(values: Record<string, string>): { key: string; text: string }[] {
      const [deployment] = Object.values(template.findResources('Custom::CDKBucketDeployment'));
      const props = deployment.Properties;
      return props.SourceObjectKeys.map((zip: string, i: number) => {
        expect(props.SourceMarkersConfig[i]).toEqual({ jsonEscape: true });
        const dir = path.join(assemblyDir, `asset.${zip.replace(/\.zip$/, '')}`);
        const [key] = fs.readdirSync(dir);
        let text = fs.readFileSync(path.join(dir, key), 'utf8');
        for (const [marker, value] of Object.entries<unknown>(props.SourceMarkers[i])) {
          const name = JSON.stringify(value);
          expect(values[name]).toBeDefined();
          // UNQUOTED_JSON_VALUE: the value JSON-encoded, without its surrounding quotes.
          text = text.split(marker).join(JSON.stringify(values[name]).slice(1, -1));
        }
        return { key, text };
      });
    }

    const roleId = () => stack.getLogicalId(service.role!.node.defaultChild as never);
    const publicationResource = () => service.manifestPublication!.node.findAll()
      .find((c): c is CfnResource => c instanceof CfnResource && c.cfnResourceType === 'Custom::CDKBucketDeployment')!;
    const bucketId = () => stack.getLogicalId(stack.node.findChild('Store').node.defaultChild as never);
    const deployValues = () => ({
      [JSON.stringify({ 'Fn::GetAtt': [roleId(), 'Arn'] })]: 'arn:aws:iam::222222222222:role/Serving-IrisRole-ABC',
      [JSON.stringify({ Ref: bucketId() })]: 'serving-store1d2a845b-xyz',
      [JSON.stringify({ Ref: 'AWS::Region' })]: 'us-east-2',
    });

    test('synthesizes without a YAML file in the cloud assembly', () => {
      expect(nagFailure).toBeUndefined();
      expect(service.manifestFileName).toBeUndefined();
      expect(fs.readdirSync(assemblyDir).filter((f) => f.endsWith('.k8s.yaml'))).toEqual([]);
    });

    test('passes the cdk-nag AwsSolutions checks, with reasons for what it acknowledges', () => {
      expect(nagFailure).toBeUndefined();
    });

    test('publishes the YAML into the model store at deployment, never pruning, after the role and the model upload', () => {
      template.resourceCountIs('Custom::CDKBucketDeployment', 1);
      const [id, deployment] = Object.entries(template.findResources('Custom::CDKBucketDeployment'))[0];
      expect(id).toBe(stack.getLogicalId(publicationResource()));
      expect(deployment.Properties).toMatchObject({
        DestinationBucketName: { Ref: bucketId() },
        DestinationBucketKeyPrefix: 'kubernetes/default/modelfleet-iris/',
        Prune: false,
        RetainOnDelete: true,
        Extract: true,
        SystemMetadata: { 'content-type': 'application/yaml' },
      });
      expect(deployment.DependsOn).toEqual(expect.arrayContaining([roleId(), 'Upload']));
      expect(service.manifestObjectKey).toMatch(/^kubernetes\/default\/modelfleet-iris\/[0-9a-f]{16}\.yaml$/);
      expect(service.manifestLatestObjectKey).toBe('kubernetes/default/modelfleet-iris/latest.yaml');
    });

    test('writes the same YAML under its content hash and as latest.yaml, every marker a deploy-time value', () => {
      const image = { 'Fn::Sub': expect.stringMatching(/^\$\{AWS::AccountId\}\.dkr\.ecr\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}\/cdk-hnb659fds-container-assets-\$\{AWS::AccountId\}-\$\{AWS::Region\}:[0-9a-f]{64}$/) };
      const [deployment] = Object.values(template.findResources('Custom::CDKBucketDeployment'));
      for (const markers of deployment.Properties.SourceMarkers) {
        expect(Object.values(markers)).toEqual(expect.arrayContaining([
          { 'Fn::GetAtt': [roleId(), 'Arn'] }, { Ref: bucketId() }, { Ref: 'AWS::Region' }, image,
        ]));
        expect(Object.values(markers)).toHaveLength(4);
      }
      const files = deployment.Properties.SourceObjectKeys.map((zip: string) => fs.readdirSync(
        path.join(assemblyDir, `asset.${zip.replace(/\.zip$/, '')}`))[0]);
      expect(files).toEqual([service.manifestObjectKey!.split('/').pop(), 'latest.yaml']);
    });

    test('the published YAML, substituted as at deployment, is valid Kubernetes with the deploy-time values', () => {
      const [deployment] = Object.values(template.findResources('Custom::CDKBucketDeployment'));
      const imageMarker = Object.values<{ 'Fn::Sub'?: string }>(deployment.Properties.SourceMarkers[0]).find((v) => v['Fn::Sub']);
      const image = '222222222222.dkr.ecr.us-east-2.amazonaws.com/cdk-hnb659fds-container-assets:abc';
      const values = { ...deployValues(), [JSON.stringify(imageMarker)]: image };
      const [hashed, latest] = publishedYaml(values);
      expect(latest.text).toBe(hashed.text);
      const docs = parseAllDocuments(hashed.text).map((d) => d.toJS()) as KubeObject[];
      expect(docs.map((d) => d.kind)).toEqual(
        ['ServiceAccount', 'Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy']);
      validateAll(docs);
      expect(docs[0].metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::222222222222:role/Serving-IrisRole-ABC' });
      const pod = (docs[1] as unknown as Json).spec.template.spec;
      expect(pod.containers[0].image).toBe(image);
      expect(pod.initContainers[0].command[11]).toBe(`s3://serving-store1d2a845b-xyz/models/iris/${VERSION}/`);
      expect(pod.initContainers[0].env).toEqual([{ name: 'HOME', value: '/tmp' }, { name: 'AWS_REGION', value: 'us-east-2' }]);
      // Everything else as in the synth-time chart.
      expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      expect(pod.containers[0].securityContext.capabilities).toEqual({ drop: ['ALL'] });
    });

    test('outputs the S3 URI of the published YAML', () => {
      const outputs = template.findOutputs('*');
      const id = stack.getLogicalId(service.manifestUrlOutput!);
      expect(Object.keys(outputs)).toEqual([id]);
      expect(outputs[id].Value).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: bucketId() }, `/${service.manifestObjectKey}`]] });
    });

    test('warns where the YAML will be after cdk deploy and how to get it at synth instead', () => {
      const warning = Annotations.fromStack(stack).findWarning('/Serving/Iris', Match.stringLikeRegexp('only known at deployment'));
      expect(warning).toHaveLength(1);
      const text = String(warning[0].entry.data);
      expect(text).toContain(`cdk deploy writes it, resolved, into the model store: s3://<model store bucket>/${service.manifestObjectKey} `
        + `(stack output ${stack.getLogicalId(service.manifestUrlOutput!)}; the newest one is always at `
        + 'kubernetes/default/modelfleet-iris/latest.yaml)');
      expect(text).toContain('ServiceAccount/modelfleet-iris: metadata.annotations.eks.amazonaws.com/role-arn');
      expect(text).toContain('give the stack a concrete env (account and region) or use ServingImage.fromRegistry()');
      expect(text).toContain('give the model store bucket a physical name (ModelStore bucketName)');
      expect(text).toContain('[ack: modelfleet:kubernetesManifestAtDeploy]');
    });

    test('trusts the OIDC provider for this service account only', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: Match.objectEquals({
          Version: '2012-10-17',
          Statement: [{
            Action: 'sts:AssumeRoleWithWebIdentity',
            Effect: 'Allow',
            Principal: { Federated: OIDC_ARN },
            Condition: {
              StringEquals: {
                [`${OIDC_ISSUER}:aud`]: 'sts.amazonaws.com',
                [`${OIDC_ISSUER}:sub`]: 'system:serviceaccount:default:modelfleet-iris',
              },
            },
          }],
        }),
        RoleName: Match.absent(),
      });
    });

    test('grants the created role read access to this model version only', () => {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: roleId() }],
        PolicyDocument: {
          Statement: [{
            Action: 's3:GetObject',
            Effect: 'Allow',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId(), 'Arn'] }, `/models/iris/${VERSION}/*`]] },
          }, {
            Action: 's3:ListBucket',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [bucketId(), 'Arn'] },
            Condition: { StringLike: { 's3:prefix': [`models/iris/${VERSION}/*`] } },
          }],
        },
      });
    });

    test('keeps the logical ids of the role and the publication', () => {
      expect(roleId()).toBe('IrisServiceAccountRole3FFC068D');
      expect(stack.getLogicalId(publicationResource()))
        .toBe('IrisManifestPublicationCustomResource512MiB512MiBD16FEB7F');
    });
  });

  describe('the published YAML, number values', () => {
    test('writes a number only known at deployment unquoted, so it stays a number', () => {
      const app = new App();
      const stack = new Stack(app, 'Serving', { env: ENV });
      const service = new KubernetesModelService(stack, 'Iris', {
        model: storedModel(stack),
        image: ServingImage.fromRegistry(IMAGE),
        serviceAccountRole: podRole(stack),
        replicas: Token.asNumber(new CfnParameter(stack, 'Replicas', { type: 'Number' })),
        autoscalingMaxReplicas: 10,
      });
      const assembly = app.synth();
      const [deployment] = Object.values(Template.fromStack(stack).findResources('Custom::CDKBucketDeployment'));
      const markers: Record<string, unknown> = deployment.Properties.SourceMarkers[0];
      expect(new Set(Object.values(markers).map((v) => JSON.stringify(v)))).toEqual(new Set([JSON.stringify({ Ref: 'Replicas' })]));
      const dir = path.join(assembly.directory, `asset.${deployment.Properties.SourceObjectKeys[0].replace(/\.zip$/, '')}`);
      const text = fs.readFileSync(path.join(dir, service.manifestObjectKey!.split('/').pop()!), 'utf8');
      expect(text).toMatch(/\n {2}minReplicas: <<marker:0xbaba:\d+>>\n/);
      // CloudFormation hands the parameter to the function as the string "3"; JSON-escaped without quotes: 3.
      const substituted = Object.keys(markers).reduce((t, marker) => t.split(marker).join(JSON.stringify('3').slice(1, -1)), text);
      const docs = parseAllDocuments(substituted).map((d) => d.toJS()) as KubeObject[];
      validateAll(docs);
      expect((docs.find((d) => d.kind === 'HorizontalPodAutoscaler') as unknown as Json).spec.minReplicas).toBe(3);
    });
  });

  describe('the published YAML, changes after creation', () => {
    test('fails when the chart is changed after the construct took it for publication', () => {
      const app = new App();
      const stack = new Stack(app, 'Serving');
      const service = new KubernetesModelService(stack, 'Iris', {
        model: storedModel(stack, new s3.Bucket(stack, 'Store')), image: ServingImage.fromRegistry(IMAGE), serviceAccountRole: podRole(stack),
      });
      ApiObject.of(service.deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/priorityClassName', 'inference'));
      const error = errorOf(() => app.synth());
      expect(error.code).toBe('KubernetesChartChangedAfterCreation');
      expect(error.constructPath).toBe('Serving/Iris');
    });

    test('synthesizes when the chart is left as created', () => {
      const app = new App();
      const stack = new Stack(app, 'Serving');
      new KubernetesModelService(stack, 'Iris', {
        model: storedModel(stack, new s3.Bucket(stack, 'Store')), image: ServingImage.fromRegistry(IMAGE), serviceAccountRole: podRole(stack),
      });
      expect(() => app.synth()).not.toThrow();
    });
  });

  describe('the published YAML key', () => {
    function keyOf(props: Partial<KubernetesModelServiceProps>): string {
      const stack = new Stack(new App(), 'Serving');
      return new KubernetesModelService(stack, 'Iris', {
        model: storedModel(stack, new s3.Bucket(stack, 'Store')),
        image: ServingImage.fromRegistry(IMAGE),
        serviceAccountRole: podRole(stack),
        ...props,
      }).manifestObjectKey!;
    }

    test('is the same for the same chart and changes with it, so that earlier manifests stay readable', () => {
      expect(keyOf({})).toBe(keyOf({}));
      expect(keyOf({ replicas: 3 })).not.toBe(keyOf({}));
      expect(keyOf({ namespaceName: 'ml' })).toMatch(/^kubernetes\/ml\/modelfleet-iris\/[0-9a-f]{16}\.yaml$/);
    });
  });

  describe('the pods\' IAM role without a cluster', () => {
    test('trusts a provider whose issuer is only known at deployment through CfnJson condition keys', () => {
      const stack = new Stack(new App(), 'Serving');
      new KubernetesModelService(stack, 'Iris', {
        model: storedModel(stack, new s3.Bucket(stack, 'Store')),
        image: ServingImage.fromRegistry(IMAGE),
        namespaceName: 'ml',
        openIdConnectProvider: iam.OpenIdConnectProvider.fromOpenIdConnectProviderArn(stack, 'Oidc',
          Fn.importValue('ClusterOidcProviderArn')),
      });
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [{
            Action: 'sts:AssumeRoleWithWebIdentity',
            Effect: 'Allow',
            Principal: { Federated: { 'Fn::ImportValue': 'ClusterOidcProviderArn' } },
            Condition: { StringEquals: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IrisServiceAccountRoleConditionJson'), 'Value'] } },
          }],
        },
      });
      const [json] = Object.values(template.findResources('Custom::AWSCDKCfnJson'));
      const issuer = { 'Fn::Select': [1, { 'Fn::Split': [':oidc-provider/', { 'Fn::ImportValue': 'ClusterOidcProviderArn' }] }] };
      expect(json.Properties.Value).toEqual({
        'Fn::Join': ['', ['{"', issuer, ':aud":"sts.amazonaws.com","', issuer, ':sub":"system:serviceaccount:ml:modelfleet-iris"}']],
      });
    });

    test('without a role, leaves the service account unannotated and warns how to fix it', () => {
      const { of, stack, service } = gitOps({ serviceAccountRole: undefined });
      expect(service.role).toBeUndefined();
      expect(of('ServiceAccount').metadata.annotations).toBeUndefined();
      Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
      Annotations.fromStack(stack).hasWarning('/Serving/Iris', Match.stringLikeRegexp(
        'service account default/modelfleet-iris has no IAM role.*pass openIdConnectProvider.*serviceAccountRole.*'
        + 'annotate the service account with eks.amazonaws.com/role-arn: .*system:serviceaccount:default:modelfleet-iris'));
    });
  });

  describe('validation', () => {
    test.each<[string, Partial<KubernetesModelServiceProps>, string]>([
      ['KubernetesReplicasOutOfRange', { replicas: 0 }, 'replicas must be an integer between 1 and 1000, got 0'],
      ['KubernetesReplicasOutOfRange', { replicas: 1.5 }, 'got 1.5'],
      ['KubernetesAutoscalingMaxBelowMin', { replicas: 4, autoscalingMaxReplicas: 3 }, 'autoscalingMaxReplicas (3) must be at least replicas (4)'],
      ['KubernetesCpuUtilizationOutOfRange', { autoscalingCpuUtilization: 120 }, 'got 120'],
      ['KubernetesCpuOutOfRange', { cpuLimitMillicores: 0, cpuRequestMillicores: 0 }, 'cpuLimitMillicores must be'],
      ['KubernetesRequestAboveLimit', { cpuRequestMillicores: 2000 }, 'cpuRequestMillicores (2000) must not exceed cpuLimitMillicores (1000)'],
      ['KubernetesRequestAboveLimit', { memoryRequest: Size.gibibytes(2) }, 'memoryRequest (2048 MiB) must not exceed memoryLimit (1024 MiB)'],
      ['KubernetesMemoryNotWholeMebibytes', { memoryLimit: Size.kibibytes(1536 * 1024 + 512) }, 'memoryLimit must be a whole number'],
      ['RuntimeThreadsOutOfRange', { threads: 0 }, 'threads (--threads) must be an integer between 1 and 256, got 0'],
      ['RuntimeThreadsOutOfRange', { cpuLimitMillicores: 2000, threads: 300 }, 'got 300'],
      ['RuntimeWorkersOutOfRange', { workers: 2 }, 'workers (2) must be at most threads (1)'],
      ['RuntimeMaxBatchOutOfRange', { maxBatch: 0 }, 'maxBatch (--max-batch) must be'],
      ['RuntimeBatchDelayOutOfRange', { batchDelay: Duration.seconds(2) }, 'batchDelay (ms) (--batch-delay-ms) must be a number between 0 and 1000, got 2000'],
      ['RuntimeMaxBodySizeOutOfRange', { maxBodySize: Size.gibibytes(8) }, 'got 8192'],
      ['KubernetesPortOutOfRange', { servicePort: 70000 }, 'got 70000'],
      ['KubernetesRunAsUserOutOfRange', { runAsUser: 0 }, 'runAsUser must be an integer between 1'],
      ['KubernetesNameInvalid', { serviceName: 'Iris_Prod' }, "serviceName must be a DNS label (at most 63 characters, starting with a letter), got \"Iris_Prod\""],
      ['KubernetesNameInvalid', { namespaceName: 'ML' }, 'namespaceName must be a DNS label (at most 63 characters, starting with a letter), got "ML"'],
      ['KubernetesLabelInvalid', { nodeSelector: [{ key: 'bad key', value: 'x' }] }, 'nodeSelector key must be a Kubernetes label key, got "bad key"'],
      ['KubernetesLabelInvalid', { tolerations: [{ key: 'k', value: 'v'.repeat(64) }] }, 'tolerations value must be'],
      ['KubernetesNameInvalid', { networkPolicyIngressPeers: [IngressPeer.podsInNamespace('Monitoring')] }, 'got "Monitoring"'],
      ['KubernetesNetworkPolicyPeersWithoutPolicy', { networkPolicyEnabled: false, networkPolicyIngressPeers: [IngressPeer.podsInNamespace('m')] },
        'networkPolicyIngressPeers or prometheusNamespace is set but networkPolicyEnabled is false'],
      ['KubernetesServiceAccountRoleWithOidcProvider', { openIdConnectProvider: importedOidcProvider(new Stack()) },
        'serviceAccountRole must not be set with openIdConnectProvider (the construct creates the role for that provider), got "arn:aws:iam::111111111111:role/iris-reader"'],
    ])('fails with %s for %j', (code, props, message) => {
      const error = errorOf(() => gitOps(props));
      expect(error.code).toBe(code);
      expect(error.message).toContain(message);
      expect(error.constructPath).toBe('Serving/Iris');
    });

    test('fails when the model version cannot be a label value', () => {
      const stack = new Stack(new App(), 'Serving');
      const base = storedModel(stack);
      const model = new StoredModel({ ...base, version: `v${'1'.repeat(63)}`, upload: base.upload });
      const error = errorOf(() => new KubernetesModelService(stack, 'Iris', {
        model, image: ServingImage.fromRegistry(IMAGE), serviceAccountRole: podRole(stack),
      }));
      expect(error.code).toBe('KubernetesLabelInvalid');
      expect(error.message).toContain('the model version must be a Kubernetes label value');
    });

    test('fails when a role is given with a cluster', () => {
      const stack = new Stack(new App(), 'Serving');
      const error = errorOf(() => new KubernetesModelService(stack, 'Iris', {
        model: storedModel(stack), image: ServingImage.fromRegistry(IMAGE), cluster: importedCluster(stack), serviceAccountRole: podRole(stack),
      }));
      expect(error.code).toBe('KubernetesServiceAccountRoleWithCluster');
      expect(error.message).toContain('serviceAccountRole must not be set with cluster');
    });

    test('fails when an OIDC provider is given with a cluster', () => {
      const stack = new Stack(new App(), 'Serving');
      const error = errorOf(() => new KubernetesModelService(stack, 'Iris', {
        model: storedModel(stack), image: ServingImage.fromRegistry(IMAGE), cluster: importedCluster(stack),
        openIdConnectProvider: importedOidcProvider(new Stack()),
      }));
      expect(error.code).toBe('KubernetesOidcProviderWithCluster');
      expect(error.message).toContain('drop openIdConnectProvider, or drop cluster');
    });

    test('reports every problem at once', () => {
      const error = errorOf(() => gitOps({ replicas: 0, threads: 0, serviceName: 'X' }));
      expect(error.code).toBe('KubernetesReplicasOutOfRange');
      expect(error.message).toContain('\n  RuntimeThreadsOutOfRange: ');
      expect(error.message).toContain('\n  KubernetesNameInvalid: ');
    });

    test('skips tokenized numbers (resolved by CloudFormation with a cluster)', () => {
      const stack = new Stack(new App(), 'Serving');
      const service = new KubernetesModelService(stack, 'Iris', {
        model: storedModel(stack),
        image: ServingImage.fromRegistry(IMAGE),
        cluster: importedCluster(stack),
        replicas: Token.asNumber(new CfnParameter(stack, 'Replicas', { type: 'Number' })),
        cpuRequestMillicores: Token.asNumber(new CfnParameter(stack, 'Cpu', { type: 'Number' })),
      });
      expect(service.podDisruptionBudget).toBeDefined();
      expect(JSON.stringify(Template.fromStack(stack).toJSON())).toContain('"minReplicas\\":",{"Ref":"Replicas"}');
    });

    test('warns and leaves the thread count to the runtime when the CPU limit is a token', () => {
      const stack = new Stack(new App(), 'Serving');
      const service = new KubernetesModelService(stack, 'Iris', {
        model: storedModel(stack),
        image: ServingImage.fromRegistry(IMAGE),
        cluster: importedCluster(stack),
        cpuLimitMillicores: Token.asNumber(new CfnParameter(stack, 'CpuLimit', { type: 'Number' })),
      });
      const server = Testing.synth(service.chart).find((o) => o.kind === 'Deployment').spec.template.spec.containers[0];
      expect(server.env).toBeUndefined();
      Annotations.fromStack(stack).hasWarning('/Serving/Iris', Match.stringLikeRegexp('MODELFLEET_THREADS cannot follow it'));
    });

    test('skips tokenized names and writes their values into the YAML', () => {
      const { app, service } = gitOps({ serviceName: Lazy.string({ produce: () => 'iris-lazy' }) });
      const assembly = app.synth();
      const yaml = fs.readFileSync(path.join(assembly.directory, service.manifestFileName!), 'utf8');
      expect(yaml).toContain('name: iris-lazy');
    });
  });
});
