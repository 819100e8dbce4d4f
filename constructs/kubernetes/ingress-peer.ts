/**
 * A source of traffic that the service's NetworkPolicy admits (on the model server's port only).
 *
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
export class IngressPeer {
  /**
   * Every pod in the named namespace (selected by its `kubernetes.io/metadata.name` label).
   *
   * @param namespaceName the namespace, e.g. 'monitoring'
   */
  public static podsInNamespace(namespaceName: string): IngressPeer {
    return new IngressPeer(namespaceName, undefined, undefined);
  }

  /**
   * Pods in the service's own namespace that carry the label `key=value`.
   */
  public static podsWithLabel(key: string, value: string): IngressPeer {
    return new IngressPeer(undefined, key, value);
  }

  /**
   * Pods in the named namespace that carry the label `key=value`.
   *
   * @param namespaceName the namespace, e.g. 'gateway'
   */
  public static podsWithLabelInNamespace(namespaceName: string, key: string, value: string): IngressPeer {
    return new IngressPeer(namespaceName, key, value);
  }

  /**
   * Sources by IP address: a CIDR block (IPv4 or IPv6), less the `exceptCidrs` blocks inside it. For load balancers
   * that send to the pod IPs from their own addresses (e.g. the AWS Load Balancer Controller's IP targets: the subnets
   * of the load balancer), which no pod or namespace selector matches.
   *
   * @param cidr e.g. '10.0.0.0/16'
   * @param exceptCidrs blocks inside `cidr` not admitted (the ipBlock's `except`); default none
   */
  public static ipBlock(cidr: string, exceptCidrs?: string[]): IngressPeer {
    return new IngressPeer(undefined, undefined, undefined, cidr, exceptCidrs);
  }

  /** The namespace selected; undefined for the service's own namespace. */
  public readonly namespaceName?: string;
  /** The pod label key selected; undefined for every pod of the namespace. */
  public readonly labelKey?: string;
  /** The pod label value selected. */
  public readonly labelValue?: string;
  /** The CIDR block admitted; undefined for pod and namespace peers. */
  public readonly cidr?: string;
  /** The blocks inside `cidr` that are not admitted (the ipBlock's `except`). */
  public readonly exceptCidrs?: string[];

  private constructor(namespaceName?: string, labelKey?: string, labelValue?: string, cidr?: string, exceptCidrs?: string[]) {
    this.namespaceName = namespaceName;
    this.labelKey = labelKey;
    this.labelValue = labelValue;
    this.cidr = cidr;
    this.exceptCidrs = exceptCidrs;
  }
}
