import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'cdk.out/**', 'node_modules/**', 'coverage/**', 'docs/api/**', '**/*.js', '**/*.mjs', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // One place acknowledges validation findings, and only on resources the construct created.
    files: ['constructs/**/*.ts'],
    ignores: ['constructs/core/private/acknowledge.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "CallExpression[callee.property.name='acknowledge'][callee.object.callee.object.name='Validations']",
        message: 'acknowledge findings with acknowledge(owner, resource, ...) from constructs/core/private/acknowledge.ts',
      }],
    },
  },
);
