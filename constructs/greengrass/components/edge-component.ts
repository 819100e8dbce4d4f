import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/**
 * A Greengrass component version to deploy: what `EdgeFleet` takes (`components` prop, `addComponent(ref)`).
 */
export interface EdgeComponentRef {
  /** The component name, e.g. `modelfleet.Model.iris` (a literal: deployments key their components by name). */
  readonly componentName: string;
  /**
   * The component version. From a component construct, the version resource's attribute: deploying it also makes the
   * deployment wait for the component version to exist.
   */
  readonly componentVersion: string;
}

/** A Greengrass component version with artifacts in S3. */
export interface IEdgeComponent extends IConstruct {
  /** The component's name. */
  readonly componentName: string;
  /** The component's version: derived from its content, so unchanged bytes keep their version. */
  readonly componentVersion: string;
  /** What a deployment lists. */
  readonly ref: EdgeComponentRef;
  /**
   * Lets `grantee` (the fleet's token exchange role) read this component's artifacts and those of its dependencies.
   */
  grantArtifactRead(grantee: iam.IGrantable): iam.Grant;
}
