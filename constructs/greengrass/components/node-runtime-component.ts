import * as greengrassv2 from 'aws-cdk-lib/aws-greengrassv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EdgeComponentRef, IEdgeComponent } from './edge-component';
import { EdgePlatform } from './edge-platform';
import { NODE_PACKAGES, PlatformId } from './private/artifacts';
import {
  artifactsFor, createPlatformFileComponent, DEFAULT_COMPONENT_NAME_PREFIX, grantComponentArtifactRead, validateComponentProps,
} from './private/component-base';

/** Properties of a `NodeRuntimeComponent`. */
export interface NodeRuntimeComponentProps {
  /** The bucket the artifact goes to (the model store's bucket), under `edge/<component>/<version>/`. */
  readonly bucket: s3.IBucket;

  /**
   * Prefix of the component name: the component is `<prefix>.NodeRuntime`.
   *
   * @default 'modelfleet'
   */
  readonly componentNamePrefix?: string;

  /**
   * The platforms to ship Node for (one manifest each).
   *
   * @default - EdgePlatform.all(): 64-bit ARM (Raspberry Pi) and 64-bit x86
   */
  readonly platforms?: EdgePlatform[];
}

/**
 * `<prefix>.NodeRuntime`: the `node` binary as a Greengrass artifact (`Execute: OWNER`), so a Pi needs no Node install.
 * Other components run `{<prefix>.NodeRuntime:artifacts:path}/node`. Its `Install` step runs `node --version`, so a
 * binary that cannot run on the device fails the deployment early.
 */
export class NodeRuntimeComponent extends Construct implements IEdgeComponent {
  public readonly componentName: string;
  public readonly componentVersion: string;
  public readonly ref: EdgeComponentRef;
  /** The component version resource. */
  public readonly resource: greengrassv2.CfnComponentVersion;
  /** The bucket holding the artifacts. */
  public readonly bucket: s3.IBucket;
  /** The platforms shipped. */
  public readonly platforms: EdgePlatform[];

  constructor(scope: Construct, id: string, props: NodeRuntimeComponentProps) {
    super(scope, id);
    const prefix = props.componentNamePrefix ?? DEFAULT_COMPONENT_NAME_PREFIX;
    this.platforms = props.platforms ?? EdgePlatform.all();
    validateComponentProps(this, prefix, this.platforms);

    this.bucket = props.bucket;
    this.componentName = `${prefix}.NodeRuntime`;
    const built = artifactsFor(this);
    const created = createPlatformFileComponent(this, {
      componentName: this.componentName,
      description: `Node.js for modelfleet-edge (${this.platforms.map((p) => `${p.nodePlatform} ${NODE_PACKAGES[p.nodePlatform as PlatformId].version}`).join(', ')})`,
      dependencies: {},
      bucket: this.bucket,
      platforms: this.platforms,
      artifactOf: (p) => built.node[p],
      permissions: { execute: 'OWNER' },
      installScript: () => `'{artifacts:path}/node' --version`,
    });
    this.componentVersion = created.version;
    this.resource = created.resource;
    this.ref = { componentName: this.componentName, componentVersion: this.resource.attrComponentVersion };
  }

  public grantArtifactRead(grantee: iam.IGrantable): iam.Grant {
    return grantComponentArtifactRead(grantee, this.bucket, this.componentName);
  }
}
