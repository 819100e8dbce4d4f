import { SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ErrorCode } from './error-codes';
import { ModelFleetError } from './modelfleet-error';

/** Size conversions that never round. */
export const EXACT_SIZE = { rounding: SizeRoundingBehavior.NONE };

interface FieldError {
  readonly code: ErrorCode;
  readonly message: string;
}

/**
 * Collects the problems of a construct's props and throws them together, once: the error's code is the first
 * problem's, its message lists every problem with its own code, the bad value and the fix.
 */
export class FieldErrors {
  private readonly errors: FieldError[] = [];

  /** Records a problem: `message` says what is wrong, with the bad value, and how to fix it. */
  public add(code: ErrorCode, message: string): void {
    this.errors.push({ code, message });
  }

  /**
   * Checks that a number lies in [min, max] (and is an integer unless `fractional`); skips undefined and tokens.
   */
  public range(code: ErrorCode, field: string, value: number | undefined, min: number, max: number, fix: string,
    fractional = false): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    const kind = fractional ? 'a number' : 'an integer';
    if (!Number.isFinite(value) || value < min || value > max || (!fractional && !Number.isInteger(value))) {
      this.add(code, `${field} must be ${kind} between ${min} and ${max}, got ${value}; ${fix}`);
    }
  }

  public get count(): number {
    return this.errors.length;
  }

  /** Throws one `ModelFleetError` holding every recorded problem, if there is any. */
  public throwIfAny(scope: IConstruct): void {
    if (this.errors.length === 0) return;
    const [first, ...rest] = this.errors;
    const more = rest.map((e) => `\n  ${e.code}: ${e.message}`).join('');
    const summary = rest.length > 0 ? `${first.message}\n  and ${rest.length} more:${more}\n` : first.message;
    throw new ModelFleetError(first.code, summary, scope);
  }
}

/** Formats a value for an error message. */
export function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
