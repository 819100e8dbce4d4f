import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import {
  IngressPeer, KubernetesModelService, KubernetesModelServiceProps, TolerationEffect,
} from '../../../constructs/kubernetes';
import { ModelContract } from '../../../constructs/model';
import { StoredModel } from '../../../constructs/model-store';
import { ServingImage } from '../../../constructs/serving-image';
import { restrictedViolations } from './pod-security';
import { modelFleetErrorOf } from '../../helpers/construct-errors';

/** What a first real deploy of the Kubernetes workload meets (issue 13). */
const ENV = { account: '111111111111', region: 'eu-west-1' };
const IMAGE = '111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelfleet:1.0.0';
const ROLE_ARN = 'arn:aws:iam::111111111111:role/iris-reader';
const VERSION = '3f2a9c1b7d4e';

/* eslint-disable @typescript-eslint/no-explicit-any */
function storedModel(stack: Stack): StoredModel {
  return new StoredModel({
    name: 'iris', version: VERSION, bucket: s3.Bucket.fromBucketName(stack, 'Store', 'modelfleet-store'),
    sha256: `${VERSION}${'0'.repeat(52)}`, sizeBytes: 1024,
    contract: ModelContract.of({
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
    }),
    upload: new Stack(new App(), 'Other'),
  });
}

function gitOps(props: Partial<KubernetesModelServiceProps> = {}) {
  const stack = new Stack(new App(), 'Serving', { env: ENV });
  const service = new KubernetesModelService(stack, 'Iris', {
    model: storedModel(stack), image: ServingImage.fromRegistry(IMAGE), serviceAccountRole: iam.Role.fromRoleArn(stack, 'PodRole', ROLE_ARN), ...props,
  });
  const objects = Testing.synth(service.chart) as any[];
  const of = (kind: string): any => {
    const found = objects.filter((o) => o.kind === kind);
    expect(found).toHaveLength(1);
    return found[0];
  };
  return { stack, service, objects, of, pod: () => of('Deployment').spec.template.spec };
}

const errorOf = modelFleetErrorOf;

const PORT = [{ port: 8080, protocol: 'TCP' }];

