import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { ModelFleetErrors } from '../../../constructs/core';
import { ERROR_CODE_AREAS } from '../../../constructs/core/private/error-codes';
import { errorCodesMarkdown } from '../../../constructs/core/private/error-docs';
import { ModelFleetError } from '../../../constructs/core/private/modelfleet-error';
import { ModelSource } from '../../../constructs/model';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && e.name !== 'error-codes.ts' ? [p] : [];
  });
}

describe('construct error codes', () => {
  const all = ERROR_CODE_AREAS.flatMap((area) => Object.entries(area.codes as Record<string, string>));

  test('constructs/ERRORS.md is the one written from the tables (run `npm run docs:errors` after changing a code)', () => {
    expect(fs.readFileSync(path.join(ROOT, 'constructs', 'ERRORS.md'), 'utf8')).toBe(errorCodesMarkdown());
  });

  test('no code is registered in two areas', () => {
    const codes = all.map(([code]) => code);
    expect(codes.filter((c, i) => codes.indexOf(c) !== i)).toEqual([]);
  });

  test('every code says what went wrong and how to fix it', () => {
    const bad = all.filter(([, doc]) => doc.length < 30 || /\bTODO\b/.test(doc) || /^<value>/.test(doc));
    expect(bad.map(([code]) => code)).toEqual([]);
  });

  test('every registered code is thrown somewhere in the constructs (no dead entries)', () => {
    const source = sourceFiles(path.join(ROOT, 'constructs')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    expect(all.map(([code]) => code).filter((code) => !source.includes(`'${code}'`))).toEqual([]);
  });
});

describe('ModelFleetErrors', () => {
  test('tells the code and construct path of a construct error', () => {
    const stack = new Stack(undefined, 'S');
    let thrown: unknown;
    try {
      ModelSource.fromAsset(path.join(ROOT, 'models', 'missing.onnx')).bind(stack);
    } catch (e) {
      thrown = e;
    }
    expect(ModelFleetErrors.isModelFleetError(thrown)).toBe(true);
    expect(ModelFleetErrors.codeOf(thrown)).toBe('ModelFileNotFound');
    expect((thrown as Error).message).toMatch(/^ModelFileNotFound: /);
  });

  test('names the construct path', () => {
    const stack = new Stack(undefined, 'S');
    expect(ModelFleetErrors.constructPathOf(new ModelFleetError('ModelFileNotFound', 'x', stack))).toBe('S');
  });

  test('says no for other errors and values', () => {
    for (const value of [new Error('ModelFileNotFound: no'), undefined, null, 'ModelFileNotFound', { code: 'ModelFileNotFound' }]) {
      expect(ModelFleetErrors.isModelFleetError(value)).toBe(false);
      expect(ModelFleetErrors.codeOf(value)).toBeUndefined();
    }
  });
});
