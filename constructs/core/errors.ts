import { MODELFLEET_ERROR_SYMBOL } from './private/modelfleet-error';

/**
 * Tells the errors the modelfleet constructs throw from other errors.
 *
 * Every construct error is one class with a stable code (the list, with each code's meaning and fix, is
 * `constructs/ERRORS.md` in the package). Its message reads `<Code>: <what went wrong, the bad value, the fix>
 * (at <construct path>)`, so in Python, Java, .NET and Go, where the error arrives as the jsii runtime's own error, the
 * code is also the message's first word.
 *
 * ```ts
 * try { app.synth(); } catch (e) { if (ModelFleetErrors.codeOf(e) === 'ModelContractMismatch') { ... } }
 * ```
 */
export class ModelFleetErrors {
  /** Whether `x` is an error thrown by a modelfleet construct. */
  public static isModelFleetError(x: unknown): boolean {
    return x !== null && typeof x === 'object' && (x as Record<symbol, unknown>)[MODELFLEET_ERROR_SYMBOL] === true;
  }

  /** The stable code of a modelfleet construct error (e.g. `ModelContractMismatch`), or undefined for any other value. */
  public static codeOf(x: unknown): string | undefined {
    return ModelFleetErrors.isModelFleetError(x) ? String((x as { code: unknown }).code) : undefined;
  }

  /** The path of the construct a modelfleet construct error is about, when it names one. */
  public static constructPathOf(x: unknown): string | undefined {
    return ModelFleetErrors.isModelFleetError(x) ? (x as { constructPath?: string }).constructPath : undefined;
  }

  private constructor() {}
}