describe('KubernetesModelService on a first real deploy', () => {
  describe('NetworkPolicy and Prometheus', () => {
    test('admits the Prometheus namespace on the server port when scraping is on', () => {
      const policy = gitOps({ prometheusNamespace: 'monitoring' }).of('NetworkPolicy');
      expect(policy.spec.ingress).toEqual([
        { from: [{ podSelector: {} }], ports: PORT },
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: {} }], ports: PORT },
      ]);
      new NetworkPolicy(policy).validate();
    });

    test('warns, by default, that a Prometheus in another namespace cannot scrape through the policy', () => {
      const { stack } = gitOps();
      Annotations.fromStack(stack).hasWarning('/Serving/Iris', Match.stringLikeRegexp('modelfleet:kubernetesPrometheusBlocked'));
    });

    test('does not warn when scraping is off, the policy is off, or a peer admits another namespace', () => {
      for (const props of [
        { prometheusScrape: false }, { networkPolicyEnabled: false }, { prometheusNamespace: 'monitoring' },
        { networkPolicyIngressPeers: [IngressPeer.podsInNamespace('monitoring')] },
      ]) {
        const { stack } = gitOps(props);
        expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('PrometheusBlocked'))).toHaveLength(0);
      }
    });

    // https://kubernetes.io/docs/concepts/services-networking/network-policies/ (ipBlock): for load balancers that
    // send to pod IPs from their own addresses (e.g. the AWS Load Balancer Controller's IP targets)
    test('admits an IP block, with exceptions, through IngressPeer.ipBlock', () => {
      const policy = gitOps({
        networkPolicyIngressPeers: [IngressPeer.ipBlock('10.0.0.0/16', ['10.0.5.0/24']), IngressPeer.ipBlock('192.168.1.0/24')],
      }).of('NetworkPolicy');
      expect(policy.spec.ingress).toEqual([
        { from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.5.0/24'] } }], ports: PORT },
        { from: [{ ipBlock: { cidr: '192.168.1.0/24' } }], ports: PORT },
      ]);
      new NetworkPolicy(policy).validate();
    });

    test('fails on a malformed CIDR', () => {
      expect(errorOf(() => gitOps({ networkPolicyIngressPeers: [IngressPeer.ipBlock('10.0.0.0')] })).code)
        .toBe('KubernetesCidrInvalid');
      expect(errorOf(() => gitOps({ networkPolicyIngressPeers: [IngressPeer.ipBlock('10.0.0.0/8', ['x'])] })).code)
        .toBe('KubernetesCidrInvalid');
    });
  });

  describe('rolling updates', () => {
    // https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/ and
    // https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination: the grace period starts
    // before preStop; the endpoint is removed while the hook sleeps, then SIGTERM stops the runtime
    test('sleeps in preStop before SIGTERM, and leaves the runtime the rest of the grace period to drain', () => {
      const spec = gitOps().pod();
      expect(spec.terminationGracePeriodSeconds).toBe(40);
      const server = spec.containers[0];
      expect(server.lifecycle).toEqual({ preStop: { sleep: { seconds: 10 } } });
      // 40 s grace - 10 s preStop - 5 s margin
      expect(server.args).toEqual(expect.arrayContaining(['--drain-timeout-ms', '25000']));
      new Deployment(gitOps().of('Deployment')).validate();
    });

    test('takes the delay and the grace period from props; no preStop with a zero delay', () => {
      const spec = gitOps({ preStopDelay: Duration.seconds(20), terminationGracePeriod: Duration.seconds(60) }).pod();
      expect(spec.terminationGracePeriodSeconds).toBe(60);
      expect(spec.containers[0].lifecycle).toEqual({ preStop: { sleep: { seconds: 20 } } });
      expect(spec.containers[0].args).toEqual(expect.arrayContaining(['--drain-timeout-ms', '35000']));
      expect(gitOps({ preStopDelay: Duration.seconds(0) }).pod().containers[0].lifecycle).toBeUndefined();
    });

    test('fails when the delay leaves the runtime no time to drain within the grace period', () => {
      expect(errorOf(() => gitOps({ preStopDelay: Duration.seconds(30), terminationGracePeriod: Duration.seconds(30) })).code)
        .toBe('KubernetesPreStopDelayOutOfRange');
      expect(errorOf(() => gitOps({ preStopDelay: Duration.millis(1500) })).code).toBe('KubernetesPreStopDelayOutOfRange');
    });
  });

  describe('ServiceMonitor', () => {
    test('is created when asked, selecting the Service\'s port http at /metrics', () => {
      const { of, service } = gitOps({ serviceMonitor: true });
      const monitor = of('ServiceMonitor');
      expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(monitor.metadata).toMatchObject({ name: 'modelfleet-iris', namespace: 'default' });
      const selector = { 'app.kubernetes.io/name': 'modelfleet', 'app.kubernetes.io/instance': 'modelfleet-iris' };
      expect(monitor.spec).toEqual({
        selector: { matchLabels: selector },
        namespaceSelector: { matchNames: ['default'] },
        endpoints: [{ port: 'http', path: '/metrics', interval: '30s' }],
      });
      // the Service carries the labels it is selected by, and names the port
      expect(of('Service').metadata.labels).toMatchObject(selector);
      expect(of('Service').spec.ports[0].name).toBe('http');
      expect(service.serviceMonitor).toBeDefined();
    });

    test('carries the given labels for the Prometheus serviceMonitorSelector', () => {
      const monitor = gitOps({ serviceMonitor: true, serviceMonitorLabels: [{ key: 'release', value: 'kube-prometheus-stack' }] })
        .of('ServiceMonitor');
      expect(monitor.metadata.labels).toMatchObject({ 'release': 'kube-prometheus-stack', 'app.kubernetes.io/name': 'modelfleet' });
      expect(errorOf(() => gitOps({ serviceMonitorLabels: [{ key: 'release', value: 'x' }] })).code)
        .toBe('KubernetesServiceMonitorLabelsWithoutMonitor');
    });

    test('is not created by default', () => {
      const { objects, service } = gitOps();
      expect(objects.map((o) => o.kind)).not.toContain('ServiceMonitor');
      expect(service.serviceMonitor).toBeUndefined();
    });
  });

  describe('restricted Pod Security Standard', () => {
    // https://kubernetes.io/docs/concepts/security/pod-security-standards/, every baseline and restricted control
    const variants: Array<[string, () => Partial<KubernetesModelServiceProps>]> = [
      ['the defaults', () => ({})],
      ['every option', () => ({
        namespaceName: 'ml', serviceName: 'iris-prod', replicas: 3, runAsUser: 10001, cpuLimitMillicores: 2000,
        networkPolicyIngressPeers: [IngressPeer.podsInNamespace('monitoring'), IngressPeer.ipBlock('10.0.0.0/16')],
        nodeSelector: [{ key: 'kubernetes.io/arch', value: 'arm64' }],
        tolerations: [{ key: 'nvidia.com/gpu', effect: TolerationEffect.NO_SCHEDULE }],
        serviceMonitor: true, prometheusNamespace: 'monitoring', preStopDelay: Duration.seconds(15),
      })],
    ];
    test.each(variants)('both containers meet it field by field with %s', (_what, props) => {
      const deployment = gitOps(props()).of('Deployment');
      const spec = deployment.spec.template.spec;
      expect(spec.initContainers.map((c: any) => c.name)).toEqual(['fetch-model']);
      expect(spec.containers.map((c: any) => c.name)).toEqual(['server']);
      expect(restrictedViolations(spec, deployment.spec.template.metadata.annotations)).toEqual([]);
    });

    test('also applied to an EKS cluster', () => {
      const stack = new Stack(new App(), 'Serving');
      const cluster = eks.Cluster.fromClusterAttributes(stack, 'Cluster', {
        clusterName: 'fleet', kubectlRoleArn: 'arn:aws:iam::111111111111:role/fleet-kubectl',
        openIdConnectProvider: iam.OpenIdConnectProvider.fromOpenIdConnectProviderArn(stack, 'Oidc',
          'arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE'),
      });
      const service = new KubernetesModelService(stack, 'Iris', { model: storedModel(stack), image: ServingImage.fromRegistry(IMAGE), cluster });
      const deployment = (Testing.synth(service.chart) as any[]).find((o) => o.kind === 'Deployment');
      expect(restrictedViolations(deployment.spec.template.spec)).toEqual([]);
    });

    test('the check finds each kind of violation (so that an empty list means something)', () => {
      const { service } = gitOps();
      const obj = ApiObject.of(service.deployment);
      const spec = '/spec/template/spec';
      obj.addJsonPatch(
        JsonPatch.add(`${spec}/hostNetwork`, true),
        JsonPatch.replace(`${spec}/containers/0/securityContext/privileged`, true),
        JsonPatch.replace(`${spec}/containers/0/securityContext/allowPrivilegeEscalation`, true),
        JsonPatch.replace(`${spec}/initContainers/0/securityContext/capabilities`, { add: ['SYS_ADMIN'] }),
        JsonPatch.replace(`${spec}/securityContext/seccompProfile`, { type: 'Unconfined' }),
        JsonPatch.replace(`${spec}/securityContext/runAsNonRoot`, false),
        JsonPatch.remove(`${spec}/containers/0/securityContext/runAsNonRoot`),
        JsonPatch.add(`${spec}/volumes/-`, { name: 'host', hostPath: { path: '/' } }),
        JsonPatch.add(`${spec}/containers/0/ports/0/hostPort`, 8080),
      );
      const deployment = (Testing.synth(service.chart) as any[]).find((o) => o.kind === 'Deployment');
      const found = restrictedViolations(deployment.spec.template.spec).join('\n');
      for (const field of ['hostNetwork', 'privileged', 'allowPrivilegeEscalation', 'capabilities.add: SYS_ADMIN',
        'capabilities.drop', 'seccompProfile', 'containers[server].securityContext.runAsNonRoot', 'hostPath', 'hostPort']) {
        expect(found).toContain(field);
      }
    });
  });
});
