// The lint of `make lint` (and so of `make check`): typescript-eslint's recommended rules and a few
// type-aware rules chosen for what they catch in a runtime. The layout is prettier's
// (.prettierrc.json, `prettier --check` in make lint, `npm run format`): eslint-config-prettier,
// last, turns off every rule that would argue with it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'native/**', 'node_modules/**', 'rootfs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // `const { a: _a, ...rest } = x` drops a field; `_` names what is there only by position.
      // tspod matches control characters on purpose (terminal output, sysctl values, log lines).
      'no-control-regex': 'off',
      // `let x` assigned once, after a closure that reads it was made (a signal handler).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A promise nobody awaits or handles is an unhandled rejection: the supervisor dies with a
      // stack trace and its pod is left Orphaned (issue 18). `void p` says "handled elsewhere".
      '@typescript-eslint/no-floating-promises': 'error',
      // An async callback where a plain one is expected (an event handler, a forEach): its
      // rejection reaches nobody.
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // Errors are Error objects (Node system errors from the addon, wrapped with a cause), so
      // `err.code`, `err.cause` and the stack are always there.
      '@typescript-eslint/only-throw-error': 'error',
      // A message naming a field must never say "[object Object]".
      '@typescript-eslint/no-base-to-string': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    // Tests read what the CLI printed (JSON.parse) and assert on its shape.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  prettier,
);
