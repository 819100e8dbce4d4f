import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ModelFleetError } from '../core/private/modelfleet-error';
import { OnnxReadError, readOnnxFile } from './private/onnx-reader';

const DATATYPES = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES',
];

/** One input or output tensor of a model. */
export interface TensorSpec {
  /** Tensor name, as in the ONNX graph. */
  readonly name: string;

  /** Element type: an Open Inference Protocol datatype name (`FP32`, `INT64`, ...; see `ModelContract.DATATYPES`). */
  readonly datatype: string;

  /** Dimensions, `-1` for a dynamic dimension (e.g. `[-1, 4]` for a batch of 4 features). */
  readonly shape: number[];
}

/** A declared model contract. */
export interface ModelContractProps {
  /** The graph inputs (initializers excluded), in graph order. */
  readonly inputs: TensorSpec[];

  /** The graph outputs, in graph order. */
  readonly outputs: TensorSpec[];
}

/** The `contract.json` document written next to every stored model (see docs/design.md). */
export interface ModelContractDocument {
  /** Always 1. */
  readonly schemaVersion: number;
  /** Model name in the store. */
  readonly name: string;
  /** Model version in the store. */
  readonly version: string;
  /** sha256 of `model.onnx`, 64 hex characters. */
  readonly sha256: string;
  /** Size of `model.onnx` in bytes (absent when not known at synth). */
  readonly sizeBytes?: number;
  /** Opset of the default ONNX domain (absent when not known at synth). */
  readonly opset?: number;
  /** Input tensors. */
  readonly inputs: TensorSpec[];
  /** Output tensors. */
  readonly outputs: TensorSpec[];
}

/**
 * The contract of an ONNX model: its input and output tensors and, when read from a file, its opset, byte size and
 * sha256.
 *
 * `ModelContract.of(...)` declares what a model must look like; `ModelContract.fromFile(path)` reads what it really is
 * (a protobuf parse of the file, cached per path + mtime + size).
 */
export class ModelContract {
  /**
   * Element types of tensors: the Open Inference Protocol (KServe V2) datatype names.
   *
   * @see https://kserve.github.io/website/latest/modelserving/data_plane/v2_protocol/#tensor-data-types
   */
  public static readonly DATATYPES: string[] = [...DATATYPES];

  /**
   * A declared contract, to check a model file against (`ModelSource.fromAsset(path, { contract })`).
   *
   * Fails with `ModelContractInvalid` for an unknown datatype, a shape dimension below -1 or a duplicate tensor name.
   * Token values are accepted as they are.
   */
  public static of(props: ModelContractProps): ModelContract {
    const problems: string[] = [];
    const check = (kind: string, tensors: TensorSpec[]) => {
      const seen = new Set<string>();
      for (const t of tensors) {
        if (!Token.isUnresolved(t.name)) {
          if (!t.name) problems.push(`${kind} with an empty name`);
          if (seen.has(t.name)) problems.push(`${kind} '${t.name}' is declared twice`);
          seen.add(t.name);
        }
        if (!Token.isUnresolved(t.datatype) && !DATATYPES.includes(t.datatype)) {
          problems.push(`${kind} '${t.name}' has datatype '${t.datatype}', expected one of ${DATATYPES.join(', ')}`);
        }
        if (!Token.isUnresolved(t.shape)) {
          for (const d of t.shape) {
            if (!Token.isUnresolved(d) && (!Number.isInteger(d) || d < -1)) {
              problems.push(`${kind} '${t.name}' has shape dimension ${d}, expected an integer >= 0 or -1 for dynamic`);
            }
          }
        }
      }
    };
    check('input', props.inputs);
    check('output', props.outputs);
    if (problems.length > 0) {
      throw new ModelFleetError('ModelContractInvalid', `the declared model contract is invalid: ${problems.join('; ')}`);
    }
    return new ModelContract(props.inputs, props.outputs);
  }

  /**
   * Reads the real contract of an ONNX file (names, V2 datatypes, shapes with -1 for dynamic dimensions, opset,
   * byte size, sha256).
   *
   * Fails with `ModelFileNotFound`, `ModelFileInvalid` (not an ONNX model) or `ModelTensorTypeUnsupported`.
   *
   * @param path the model file
   * @param scope construct to name in errors
   * @default - errors name no construct
   */
  public static fromFile(path: string, scope?: IConstruct): ModelContract {
    try {
      const facts = readOnnxFile(path);
      return new ModelContract(facts.inputs, facts.outputs, {
        filePath: facts.path,
        opset: facts.opset,
        sizeBytes: facts.sizeBytes,
        sha256: facts.sha256,
        irVersion: facts.irVersion,
      });
    } catch (err) {
      if (err instanceof OnnxReadError) throw new ModelFleetError(err.code, err.message, scope);
      throw err;
    }
  }

  /** Input tensors, in graph order. */
  public readonly inputs: TensorSpec[];

