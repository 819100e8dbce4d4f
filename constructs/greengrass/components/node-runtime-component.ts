import * as greengrassv2 from 'aws-cdk-lib/aws-greengrassv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EdgeComponentRef, IEdgeComponent } from './edge-component';
import { EdgePlatform } from './edge-platform';
import { NODE_PACKAGES, PlatformId } from './private/artifacts';
import {
  artifactsFor, checkPlatforms, checkPrefix, createComponentVersion, DEFAULT_COMPONENT_NAME_PREFIX, edgeKeyPrefix,
  Problems, uploadPerPlatform,
} from './private/component-base';
import { acknowledgeArtifactRead } from './private/acknowledgements';
import { RecipeSpec } from './private/recipe';

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
    const problems = new Problems();
    checkPrefix(prefix, problems);
    checkPlatforms(this.platforms, problems);
    problems.throwIfAny(this);

    this.bucket = props.bucket;
    this.componentName = `${prefix}.NodeRuntime`;
    const built = artifactsFor(this);
    const name = this.componentName;
    const spec: RecipeSpec = {
      componentName: name,
      description: `Node.js for modelfleet-edge (${this.platforms.map((p) => `${p.nodePlatform} ${NODE_PACKAGES[p.nodePlatform as PlatformId].version}`).join(', ')})`,
      publisher: 'modelfleet',
      dependencies: {},
      manifests: this.platforms.map((p) => {
        const node = built.node[p.nodePlatform as PlatformId];
        return {
          os: p.os,
          architecture: p.architecture,
          artifacts: [{
            key: (v: string) => `${edgeKeyPrefix(name, v, p.nodePlatform as PlatformId)}${node.fileName}`,
            sha256: node.sha256,
            execute: 'OWNER' as const,
          }],
          lifecycle: { Install: { Script: `'{artifacts:path}/node' --version`, Timeout: 120 } },
        };
      }),
    };
    const created = createComponentVersion(this, spec, this.bucket, (version) =>
      uploadPerPlatform(this, 'Upload-', this.bucket, name, version, this.platforms, (p) => built.node[p]));
    this.componentVersion = created.version;
    this.resource = created.resource;
    this.ref = { componentName: this.componentName, componentVersion: this.resource.attrComponentVersion };
  }

  public grantArtifactRead(grantee: iam.IGrantable): iam.Grant {
    acknowledgeArtifactRead(grantee, this.bucket, `edge/${this.componentName}/`);
    return this.bucket.grantRead(grantee, `edge/${this.componentName}/*`);
  }
}
