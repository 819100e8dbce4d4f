/**
 * Error codes of the kubernetes workload: each code's meaning and fix. `constructs/ERRORS.md` is written from
 * these tables (`npm run build`); a code is never reused for another problem.
 */
export const KUBERNETES_ERRORS = {
  KubernetesAutoscalingMaxBelowMin:
    'TODO',
  KubernetesChartChangedAfterCreation:
    'the chart changed after the KubernetesModelService was created, but its YAML for GitOps was taken for publication at deployment when it was created, so the change would be left out; change it through the props, or give every value a literal (the YAML is then written at synth and includes later changes)',
  KubernetesCidrInvalid:
    'networkPolicyIngressPeers ipBlock must be a CIDR block such as \'10.0.0.0/16\', got \'<value>\'; add the prefix length',
  KubernetesCpuOutOfRange:
    'cpuRequestMillicores',
  KubernetesCpuUtilizationOutOfRange:
    'autoscalingCpuUtilization',
  KubernetesLabelInvalid:
    '<value> key must be a Kubernetes label key, got \'<value>\'; e.g. \'kubernetes.io/arch\'',
  KubernetesManifestUnresolvedToken:
    'the YAML manifest for GitOps was fully known when the construct was created, but values changed since then are only known at deployment, at <value>; <value> (or make the change before the KubernetesModelService is created, so that it publishes the manifest at deployment)',
  KubernetesMemoryNotWholeMebibytes:
    '<value> must be a whole number of mebibytes (at least 1), got <value> MiB; use Size.mebibytes() or Size.gibibytes()',
  KubernetesNameInvalid:
    '<value> must be <value>, got \'<value>\'; use lower-case letters, digits and \'-\'',
  KubernetesNetworkPolicyPeersWithoutPolicy:
    'networkPolicyIngressPeers is set but networkPolicyEnabled is false; drop the peers or enable the policy',
  KubernetesOidcProviderWithCluster:
    'openIdConnectProvider must not be set with cluster (the construct creates the',
  KubernetesPortOutOfRange:
    'servicePort',
  KubernetesPreStopDelayOutOfRange:
    'preStopDelay and terminationGracePeriod must be whole seconds, got <value> s and <value> s; use Duration.seconds()',
  KubernetesReplicasOutOfRange:
    'replicas',
  KubernetesRequestAboveLimit:
    'TODO',
  KubernetesRoleArnWithCluster:
    'serviceAccountRoleArn must not be set with cluster (the construct creates the IRSA role), got \'<value>\'; drop serviceAccountRoleArn, or drop cluster to write YAML for GitOps',
  KubernetesRoleArnWithOidcProvider:
    'serviceAccountRoleArn must not be set with openIdConnectProvider (the construct creates the role for that provider), got \'<value>\'; drop one of them',
  KubernetesRunAsUserOutOfRange:
    'runAsUser',
  KubernetesServiceMonitorLabelsWithoutMonitor:
    'serviceMonitorLabels is set but serviceMonitor is not true; set serviceMonitor: true or drop the labels',
  KubernetesThreadsOutOfRange:
    'threads',
} as const;
