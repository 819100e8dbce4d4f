import { ERROR_CODE_AREAS } from './error-codes';

/** `constructs/ERRORS.md`: every construct error code, by area, with its meaning and fix (from `error-codes.ts`). */
export function errorCodesMarkdown(): string {
  const lines = [
    '# Construct error codes',
    '',
    '<!-- Written by `npm run docs:errors` from the `private/error-codes.ts` tables; test/constructs/core/errors.test.ts checks it. -->',
    '',
    'Every error a modelfleet construct throws reads `<Code>: <what went wrong, the bad value, the fix> (at <construct path>)`.',
    'The code is stable: match on it (`ModelFleetErrors.codeOf(e)` in TypeScript; the first word of the message in',
    'Python, Java, .NET and Go), not on the message. A props check reports every problem it finds at once: the error',
    'carries the first code, and its message lists the others with their own codes. Codes are never reused.',
    '',
    'The runtime (`modelfleet-edge`) has its own codes: `edge/ERRORS.md`.',
  ];
  for (const area of ERROR_CODE_AREAS) {
    const entries = Object.entries(area.codes as Record<string, string>).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) continue;
    lines.push('', `## ${area.title}`, '', '| Code | Meaning and fix |', '|---|---|');
    for (const [code, doc] of entries) lines.push(`| \`${code}\` | ${doc.replace(/\|/g, '\\|')} |`);
  }
  return lines.join('\n') + '\n';
}
