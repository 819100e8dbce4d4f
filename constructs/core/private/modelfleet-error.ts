import { IConstruct } from 'constructs';
import { ErrorCode } from './error-codes';

/**
 * The one error class of the modelfleet constructs (internal: jsii does not let a public class extend `Error`; users
 * test errors with `ModelFleetErrors.isModelFleetError(e)` and `ModelFleetErrors.codeOf(e)`).
 *
 * The message reads `<Code>: <what went wrong, the bad value, the fix> (at <construct path>)`. `code` is stable and
 * listed in `constructs/ERRORS.md`: match on it, not on the message.
 */
export class ModelFleetError extends Error {
  /** Stable error code, e.g. `ModelContractMismatch` (`constructs/ERRORS.md`). */
  public readonly code: ErrorCode;

  /** Path of the construct that raised the error, when there is one. */
  public readonly constructPath?: string;

  /**
   * @param code stable error code (PascalCase, registered in `error-codes.ts`)
   * @param message what went wrong, the bad value and the fix
   * @param scope the construct the error is about
   */
  constructor(code: ErrorCode, message: string, scope?: IConstruct) {
    super(`${code}: ${message}${scope ? ` (at ${scope.node.path})` : ''}`);
    this.name = 'ModelFleetError';
    this.code = code;
    this.constructPath = scope?.node.path;
    // Marks the error across module copies and the jsii kernel, where `instanceof` may not hold.
    Object.defineProperty(this, MODELFLEET_ERROR_SYMBOL, { value: true, enumerable: false });
  }
}

/** Marks a `ModelFleetError` (a registered symbol: it survives two copies of the package in one app). */
export const MODELFLEET_ERROR_SYMBOL = Symbol.for('modelfleet.ModelFleetError');
