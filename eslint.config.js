// One linter for the whole repo: typescript-eslint's recommended rules, plus the typed rule
// no-floating-promises for src/ (type information only where it pays), and the layering rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'native/build/',
      'native/build-*/',
      '.cache/',
      '.probe/',
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
              group: ['../*', './runtime/*', './storage/*'],
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
    // Layering: the Raft core and its runtime know nothing of vectors. Only bytes
    // cross them; the state machine and the server plug in through ports (the
    // runtime may use the shared wire layer, src/api, for the peer API's proto).
    files: ['src/raft/runtime/**/*.ts', 'src/raft/storage/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./\\.\\./(storage|server|client|index|cli)/',
              message: 'src/raft/** depends on no other part of raftvec (use a port)',
            },
          ],
        },
      ],
    },
  },
  {
    // Every promise is awaited, returned or explicitly dropped with `void`: a
    // forgotten one is a write that nobody waits for, or an error nobody sees.
    files: ['src/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
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
