import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.vscode-test/**', 'test-output/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/core/**/*.ts'],
    rules: {
      // src/core is pure Node.js: it must run under `node --test` with no VS Code.
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core must not depend on vscode.' }] }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/settings.ts'],
    rules: {
      // One place per setting: its key, default and bounds.
      'no-restricted-syntax': ['error', {
        selector: "MemberExpression[property.name='getConfiguration']",
        message: 'Read settings through src/settings.ts.',
      }],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
);
