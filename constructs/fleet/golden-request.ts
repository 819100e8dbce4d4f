import * as fs from 'node:fs';
import * as path from 'node:path';
import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ModelContract } from '../model';
import { ModelFleetError } from '../core/private/modelfleet-error';
import { checkRequest, sampleRequest, V2InferRequest } from './private/golden';

/** What a `GoldenRequest` gives a fleet. */
export interface GoldenRequestConfig {
  /** The Open Inference Protocol (V2) inference request, as JSON; undefined when no golden request is made. */
  readonly requestJson?: string;

  /** Whether the request was generated from the contract (a generated request that the model refuses is a warning, not an error). */
  readonly generated: boolean;
}

/**
 * The sample request that is run through the model at synth and checked against every target after deploy
 * (`modelfleet verify`).
 */
export abstract class GoldenRequest {
  /**
   * A request generated from the model's contract: every dynamic dimension becomes 1, the values are a fixed
   * sequence (numbers in [0, 1), alternating booleans, `sample-<i>` strings).
   */
  public static generated(): GoldenRequest {
    return new GeneratedGoldenRequest();
  }

  /**
   * A V2 inference request given as JSON text: `{"inputs": [{"name", "datatype", "shape", "data"}]}`.
   *
   * @param json the request
   */
  public static fromJson(json: string): GoldenRequest {
    return new GivenGoldenRequest(json, 'the given golden request');
  }

  /**
   * A V2 inference request read from a JSON file.
   *
   * @param file path of the file (relative paths resolve from the current directory)
   */
  public static fromFile(file: string): GoldenRequest {
    if (Token.isUnresolved(file)) {
      throw new ModelFleetError('GoldenRequestPathUnresolved', 'GoldenRequest.fromFile needs a literal path, got a token');
    }
    const resolved = path.resolve(file);
    if (!fs.existsSync(resolved)) {
      throw new ModelFleetError('GoldenRequestFileNotFound', `golden request file ${resolved} does not exist; `
        + 'write a V2 inference request there or use GoldenRequest.generated()');
    }
    return new GivenGoldenRequest(fs.readFileSync(resolved, 'utf8'), resolved);
  }

  /** No golden request: nothing is run at synth and `modelfleet verify` has nothing to check for this model. */
  public static none(): GoldenRequest {
    return new NoGoldenRequest();
  }

  /**
   * The request for a model with this contract.
   *
   * @param scope construct to name in errors
   * @param contract the model's contract
   */
  public abstract bind(scope: IConstruct, contract: ModelContract): GoldenRequestConfig;
}

class GeneratedGoldenRequest extends GoldenRequest {
  public bind(scope: IConstruct, contract: ModelContract): GoldenRequestConfig {
    try {
      return { requestJson: JSON.stringify(sampleRequest(contract.inputs)), generated: true };
    } catch (err) {
      throw new ModelFleetError('GoldenRequestNotGenerated', `${(err as Error).message}; `
        + 'give one with goldenRequest: GoldenRequest.fromFile(path), or turn it off with GoldenRequest.none()', scope);
    }
  }
}

class GivenGoldenRequest extends GoldenRequest {
  constructor(private readonly json: string, private readonly where: string) {
    super();
  }

  public bind(scope: IConstruct, contract: ModelContract): GoldenRequestConfig {
    let request: V2InferRequest;
    try {
      request = JSON.parse(this.json) as V2InferRequest;
    } catch (err) {
      throw new ModelFleetError('GoldenRequestInvalid', `${this.where} is not JSON: ${(err as Error).message}`, scope);
    }
    const problems = checkRequest(request, contract.inputs);
    if (problems.length > 0) {
      throw new ModelFleetError('GoldenRequestInvalid',
        `${this.where} does not fit the model: ${problems.join('; ')}; fix the request or use GoldenRequest.generated()`, scope);
    }
    return { requestJson: JSON.stringify({ inputs: request.inputs }), generated: false };
  }
}

class NoGoldenRequest extends GoldenRequest {
  public bind(_scope: IConstruct, _contract: ModelContract): GoldenRequestConfig {
    return { generated: false };
  }
}
