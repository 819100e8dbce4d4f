import { IConstruct } from 'constructs';
import { ModelFleetError } from '../../model/modelfleet-error';

/**
 * Collects the problems found while validating an `EdgeFleet`, then throws them at once as one `ModelFleetError`
 * whose `code` is the first problem's (`Code: message; Code2: message2 (at App/Stack/Fleet)`).
 */
export class ProblemCollector {
  private readonly problems: { code: string; message: string }[] = [];

  public add(code: string, message: string): void {
    this.problems.push({ code, message });
  }

  public throwIfAny(scope: IConstruct): void {
    if (this.problems.length === 0) {
      return;
    }
    const [first, ...rest] = this.problems;
    const more = rest.map((p) => `; ${p.code}: ${p.message}`).join('');
    throw new ModelFleetError(first.code, `${first.message}${more}`, scope);
  }
}
