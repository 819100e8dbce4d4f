/**
 * Error codes of the Kubernetes workload (`KubernetesModelService`): each code's meaning and fix.
 * `constructs/ERRORS.md` is written from these tables (`npm run docs:errors`); a code is never reused for another
 * problem.
 */
export const KUBERNETES_ERRORS = {
  KubernetesAutoscalingMaxBelowMin:
    'autoscalingMaxReplicas is below replicas, the HorizontalPodAutoscaler\'s minimum; raise autoscalingMaxReplicas to at least replicas, or leave it unset (4 times replicas).',
  KubernetesChartChangedAfterCreation:
    'The chart was changed after the KubernetesModelService was created, but its GitOps YAML had been taken then for publication at deployment, so the change would be left out; make the change through the props, or give every value a literal so that the YAML is written at synth and includes later changes.',
  KubernetesCidrInvalid:
    'An IngressPeer.ipBlock() block (its cidr or one of its exceptCidrs) is not a CIDR block; give an IPv4 or IPv6 block with its prefix length, such as \'10.0.0.0/16\'.',
  KubernetesCpuOutOfRange:
    'cpuRequestMillicores or cpuLimitMillicores is not a whole number of millicores from 1 to 1,000,000; give e.g. 500 for half a core.',
  KubernetesCpuUtilizationOutOfRange:
    'autoscalingCpuUtilization is not a whole percentage from 1 to 100 (of the CPU request); give e.g. 70.',
  KubernetesLabelInvalid:
    'A label key or value (nodeSelector, tolerations, serviceMonitorLabels, an IngressPeer, or the model version used as the modelfleet.io/model-version label) is not a valid Kubernetes label; keys are an optional DNS-subdomain prefix and a name, values at most 63 letters, digits, \'-\', \'_\' and \'.\'.',
  KubernetesManifestUnresolvedToken:
    'The GitOps YAML was fully known at synth when the construct was created, but a value changed since then is only known at deployment; make the change before the KubernetesModelService is created (it then publishes the YAML at deployment), or replace the token by a literal.',
  KubernetesMemoryNotWholeMebibytes:
    'memoryRequest or memoryLimit is not a whole number of mebibytes (at least 1); use Size.mebibytes() or Size.gibibytes().',
  KubernetesNameInvalid:
    'A Kubernetes name (serviceName, namespaceName, prometheusNamespace, an IngressPeer\'s namespaceName: DNS labels; serviceAccountName: a DNS subdomain) has characters or a length Kubernetes refuses; use at most 63 lower-case letters, digits and \'-\', starting with a letter.',
  KubernetesNetworkPolicyPeersWithoutPolicy:
    'networkPolicyIngressPeers or prometheusNamespace is set but networkPolicyEnabled is false, so the peers would have no effect; drop them, or enable the NetworkPolicy.',
  KubernetesOidcProviderWithCluster:
    'openIdConnectProvider is set with cluster, but with a cluster the construct creates the IRSA role on the cluster\'s own provider; drop openIdConnectProvider, or drop cluster to write YAML for GitOps.',
  KubernetesPortOutOfRange:
    'servicePort is not a TCP port (a whole number from 1 to 65535); give e.g. 80.',
  KubernetesPreStopDelayOutOfRange:
    'preStopDelay or terminationGracePeriod is not whole seconds, or the delay leaves less than 6 s of the grace period for the runtime to drain and exit; use Duration.seconds(), and shorten the delay or lengthen the grace period.',
  KubernetesReplicasOutOfRange:
    'replicas or autoscalingMaxReplicas is not a whole number from 1 to 1000; give e.g. 2.',
  KubernetesRequestAboveLimit:
    'A CPU or memory request (cpuRequestMillicores, memoryRequest) is above its limit (cpuLimitMillicores, memoryLimit), which Kubernetes refuses; lower the request or raise the limit.',
  KubernetesRunAsUserOutOfRange:
    'runAsUser is not a non-root uid (a whole number from 1 to 2147483647); give e.g. 1000, the serving image\'s user.',
  KubernetesServiceAccountRoleWithCluster:
    'serviceAccountRole is set with cluster, but with a cluster the construct creates the IRSA role and the service account itself; drop serviceAccountRole, or drop cluster to write YAML for GitOps.',
  KubernetesServiceAccountRoleWithOidcProvider:
    'serviceAccountRole is set with openIdConnectProvider, but the construct creates the pods\' role for that provider; give only one of them.',
  KubernetesServiceMonitorLabelsWithoutMonitor:
    'serviceMonitorLabels is set but serviceMonitor is not true, so there is no ServiceMonitor to label; set serviceMonitor: true, or drop the labels.',
} as const;
