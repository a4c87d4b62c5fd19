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
);
