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

  /** The namespace selected; undefined for the service's own namespace. */
  public readonly namespaceName?: string;
  /** The pod label key selected; undefined for every pod of the namespace. */
  public readonly labelKey?: string;
  /** The pod label value selected. */
  public readonly labelValue?: string;

  private constructor(namespaceName?: string, labelKey?: string, labelValue?: string) {
    this.namespaceName = namespaceName;
    this.labelKey = labelKey;
    this.labelValue = labelValue;
  }
}
