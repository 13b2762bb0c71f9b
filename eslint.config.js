// One linter for the whole repo: typescript-eslint's recommended rules with type information off
// (fast enough for CI on 2 cores).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'native/build/',
      'src/generated/',
      '.cluster/',
      'coverage/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The Raft core stays pure: no I/O, no clock, no other part of raftvec. The runtime
    // in src/raft/runtime/ does the I/O around it.
    files: ['src/raft/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'net', 'http2', 'child_process'],
              message: 'the Raft core does no I/O',
            },
            {
              group: ['@grpc/*', 'level', 'classic-level', 'protobufjs'],
              message: 'the Raft core does no I/O',
            },
            {
              group: ['../*', './runtime/*'],
              message: 'the Raft core depends on nothing outside src/raft',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'the Raft core is driven by tick()' },
        { name: 'setInterval', message: 'the Raft core is driven by tick()' },
        { name: 'Date', message: 'the Raft core reads no clock' },
      ],
    },
  },
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'off',
    },
  },
);
