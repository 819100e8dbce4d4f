import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IDependable } from 'constructs';
import { ModelContract } from '../model';
import type { IModelStore } from './model-store';
import { grantPrefixRead } from './private/prefix-read';

/** Properties of a `StoredModel`. */
export interface StoredModelProps {
  /** Model name in the store (`models/<name>/...`). */
  readonly name: string;

  /** Model version in the store (`models/<name>/<version>/...`). */
  readonly version: string;

  /** The store bucket. */
  readonly bucket: s3.IBucket;

  /** sha256 of `model.onnx`, 64 hex characters. */
  readonly sha256: string;

  /** Size of `model.onnx` in bytes. */
  readonly sizeBytes: number;

  /** The model's contract. */
  readonly contract: ModelContract;

  /**
   * Absolute path of the model file on the synth machine.
   *
   * @default - the model is not a local file
   */
  readonly localPath?: string;

  /**
   * Absolute path of a `contract.json` written at synth.
   *
   * @default - none written
   */
  readonly localContractPath?: string;

  /** What puts the objects in the bucket: anything that must find them at create time depends on it. */
  readonly upload: IDependable;

  /**
   * The store the model is in, for targets that publish deploy-time files next to it (`store.publishFile`).
   *
   * @default - not known (a StoredModel made by hand): such targets write their files with their own upload
   */
  readonly store?: IModelStore;
}

/**
 * A model in a `ModelStore`, at `s3://<bucket>/models/<name>/<version>/model.onnx` with its `contract.json`
 * (content-addressed, never overwritten). What `ModelStore.addModel` returns and every target consumes.
 */
export class StoredModel {
  /** Model name in the store. */
  public readonly name: string;

  /** Model version: by default the first 12 hex characters of `sha256`. */
  public readonly version: string;

  /** The store bucket. */
  public readonly bucket: s3.IBucket;

  /** `models/<name>/<version>/`. */
  public readonly prefix: string;

  /** `<prefix>model.onnx`. */
  public readonly objectKey: string;

  /** `<prefix>contract.json`. */
  public readonly contractKey: string;

  /** sha256 of `model.onnx`, 64 hex characters. */
  public readonly sha256: string;

  /** Size of `model.onnx` in bytes. */
  public readonly sizeBytes: number;

  /** The model's contract. */
  public readonly contract: ModelContract;

  /** Absolute path of the model file on the synth machine, for assets (undefined for a model copied from S3). */
  public readonly localPath?: string;

  /** Absolute path of the `contract.json` written at synth. */
  public readonly localContractPath?: string;

  /** What puts the objects in the bucket: anything that must find them at create time depends on it. */
  public readonly upload: IDependable;

  /** The store the model is in (undefined for a StoredModel made by hand). */
  public readonly store?: IModelStore;

  constructor(props: StoredModelProps) {
    this.name = props.name;
    this.version = props.version;
    this.bucket = props.bucket;
    this.prefix = `models/${props.name}/${props.version}/`;
    this.objectKey = `${this.prefix}model.onnx`;
    this.contractKey = `${this.prefix}contract.json`;
    this.sha256 = props.sha256;
    this.sizeBytes = props.sizeBytes;
    this.contract = props.contract;
    this.localPath = props.localPath;
    this.localContractPath = props.localContractPath;
    this.upload = props.upload;
    this.store = props.store;
  }

  /** `s3://<bucket>/<objectKey>`. */
  public get s3Url(): string {
    return this.bucket.s3UrlForObject(this.objectKey);
  }

  /** `s3://<bucket>/<prefix>` (a "directory" URL, as SageMaker's uncompressed model data wants it). */
  public get s3PrefixUrl(): string {
    return this.bucket.s3UrlForObject(this.prefix);
  }

  /**
   * Grants read access to this model version's objects only: `s3:GetObject` on `<prefix>*` and `s3:ListBucket`
   * conditioned on `s3:prefix` = `<prefix>*`; and decrypt on the store's KMS key when it has one.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return grantPrefixRead(this.bucket, grantee, this.prefix);
  }
}