  /** Output tensors, in graph order. */
  public readonly outputs: TensorSpec[];

  /** Absolute path of the file this contract was read from (undefined for a declared contract). */
  public readonly filePath?: string;

  /** Opset of the default ONNX domain (undefined for a declared contract). */
  public readonly opset?: number;

  /** ONNX IR version of the file (undefined for a declared contract). */
  public readonly irVersion?: number;

  /** Size of the file in bytes (undefined for a declared contract). */
  public readonly sizeBytes?: number;

  /** sha256 of the file, 64 hex characters (undefined for a declared contract). */
  public readonly sha256?: string;

  private constructor(inputs: TensorSpec[], outputs: TensorSpec[], facts: {
    filePath?: string; opset?: number; irVersion?: number; sizeBytes?: number; sha256?: string;
  } = {}) {
    const copy = (t: TensorSpec): TensorSpec => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] });
    this.inputs = inputs.map(copy);
    this.outputs = outputs.map(copy);
    this.filePath = facts.filePath;
    this.opset = facts.opset;
    this.irVersion = facts.irVersion;
    this.sizeBytes = facts.sizeBytes;
    this.sha256 = facts.sha256;
  }

  /** True when the contract was read from a model file rather than declared. */
  public get isFromFile(): boolean {
    return this.filePath !== undefined;
  }

  /** The input with this name. */
  public input(name: string): TensorSpec | undefined {
    return this.inputs.find((t) => t.name === name);
  }

  /** The output with this name. */
  public output(name: string): TensorSpec | undefined {
    return this.outputs.find((t) => t.name === name);
  }

  /**
   * Differences between this (declared) contract and the actual one, one sentence each; empty when they agree.
   * Unresolved tokens in the declaration are not compared.
   */
  public differencesFrom(actual: ModelContract): string[] {
    const diffs: string[] = [];
    const compare = (kind: string, declared: TensorSpec[], real: TensorSpec[]) => {
      const declaredNames = declared.map((t) => t.name).filter((n) => !Token.isUnresolved(n));
      for (const t of real) {
        if (!declaredNames.includes(t.name) && !declared.some((d) => Token.isUnresolved(d.name))) {
          diffs.push(`${kind} '${t.name}': not declared, actual ${describe(t)}`);
        }
      }
      for (const d of declared) {
        if (Token.isUnresolved(d.name)) continue;
        const t = real.find((r) => r.name === d.name);
        if (!t) {
          diffs.push(`${kind} '${d.name}': declared ${describe(d)}, actual: no such ${kind} ` +
            `(the model's ${kind}s are ${real.map((r) => `'${r.name}'`).join(', ') || 'none'})`);
          continue;
        }
        if (!Token.isUnresolved(d.datatype) && d.datatype !== t.datatype) {
          diffs.push(`${kind} '${d.name}' datatype: declared ${d.datatype}, actual ${t.datatype}`);
        }
        if (Token.isUnresolved(d.shape)) continue;
        const sameRank = d.shape.length === t.shape.length;
        const sameDims = sameRank && d.shape.every((dim, i) => Token.isUnresolved(dim) || dim === t.shape[i]);
        if (!sameDims) {
          diffs.push(`${kind} '${d.name}' shape: declared ${formatShape(d.shape)}, actual ${formatShape(t.shape)}`);
        }
      }
    };
    compare('input', this.inputs, actual.inputs);
    compare('output', this.outputs, actual.outputs);
    return diffs;
  }

  /**
   * Checks this declared contract against the actual one and fails with `ModelContractMismatch`, naming the model
   * file, every differing tensor, the declared and the actual value.
   *
   * @param actual the contract read from the model file
   * @param scope construct to name in the error
   * @default - the error names no construct
   */
  public assertMatches(actual: ModelContract, scope?: IConstruct): void {
    const diffs = this.differencesFrom(actual);
    if (diffs.length > 0) {
      throw new ModelFleetError('ModelContractMismatch',
        `model file ${actual.filePath ?? '(declared contract)'} does not match its declared contract: ${diffs.join('; ')}. ` +
        'Fix the declaration (contract: ModelContract.of(...)) or the model file', scope);
    }
  }

  /** The `contract.json` document for this contract as model `name` at `version`. */
  public toDocument(name: string, version: string, sha256?: string): ModelContractDocument {
    const hash = sha256 ?? this.sha256;
    if (!hash) {
      throw new ModelFleetError('ModelSha256Required',
        `the contract of model '${name}' was not read from a file, so its sha256 is unknown; pass the sha256`);
    }
    return {
      schemaVersion: 1,
      name,
      version,
      sha256: hash,
      sizeBytes: this.sizeBytes,
      opset: this.opset,
      inputs: this.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] })),
      outputs: this.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] })),
    };
  }
}

function formatShape(shape: number[]): string {
  return `[${shape.join(', ')}]`;
}

function describe(t: TensorSpec): string {
  return `${t.datatype} ${formatShape(t.shape)}`;
}
