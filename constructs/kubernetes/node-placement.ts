/**
 * A node label that the pods require (rendered into the pod's `nodeSelector`), e.g. `kubernetes.io/arch=arm64`.
 *
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodeselector
 */
export interface NodeLabel {
  /** The label key, e.g. `kubernetes.io/arch` or `karpenter.sh/nodepool`. */
  readonly key: string;
  /** The label value, e.g. `arm64`. */
  readonly value: string;
}

/**
 * The effect of a node taint that a toleration matches.
 *
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/
 */
export enum TolerationEffect {
  /** New pods are not scheduled on the node. */
  NO_SCHEDULE = 'NoSchedule',
  /** The scheduler tries to avoid the node. */
  PREFER_NO_SCHEDULE = 'PreferNoSchedule',
  /** Running pods are evicted from the node. */
  NO_EXECUTE = 'NoExecute',
}

/**
 * A node taint that the pods tolerate, e.g. the `nvidia.com/gpu` taint of a GPU node pool.
 *
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/
 */
export interface NodeToleration {
  /** The taint key. */
  readonly key: string;
  /**
   * The taint value to match (operator `Equal`).
   *
   * @default - any value (operator `Exists`)
   */
  readonly value?: string;
  /**
   * The taint effect to match.
   *
   * @default - every effect
   */
  readonly effect?: TolerationEffect;
}
