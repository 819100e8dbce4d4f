import * as greengrassv2 from 'aws-cdk-lib/aws-greengrassv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EdgeComponentRef, IEdgeComponent } from './edge-component';
import { EdgePlatform } from './edge-platform';
import { EdgeRuntimeArtifacts } from './edge-runtime-artifacts';
import { NodeRuntimeComponent } from './node-runtime-component';
import { runtimeZipFolder } from './private/artifacts';
import {
  createPlatformFileComponent, grantComponentArtifactRead, validateComponentProps,
} from './private/component-base';
import { folderSource } from './private/recipe';

/** The tunable settings of a `ModelServerComponent`. */
export interface ModelServerComponentOptions {
  /**
   * Prefix of the component name: the component is `<prefix>.ModelServer`.
   *
   * @default - the node runtime's prefix
   */
  readonly componentNamePrefix?: string;

  /**
   * The platforms to ship the runtime for; each must also be shipped by `nodeRuntime`.
   *
   * @default - the node runtime's platforms
   */
  readonly platforms?: EdgePlatform[];

  /**
   * The prebuilt runtime zips to ship.
   *
   * @default EdgeRuntimeArtifacts.fromPackage() - the zips built into the installed modelfleet package
   */
  readonly runtimeArtifacts?: EdgeRuntimeArtifacts;
}

/** Properties of a `ModelServerComponent`: its settings, where its artifacts go and the Node it runs on. */
export interface ModelServerComponentProps extends ModelServerComponentOptions {
  /** The bucket the runtime zips go to (the model store's bucket), under `edge/<component>/<version>/`. */
  readonly bucket: s3.IBucket;

  /** The Node component the server runs on (a dependency of this component). */
  readonly nodeRuntime: NodeRuntimeComponent;
}

/**
 * `<prefix>.ModelServer`: the `modelfleet-edge` runtime as a zip per platform (`Unarchive: ZIP`, `Read: ALL`: the model components read it), unpacked on the
 * device to `{artifacts:decompressedPath}/modelfleet-edge-<platform>/` with `cli.js`, `worker.js`, `wait-ready.js`
 * and a `node_modules/` holding onnxruntime for that platform only. Its `Install` step loads onnxruntime with the
 * bundled Node, so a device whose CPU or C library cannot run it fails the deployment before any model starts.
 */
export class ModelServerComponent extends Construct implements IEdgeComponent {
  public readonly componentName: string;
  public readonly componentVersion: string;
  public readonly componentRef: EdgeComponentRef;
  /** The component version resource. */
  public readonly resource: greengrassv2.CfnComponentVersion;
  /** The bucket holding the artifacts. */
  public readonly bucket: s3.IBucket;
  /** The platforms shipped. */
  public readonly platforms: EdgePlatform[];
  /** The Node component this one depends on. */
  public readonly nodeRuntime: NodeRuntimeComponent;

  constructor(scope: Construct, id: string, props: ModelServerComponentProps) {
    super(scope, id);
    this.nodeRuntime = props.nodeRuntime;
    const prefix = props.componentNamePrefix ?? props.nodeRuntime.componentName.replace(/\.NodeRuntime$/, '');
    this.platforms = props.platforms ?? props.nodeRuntime.platforms;
    validateComponentProps(this, prefix, this.platforms, (problems) => {
      for (const p of this.platforms) {
        if (!props.nodeRuntime.platforms.includes(p)) {
          problems.add('EdgeComponentPlatformWithoutNode',
            `platform ${p.nodePlatform} is not shipped by the node runtime ${props.nodeRuntime.node.path}: add it there or remove it here`);
        }
      }
    });

    this.bucket = props.bucket;
    this.componentName = `${prefix}.ModelServer`;
    const nodeName = props.nodeRuntime.componentName;
    const artifacts = props.runtimeArtifacts ?? EdgeRuntimeArtifacts.fromPackage();
    const zips = new Map(this.platforms.map((p) => [p.nodePlatform, artifacts.runtimeZip(this, p)]));
    const created = createPlatformFileComponent(this, {
      componentName: this.componentName,
      description: 'modelfleet-edge: the Open Inference Protocol server on onnxruntime-node (runtime only; models are their own components)',
      dependencies: { [nodeName]: props.nodeRuntime.componentVersion },
      bucket: this.bucket,
      platforms: this.platforms,
      artifactOf: (p) => {
        const zip = zips.get(p)!;
        return { fileName: zip.fileName, sha256: zip.sha256, source: () => folderSource(zip.directory, zip.sha256) };
      },
      // Read ALL: the Model component's lifecycle reads cli.js, worker.js and wait-ready.js, possibly before this
      // component's own Install has chowned them from root (see NodeRuntimeComponent).
      permissions: { unarchive: 'ZIP', read: 'ALL' },
      installScript: (p) => {
        const ort = `{artifacts:decompressedPath}/${runtimeZipFolder(p)}/node_modules/onnxruntime-node`;
        return `'{${nodeName}:artifacts:path}/node' -e 'require(process.argv[1])' '${ort}'`;
      },
    });
    this.componentVersion = created.version;
    this.resource = created.resource;
    this.componentRef = { componentName: this.componentName, componentVersion: this.resource.attrComponentVersion };
  }

  /** Read access to the runtime zips and to the Node binaries this component depends on. */
  public grantArtifactRead(grantee: iam.IGrantable): iam.Grant {
    return this.nodeRuntime.grantArtifactRead(grantee)
      .combine(grantComponentArtifactRead(grantee, this.bucket, this.componentName));
  }
}
