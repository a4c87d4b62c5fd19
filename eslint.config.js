// Lint for the whole repository (`npx eslint .`, part of `npm test`): typescript-eslint's recommended
// type-aware rules over every TypeScript folder we write (production, demo, bench, scripts and tests). The
// generated proto types (proto/gen, see proto/generate.sh) and build output are not ours to lint. Every
// tuning below says why; nothing is switched off for convenience.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'proto/gen/', 'test/cluster/kube/', 'bin/', 'scripts/*.mjs'] },
  {
    files: ['agent/**/*.ts', 'cloud/**/*.ts', 'common/**/*.ts', 'proto/**/*.ts', 'demo/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          // A parameter a signature needs but the body does not (an interface method, a callback's leading
          // arguments) is named with a leading underscore, as TypeScript's own noUnusedParameters allows.
          argsIgnorePattern: '^_',
          caughtErrors: 'all',
          caughtErrorsIgnorePattern: '^_',
          // `const { secret: _drop, ...rest } = x` is how a field is left out of a copy.
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // No test sleeps a fixed time and then asserts: a test waits on the condition it asserts, with a deadline
    // (test/helpers/wait.ts `eventually`), or drives an injected clock (@sinonjs/fake-timers). A timer that
    // *rejects* or resolves a race with a deadline is fine; a promise that only resolves after N ms is not.
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Promise'] CallExpression[callee.name='setTimeout'][arguments.0.type='Identifier']",
          message: 'A fixed sleep in a test: wait on the condition with eventually() from test/helpers/wait.ts, or drive a fake clock.',
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: ['node:timers/promises', 'timers/promises'].map((name) => ({
            name,
            importNames: ['setTimeout', 'scheduler'],
            message: 'A fixed sleep in a test: wait on the condition with eventually() from test/helpers/wait.ts, or drive a fake clock.',
          })),
        },
      ],
    },
  },
  {
    // The only timers allowed to pause a test: eventually()'s own polling interval, and the in-memory
    // provider's `logs -f` poll (behaviour of the double, not a wait before an assertion).
    files: ['test/helpers/wait.ts', 'test/helpers/memory-provider.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
