import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/**
 * A Greengrass component version to deploy: what an edge fleet takes (`components` prop, `addComponent(componentRef)`).
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
  /** What a deployment lists: the name and the version resource's attribute. */
  readonly componentRef: EdgeComponentRef;
  /**
   * Lets `grantee` (the fleet's token exchange role) read this component's artifacts and those of its dependencies.
   * Acknowledges no finding: the fleet that created the grantee does (`IEdgeFleet.addEdgeComponent`).
   *
   * @returns the grants of this component and of its dependencies, combined
   */
  grantArtifactRead(grantee: iam.IGrantable): iam.Grant;
}
