/**
 * A label put on a Kubernetes object's metadata, e.g. `release=kube-prometheus-stack` for a Prometheus whose
 * `serviceMonitorSelector` selects by it.
 *
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/
 */
export interface ObjectLabel {
  /** The label key, e.g. `release`. */
  readonly key: string;
  /** The label value, e.g. `kube-prometheus-stack`. */
  readonly value: string;
}
