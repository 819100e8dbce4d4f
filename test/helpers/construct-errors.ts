import { ModelFleetError } from '../../constructs/model';

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
