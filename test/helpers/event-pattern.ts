/**
 * EventBridge's matching and input transformation, for the subset the constructs use, so that rules can be checked
 * against the sample events of the AWS documentation without an AWS account:
 * - a pattern leaf is a list of literal values, `{ prefix }`, `{ exists }` or `{ 'anything-but': [...] }`; it matches
 *   when any value of the event's field (any element, when the field is a list) matches any entry;
 * - nested objects follow the event's fields; a list of objects in the event is flattened (each leaf path collects
 *   the values of every element), as EventBridge does;
 * - `$or: [pattern, ...]` matches when one of the patterns matches at that level.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function flatten(value: Json, prefix: string, out: Map<string, Json[]>): void {
  if (Array.isArray(value)) {
    for (const item of value) flatten(item, prefix, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix ? `${prefix}.${key}` : key, out);
  } else {
    const list = out.get(prefix) ?? [];
    list.push(value);
    out.set(prefix, list);
  }
}

function leafMatches(values: Json[] | undefined, entries: Json[]): boolean {
  return entries.some((entry) => {
    if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
      if ('exists' in entry) return (values !== undefined) === entry.exists;
      if ('prefix' in entry) return (values ?? []).some((v) => typeof v === 'string' && v.startsWith(entry.prefix as string));
      if ('anything-but' in entry) {
        const but = entry['anything-but'] as Json[];
        return values !== undefined && values.every((v) => !but.includes(v));
      }
      throw new Error(`unsupported pattern entry ${JSON.stringify(entry)}`);
    }
    return (values ?? []).includes(entry);
  });
}

function matchAt(pattern: { [key: string]: Json }, paths: Map<string, Json[]>, prefix: string): boolean {
  return Object.entries(pattern).every(([key, sub]) => {
    if (key === '$or') return (sub as { [key: string]: Json }[]).some((p) => matchAt(p, paths, prefix));
    const path = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray(sub)) return leafMatches(paths.get(path), sub);
    return matchAt(sub as { [key: string]: Json }, paths, path);
  });
}

/** Whether the event matches the rule's event pattern (as rendered in the template). */
export function eventMatches(pattern: object, event: object): boolean {
  const paths = new Map<string, Json[]>();
  flatten(event as Json, '', paths);
  return matchAt(pattern as { [key: string]: Json }, paths, '');
}

function readPath(event: Json, path: string): Json | undefined {
  if (!path.startsWith('$')) throw new Error(`not a JSON path: ${path}`);
  let value: Json | undefined = event;
  for (const part of path.slice(1).match(/\.[^.[]+|\[\d+\]/g) ?? []) {
    if (value === undefined || value === null) return undefined;
    if (part.startsWith('[')) value = Array.isArray(value) ? value[Number(part.slice(1, -1))] : undefined;
    else value = (value as { [key: string]: Json })[part.slice(1)];
  }
  return value;
}

/**
 * The text EventBridge sends for an input transformer: each `<name>` replaced by the value at its path; inside a JSON
 * string the value is inserted as text (escaped), elsewhere as JSON. A missing path gives an empty string.
 */
export function transformInput(inputPathsMap: Record<string, string>, inputTemplate: string, event: object): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < inputTemplate.length; i++) {
    const c = inputTemplate[i];
    if (c === '\\' && inString) {
      out += c + inputTemplate[++i];
      continue;
    }
    if (c === '"') inString = !inString;
    const placeholder = c === '<' ? /^<([A-Za-z0-9_-]+)>/.exec(inputTemplate.slice(i)) : null;
    if (placeholder && placeholder[1] in inputPathsMap) {
      const value = readPath(event as Json, inputPathsMap[placeholder[1]]);
      if (inString) out += value === undefined ? '' : typeof value === 'string' ? JSON.stringify(value).slice(1, -1) : JSON.stringify(value).replace(/"/g, '\\"');
      else out += value === undefined ? 'null' : JSON.stringify(value);
      i += placeholder[0].length - 1;
      continue;
    }
    out += c;
  }
  return out;
}
