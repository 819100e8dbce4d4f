/**
 * The restricted Pod Security Standard, field by field, as the Kubernetes page lists its controls (baseline, then
 * restricted): https://kubernetes.io/docs/concepts/security/pod-security-standards/ (policy version v1.30+). Returns
 * one line per violation, naming the field and the value; [] when the pod spec meets the profile.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */

/** Capabilities the baseline profile lets a container add. */
const BASELINE_CAPABILITIES = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
/** Sysctls the baseline profile allows. */
const SAFE_SYSCTLS = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
/** Volume types the restricted profile allows. */
const RESTRICTED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
const SELINUX_TYPES = ['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];

export function restrictedViolations(podSpec: any, podAnnotations: Record<string, string> = {}): string[] {
  const v: string[] = [];
  const pod = podSpec ?? {};
  const podSc = pod.securityContext ?? {};
  const containers: Array<[string, any]> = [
    ...(pod.initContainers ?? []).map((c: any) => [`initContainers[${c.name}]`, c]),
    ...(pod.containers ?? []).map((c: any) => [`containers[${c.name}]`, c]),
    ...(pod.ephemeralContainers ?? []).map((c: any) => [`ephemeralContainers[${c.name}]`, c]),
  ];
  if (containers.length === 0) v.push('no containers');

  // ---- baseline ----
  // HostProcess
  if (podSc.windowsOptions?.hostProcess === true) v.push('securityContext.windowsOptions.hostProcess: true');
  // Host Namespaces
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (pod[field] === true) v.push(`${field}: true`);
  }
  // HostPath Volumes (and every other volume type but the restricted list, below)
  for (const volume of pod.volumes ?? []) {
    const types = Object.keys(volume).filter((k) => k !== 'name');
    for (const type of types) {
      if (!RESTRICTED_VOLUMES.includes(type)) v.push(`volumes[${volume.name}].${type}: not an allowed volume type`);
    }
  }
  // AppArmor (annotations and field)
  for (const [key, value] of Object.entries(podAnnotations)) {
    if (key.startsWith('container.apparmor.security.beta.kubernetes.io/') && value !== 'runtime/default' && !value.startsWith('localhost/')) {
      v.push(`annotation ${key}: ${value}`);
    }
  }
  const appArmorOk = (p: any) => p === undefined || ['RuntimeDefault', 'Localhost'].includes(p.type);
  if (!appArmorOk(podSc.appArmorProfile)) v.push(`securityContext.appArmorProfile.type: ${podSc.appArmorProfile.type}`);
  // SELinux
  const seLinuxOk = (o: any) => o === undefined || ((o.type === undefined || SELINUX_TYPES.includes(o.type))
    && o.user === undefined && o.role === undefined);
  if (!seLinuxOk(podSc.seLinuxOptions)) v.push(`securityContext.seLinuxOptions: ${JSON.stringify(podSc.seLinuxOptions)}`);
  // Sysctls
  for (const sysctl of podSc.sysctls ?? []) {
    if (!SAFE_SYSCTLS.includes(sysctl.name)) v.push(`securityContext.sysctls: ${sysctl.name}`);
  }

  // ---- restricted, pod level ----
  if (podSc.seccompProfile !== undefined && !['RuntimeDefault', 'Localhost'].includes(podSc.seccompProfile.type)) {
    v.push(`securityContext.seccompProfile.type: ${podSc.seccompProfile.type}`);
  }
  // Running as Non-root user: runAsUser must not be 0
  if (podSc.runAsUser === 0) v.push('securityContext.runAsUser: 0');

  for (const [where, c] of containers) {
    const sc = c.securityContext ?? {};
    // Privileged Containers
    if (sc.privileged === true) v.push(`${where}.securityContext.privileged: true`);
    // Capabilities (baseline: only the default set added; restricted: drop ALL, add at most NET_BIND_SERVICE)
    const add: string[] = sc.capabilities?.add ?? [];
    for (const cap of add) {
      if (!BASELINE_CAPABILITIES.includes(cap)) v.push(`${where}.securityContext.capabilities.add: ${cap} (baseline)`);
      if (cap !== 'NET_BIND_SERVICE') v.push(`${where}.securityContext.capabilities.add: ${cap}`);
    }
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) {
      v.push(`${where}.securityContext.capabilities.drop: ${JSON.stringify(sc.capabilities?.drop)} (must hold ALL)`);
    }
    // HostPorts
    for (const port of c.ports ?? []) {
      if (port.hostPort !== undefined && port.hostPort !== 0) v.push(`${where}.ports.hostPort: ${port.hostPort}`);
    }
    // AppArmor, SELinux per container
    if (!appArmorOk(sc.appArmorProfile)) v.push(`${where}.securityContext.appArmorProfile.type: ${sc.appArmorProfile.type}`);
    if (!seLinuxOk(sc.seLinuxOptions)) v.push(`${where}.securityContext.seLinuxOptions: ${JSON.stringify(sc.seLinuxOptions)}`);
    // /proc Mount Type
    if (sc.procMount !== undefined && sc.procMount !== 'Default') v.push(`${where}.securityContext.procMount: ${sc.procMount}`);
    // Privilege Escalation: must be false
    if (sc.allowPrivilegeEscalation !== false) {
      v.push(`${where}.securityContext.allowPrivilegeEscalation: ${sc.allowPrivilegeEscalation} (must be false)`);
    }
    // Running as Non-root: true on the container, or on the pod and not false on the container
    const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
    if (nonRoot !== true) v.push(`${where}.securityContext.runAsNonRoot: ${nonRoot} (must be true, here or on the pod)`);
    // Running as Non-root user
    if (sc.runAsUser === 0) v.push(`${where}.securityContext.runAsUser: 0`);
    // Seccomp: RuntimeDefault or Localhost, on the container or else on the pod; never Unconfined
    const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
    if (!['RuntimeDefault', 'Localhost'].includes(seccomp)) {
      v.push(`${where}.securityContext.seccompProfile.type: ${seccomp} (must be RuntimeDefault or Localhost)`);
    }
    if (sc.windowsOptions?.hostProcess === true) v.push(`${where}.securityContext.windowsOptions.hostProcess: true`);
  }
  return v;
}
