// Lint rules that keep the architecture honest (../shared/DESIGN.md "Boundaries are
// checked by a tool"): the contract imports no Node or Electron, the engine knows no
// store/transport, and the renderer reaches only shared/ and itself.
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'http', 'net'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/artifacts/**', 'bin/**', 'scripts/**', '**/*.js', '**/*.mjs', '**/*.cjs', '**/*.vue'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'shared/ is the contract: it runs in the renderer too, so no Node modules.' },
          { group: ['electron'], message: 'shared/ must not depend on Electron.' },
          { group: ['**/src-main/**', '**/src-renderer/**'], message: 'shared/ imports only itself and zod.' },
        ],
      }],
    },
  },
  {
    files: ['src-main/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/store/**', '**/app/**', '**/server/**', '**/core/**', '**/cli/**'], message: 'engine/ knows nothing of storage, transports or the shell.' },
          { group: ['electron', 'better-sqlite3', 'ws'], message: 'engine/ knows nothing of storage, transports or the shell.' },
        ],
      }],
    },
  },
  {
    files: ['src-main/core/**/*.ts', 'src-main/store/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['electron', '**/app/**', '**/server/**'], message: 'core/ and store/ are transport-free: no Electron, no HTTP.' },
        ],
      }],
    },
  },
  {
    files: ['src-renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'The renderer has no Node access.' },
          { group: ['electron', '**/src-main/**'], message: 'The renderer talks to the main side only through the api client.' },
        ],
      }],
    },
  },
);
