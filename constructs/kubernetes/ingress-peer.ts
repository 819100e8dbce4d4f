/**
 * A source of traffic that the service's NetworkPolicy admits (on the model server's port only).
 *
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
export class IngressPeer {
  /**
   * Every pod in the named namespace (selected by its `kubernetes.io/metadata.name` label).
   */
  public static namespace(name: string): IngressPeer {
    return new IngressPeer(name, undefined, undefined);
  }

  /**
   * Pods in the service's own namespace that carry the label `key=value`.
   */
  public static podsWithLabel(key: string, value: string): IngressPeer {
    return new IngressPeer(undefined, key, value);
  }

  /**
   * Pods in the named namespace that carry the label `key=value`.
   */
  public static podsWithLabelInNamespace(namespace: string, key: string, value: string): IngressPeer {
    return new IngressPeer(namespace, key, value);
  }

  /**
   * @param namespaceName the namespace selected, or undefined for the service's own namespace
   * @param labelKey the pod label key selected, or undefined for every pod
   * @param labelValue the pod label value selected
   */
  private constructor(
    public readonly namespaceName: string | undefined,
    public readonly labelKey: string | undefined,
    public readonly labelValue: string | undefined,
  ) {}
}
