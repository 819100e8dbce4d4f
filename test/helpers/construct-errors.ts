import { ModelFleetError } from '../../constructs/core/private/modelfleet-error';

/**
 * The `ModelFleetError` code `fn` throws, `undefined` if it throws nothing, or a `not a ModelFleetError: ...` text
 * (which no expected code matches) if it throws something else.
 */
export function errorCodeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ModelFleetError ? err.code : `not a ModelFleetError: ${String(err)}`;
  }
  return undefined;
}

/** The `ModelFleetError` that `fn` throws; fails the test when it throws nothing or something else. */
export function modelFleetErrorOf(fn: () => unknown): ModelFleetError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ModelFleetError);
    return err as ModelFleetError;
  }
  throw new Error('expected a ModelFleetError, nothing was thrown');
}
