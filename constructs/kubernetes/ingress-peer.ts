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
   * Sources by IP address: a CIDR block (IPv4 or IPv6), less the `except` blocks inside it. For load balancers that
   * send to the pod IPs from their own addresses (e.g. the AWS Load Balancer Controller's IP targets: the subnets of
   * the load balancer), which no pod or namespace selector matches.
   *
   * @param cidr e.g. '10.0.0.0/16'
   * @param except blocks inside `cidr` not admitted; default none
   */
  public static ipBlock(cidr: string, except?: string[]): IngressPeer {
    return new IngressPeer(undefined, undefined, undefined, cidr, except);
  }

  /** The namespace selected; undefined for the service's own namespace. */
  public readonly namespaceName?: string;
  /** The pod label key selected; undefined for every pod of the namespace. */
  public readonly labelKey?: string;
  /** The pod label value selected. */
  public readonly labelValue?: string;
  /** The CIDR block admitted; undefined for pod and namespace peers. */
  public readonly cidr?: string;
  /** The blocks inside `cidr` that are not admitted. */
  public readonly except?: string[];

  private constructor(namespaceName?: string, labelKey?: string, labelValue?: string, cidr?: string, except?: string[]) {
    this.namespaceName = namespaceName;
    this.labelKey = labelKey;
    this.labelValue = labelValue;
    this.cidr = cidr;
    this.except = except;
  }
}
