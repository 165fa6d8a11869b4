// Lint rules that keep the architecture honest (../shared/DESIGN.md "Boundaries are
// checked by a tool"): the contract imports no Node or Electron, the engine knows no
// store/transport, and the renderer reaches only shared/ and itself. Import cycles (type-only
// imports included) are checked by .dependency-cruiser.mjs, which `npm run lint` runs next;
// test/unit/lint-rules.test.ts makes sure both keep firing.
//
// engine/ and acquire/: acquire/ brings outside things in (downloads, archive extraction,
// safe readers of foreign formats such as pickles) and may use engine/data's types and
// errors; the engine imports nothing from it. Where the engine needs a foreign reader (the
// CIFAR python version), the caller passes acquire's reader in (engine/data/dataset-readers.ts),
// as it passes the way to start threads (engine/engine-threads.ts) instead of workers/.
import pluginVue from 'eslint-plugin-vue';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'http', 'net'];

/** What the renderer (its .ts and .vue files) may not import: it reaches only shared/ and itself. */
const rendererBoundary = [
  { group: nodeBuiltins, message: 'The renderer has no Node access.' },
  { group: ['electron', '**/src-main/**', '**/test/**', '**/scripts/**'], message: 'The renderer imports only shared/ and itself; it talks to the main side through the api client.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/artifacts/**', 'bin/**', 'scripts/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
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
          { group: ['**/store/**', '**/app/**', '**/server/**', '**/core/**', '**/cli/**', '**/cluster/**'], message: 'engine/ knows nothing of storage, transports, the shell or the cluster.' },
          { group: ['**/workers/**'], message: 'engine/ does not know where worker entry files live: it starts threads through the ThreadStarter it is given (engine/engine-threads.ts).' },
          { group: ['**/acquire/**'], message: 'engine/ does not acquire data: readers of foreign formats are given to it (engine/data/dataset-readers.ts).' },
          { group: ['electron', 'better-sqlite3', 'ws'], message: 'engine/ knows nothing of storage, transports or the shell.' },
        ],
      }],
    },
  },
  // The CLI is one more client of the contract: it calls the core through Core.call (the same
  // dispatch as IPC and HTTP) and never reaches the database behind the services.
  {
    files: ['src-main/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/store/**', 'better-sqlite3', '**/core/call-dispatch.ts'], message: 'cli/ is a client of the contract: it calls core.call(method, input); the store is private to core/.' },
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
  // Renderer: .vue files are parsed (template by vue-eslint-parser, script by the TypeScript
  // parser) and held to the same boundary as its .ts files: only shared/ and the renderer
  // itself. Components and views reach the main side through the stores, never the api client.
  ...pluginVue.configs['flat/essential'],
  {
    files: ['src-renderer/**/*.vue'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' },
    },
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.vue'],
    rules: {
      'no-restricted-imports': ['error', { patterns: rendererBoundary }],
    },
  },
  {
    files: ['src-renderer/components/**', 'src-renderer/views/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...rendererBoundary,
          { group: ['**/api/*', '**/src-renderer/api'], message: 'Components and views reach the API through a Pinia store (src-renderer/stores/).' },
        ],
      }],
    },
  },
);
