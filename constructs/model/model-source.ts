import * as path from 'node:path';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { ModelContract } from './model-contract';
import { ModelFleetError } from '../core/private/modelfleet-error';

/** Options of `ModelSource.fromAsset`. */
export interface AssetModelSourceOptions {
  /**
   * The contract the model file must have; any difference from the file fails synth.
   *
   * @default - the contract is read from the file and not checked
   */
  readonly contract?: ModelContract;
}

/** Options of `ModelSource.fromBucket`. */
export interface BucketModelSourceOptions {
  /**
   * The contract of the model object. An S3 object cannot be opened at synth, so this is what targets and
   * `contract.json` use.
   *
   * @default - no contract: `ModelStore.addModel` fails with `ModelContractRequired`
   */
  readonly contract?: ModelContract;

  /**
   * sha256 of the model object (64 hex characters): the store's content-addressed version and the runtime's
   * integrity check come from it.
   *
   * @default - unknown: `ModelStore.addModel` fails with `ModelSha256Required`
   */
  readonly sha256?: string;

  /**
   * Size of the model object in bytes, written to `contract.json`.
   *
   * @default - not recorded
   */
  readonly sizeBytes?: number;
}

/** Options of `ModelSource.bind`. */
export interface ModelSourceBindOptions {
  /**
   * Who will read the model object: granted `s3:GetObject` on it.
   *
   * @default - nothing is granted
   */
  readonly grantee?: iam.IGrantable;
}

/** Where a bound model lives in S3 and what it is. */
export interface ModelSourceConfig {
  /** The bucket holding the model object. */
  readonly bucket: s3.IBucket;

  /** The key of the model object. */
  readonly objectKey: string;

  /** `s3://bucket/key` of the model object. */
  readonly s3Url: string;

  /** The model's contract: read from the file for an asset, the declared one for a bucket object. */
  readonly contract?: ModelContract;

  /** sha256 of the model, when known. */
  readonly sha256?: string;

  /** Size of the model in bytes, when known. */
  readonly sizeBytes?: number;

  /** Absolute path of the model file on the synth machine, for an asset. */
  readonly localPath?: string;
}

/**
 * Where a model comes from: a local ONNX file (an asset) or an object already in S3.
 *
 * `bind()` makes the model available in S3 and grants read access to whoever consumes it.
 */
export abstract class ModelSource {
  /**
   * A local ONNX file. Its real contract is read at synth (names, datatypes, shapes, opset, size, sha256) and checked
   * against `options.contract` when given.
   *
   * @param file path of the `.onnx` file (relative paths resolve from the current directory)
   */
  public static fromAsset(file: string, options: AssetModelSourceOptions = {}): ModelSource {
    return new AssetModelSource(file, options);
  }

  /**
   * An ONNX object already in S3. Nothing is read at synth; declare its contract and sha256 in the options.
   *
   * @param bucket the bucket holding the model
   * @param key the object key of the model
   */
  public static fromBucket(bucket: s3.IBucket, key: string, options: BucketModelSourceOptions = {}): ModelSource {
    return new BucketModelSource(bucket, key, options);
  }

  /** Absolute path of the model file on the synth machine (undefined for a bucket object). */
  public abstract readonly localPath?: string;

  /** The contract declared in the options (undefined when none was). */
  public abstract readonly declaredContract?: ModelContract;

  /**
   * The model's contract: for a file, the real one (checked against the declared one, failing synth on any
   * difference); for a bucket object, the declared one.
   *
   * @param scope construct to name in errors
   */
  public abstract contract(scope: IConstruct): ModelContract | undefined;

  /**
   * Makes the model available in S3 (an asset is staged and uploaded by the CDK) and grants `options.grantee` read
   * access to it.
   *
   * @param scope the construct that uses the model
   */
  public abstract bind(scope: Construct, options?: ModelSourceBindOptions): ModelSourceConfig;
}

class AssetModelSource extends ModelSource {
  public readonly localPath: string;
  public readonly declaredContract?: ModelContract;

  constructor(file: string, options: AssetModelSourceOptions) {
    super();
    if (Token.isUnresolved(file)) {
      throw new ModelFleetError('ModelAssetPathUnresolved',
        'ModelSource.fromAsset needs a literal file path, got a token; use ModelSource.fromBucket for a deploy-time location');
    }
    this.localPath = path.resolve(file);
    this.declaredContract = options.contract;
  }

  public contract(scope: IConstruct): ModelContract {
    const actual = ModelContract.fromFile(this.localPath, scope);
    this.declaredContract?.assertMatches(actual, scope);
    return actual;
  }

  public bind(scope: Construct, options: ModelSourceBindOptions = {}): ModelSourceConfig {
    const contract = this.contract(scope);
    const id = `ModelAsset${contract.sha256!.slice(0, 12)}`;
    const asset = (scope.node.tryFindChild(id) as s3assets.Asset | undefined)
      ?? new s3assets.Asset(scope, id, { path: this.localPath });
    if (options.grantee) asset.grantRead(options.grantee);
    return {
      bucket: asset.bucket,
      objectKey: asset.s3ObjectKey,
      s3Url: asset.s3ObjectUrl,
      contract,
      sha256: contract.sha256,
      sizeBytes: contract.sizeBytes,
      localPath: this.localPath,
    };
  }
}

class BucketModelSource extends ModelSource {
  public readonly localPath?: string = undefined;
  public readonly declaredContract?: ModelContract;

  constructor(private readonly bucket: s3.IBucket, private readonly key: string, private readonly options: BucketModelSourceOptions) {
    super();
    this.declaredContract = options.contract;
    const sha = options.sha256;
    if (sha !== undefined && !Token.isUnresolved(sha) && !/^[0-9a-f]{64}$/.test(sha)) {
      throw new ModelFleetError('ModelSha256Invalid',
        `sha256 of s3 object '${key}' must be 64 lower-case hex characters, got '${sha}'; compute it with sha256sum`);
    }
    const size = options.sizeBytes;
    if (size !== undefined && !Token.isUnresolved(size) && (!Number.isInteger(size) || size <= 0)) {
      throw new ModelFleetError('ModelSizeInvalid',
        `sizeBytes of s3 object '${key}' must be a positive integer, got ${size}`);
    }
  }

  public contract(_scope: IConstruct): ModelContract | undefined {
    return this.declaredContract;
  }

  public bind(_scope: Construct, options: ModelSourceBindOptions = {}): ModelSourceConfig {
    if (options.grantee) this.bucket.grantRead(options.grantee, this.key);
    return {
      bucket: this.bucket,
      objectKey: this.key,
      s3Url: this.bucket.s3UrlForObject(this.key),
      contract: this.declaredContract,
      sha256: this.options.sha256,
      sizeBytes: this.options.sizeBytes,
    };
  }
}
