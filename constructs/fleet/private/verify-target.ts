/**
 * What a `ModelFleet` tells `modelfleet verify` through the stack's outputs: one CfnOutput per model, whose value is
 * this JSON document (tokens resolved by CloudFormation at deploy time).
 */

/** Output keys (logical ids) of verify targets start with this prefix. */
export const VERIFY_OUTPUT_PREFIX = 'ModelFleetVerify';

/** The schema version of the document. */
export const VERIFY_SCHEMA = 1;

/** The value of a verify output. */
export interface VerifyTarget {
  /** Always `VERIFY_SCHEMA`: marks the output as a modelfleet verify target. */
  readonly modelfleet: number;
  /** The model's name in the store. */
  readonly model: string;
  /** The deployed version. */
  readonly version: string;
  /** The stack's region (where the SageMaker endpoint is). */
  readonly region?: string;
  /** The SageMaker endpoint's name, when the SageMaker target is on. */
  readonly sagemakerEndpointName?: string;
  /** The Kubernetes service URL, when the chart is applied to a cluster by the stack. */
  readonly kubernetesServiceUrl?: string;
  /**
   * `s3://<bucket>/<key>` of the Kubernetes YAML for GitOps, when `cdk deploy` publishes it into the store (the
   * workload holds deploy-time values); a YAML written at synth is in the cloud assembly instead.
   */
  readonly kubernetesManifestUrl?: string;
  /** The store bucket's name. */
  readonly bucket?: string;
  /** The key of `golden.json` in the store. */
  readonly goldenKey?: string;
  /** The path of `golden.json` relative to the cloud assembly's root directory. */
  readonly goldenAssemblyPath?: string;
}

/** The output key of a model's verify target: the prefix and the model name reduced to letters and digits. */
export function verifyOutputKey(modelName: string): string {
  const words = modelName.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
  return VERIFY_OUTPUT_PREFIX + words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}

/** The path of a model version's `golden.json` inside a cloud assembly directory. */
export function goldenAssemblyPath(modelName: string, version: string): string {
  return `modelfleet/${modelName}/${version}/golden.json`;
}
