import { IConstruct } from 'constructs';

/**
 * The one error class of the modelfleet constructs.
 *
 * The message reads `<Code>: <what went wrong, the bad value, the fix> (at <construct path>)`. `code` is stable:
 * match on it, not on the message.
 */
export class ModelFleetError extends Error {
  /** Stable error code, e.g. `ModelContractMismatch`. */
  public readonly code: string;

  /** Path of the construct that raised the error, when there is one. */
  public readonly constructPath?: string;

  /**
   * @param code stable error code (PascalCase)
   * @param message what went wrong, the bad value and the fix
   * @param scope the construct the error is about
   */
  constructor(code: string, message: string, scope?: IConstruct) {
    super(`${code}: ${message}${scope ? ` (at ${scope.node.path})` : ''}`);
    this.name = 'ModelFleetError';
    this.code = code;
    this.constructPath = scope?.node.path;
  }
}
