/**
 * The architecture rules that `npm run lint` enforces, run on small snippets so that a rule
 * cannot vanish or stop matching unnoticed: eslint.config.js's boundaries (engine → workers,
 * engine → acquire, engine → store, cli → store, shared → node:fs) and .dependency-cruiser.mjs's import
 * cycles, type-only imports included. Each case has a control that must stay clean.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { cruise, type IConfiguration, type ICruiseOptions, type IViolation } from 'dependency-cruiser';
import { ESLint } from 'eslint';
import { makeTempDir } from '../fixtures/temp-home.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const cruiserConfigUrl = new URL('../../.dependency-cruiser.mjs', import.meta.url).href;
const cruiserConfig = ((await import(cruiserConfigUrl)) as { default: IConfiguration }).default;
const eslint = new ESLint({ cwd: repoRoot });

/** The messages of no-restricted-imports for `code` as if it were the file at `filePath`. */
async function boundaryMessages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, filePath) });
  assert.ok(result, `eslint returned no result for ${filePath}`);
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `${filePath} did not parse`);
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('boundary rules (eslint.config.js)', () => {
  const cases: { what: string; file: string; code: string; says: RegExp }[] = [
    {
      what: 'engine imports workers/',
      file: 'src-main/engine/data/lint-fixture.ts',
      code: "import { resolveWorkerEntry } from '../../workers/worker-entry.ts';\nexport const entry = resolveWorkerEntry;\n",
      says: /ThreadStarter/,
    },
    {
      what: 'engine imports acquire/',
      file: 'src-main/engine/data/lint-fixture.ts',
      code: "import { unpickle } from '../../acquire/safe-unpickler.ts';\nexport const read = unpickle;\n",
      says: /does not acquire data/,
    },
    {
      what: 'engine imports acquire/ for a type only',
      file: 'src-main/engine/train/lint-fixture.ts',
      code: "import type { PyValue } from '../../acquire/safe-unpickler.ts';\nexport type Value = PyValue;\n",
      says: /does not acquire data/,
    },
    {
      what: 'engine imports store/',
      file: 'src-main/engine/train/lint-fixture.ts',
      code: "import { openDatabase } from '../../store/database.ts';\nexport const open = openDatabase;\n",
      says: /knows nothing of storage/,
    },
    {
      what: 'cli imports store/',
      file: 'src-main/cli/lint-fixture.ts',
      code: "import { openStore } from '../store/store.ts';\nexport const open = openStore;\n",
      says: /client of the contract/,
    },
    {
      what: 'cli calls the dispatch itself instead of core.call',
      file: 'src-main/cli/lint-fixture.ts',
      code: "import { dispatchCall } from '../core/call-dispatch.ts';\nexport const call = dispatchCall;\n",
      says: /client of the contract/,
    },
    {
      what: 'shared imports node:fs',
      file: 'shared/lint-fixture.ts',
      code: "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n",
      says: /no Node modules/,
    },
  ];
  for (const c of cases) {
    it(`fails when ${c.what}`, async () => {
      const messages = await boundaryMessages(c.file, c.code);
      assert.equal(messages.length, 1, `expected one boundary error, got ${JSON.stringify(messages)}`);
      assert.match(messages[0]!, c.says);
    });
  }

  it('passes imports inside the room and of the rooms it may use', async () => {
    assert.deepEqual(
      await boundaryMessages(
        'src-main/engine/data/lint-fixture.ts',
        "import type { Dataset } from './dataset.ts';\nimport { startEngineThread } from '../engine-threads.ts';\nimport { DatasetSpecSchema } from '../../../shared/run-config.ts';\nexport type D = Dataset;\nexport const s = [startEngineThread, DatasetSpecSchema];\n",
      ),
      [],
    );
    assert.deepEqual(
      await boundaryMessages('src-main/acquire/lint-fixture.ts', "import { DatasetError } from '../engine/data/data-errors.ts';\nexport const E = DatasetError;\n"),
      [],
    );
    assert.deepEqual(await boundaryMessages('src-main/cli/lint-fixture.ts', "import { createCore } from '../core/core.ts';\nexport const c = createCore;\n"), []);
    assert.deepEqual(await boundaryMessages('shared/lint-fixture.ts', "import { z } from 'zod';\nexport const n = z.number();\n"), []);
  });
});

describe('import cycles (.dependency-cruiser.mjs)', () => {
  const tmp = makeTempDir('snca-lint-cycles-');
  after(() => tmp.cleanup());

  function writeFiles(folder: string, files: Record<string, string>): string {
    const dir = join(tmp.dir, folder);
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }

  async function cycleViolations(dir: string): Promise<IViolation[]> {
    // The project's rules and options, on the fixture folder (without the project's tsconfig).
    const { tsConfig: _projectTsConfig, ...projectOptions } = cruiserConfig.options ?? {};
    const options: ICruiseOptions = { ...projectOptions, ruleSet: { forbidden: cruiserConfig.forbidden ?? [] }, validate: true, baseDir: dir };
    const result = await cruise(['.'], options);
    assert.equal(typeof result.output, 'object', 'the cruise returns its result as an object');
    const output = result.output as Exclude<typeof result.output, string>;
    assert.ok(output.modules.length >= 2, `the fixture modules were read (${output.modules.map((m) => m.source).join(', ')})`);
    return output.summary.violations.filter((v) => v.rule.name === 'no-cycle');
  }

  it('fails on a cycle of value imports', async () => {
    const dir = writeFiles('values', {
      'a.ts': "import { b } from './b.ts';\nexport const a = (): number => b + 1;\n",
      'b.ts': "import { a } from './a.ts';\nexport const b = 1;\nexport const useA = a;\n",
    });
    const found = await cycleViolations(dir);
    assert.ok(found.length >= 1, 'the cycle a.ts ↔ b.ts is reported');
    assert.deepEqual(new Set(found.flatMap((v) => [v.from, v.to])), new Set(['a.ts', 'b.ts']));
  });

  it('fails on a cycle that runs through a type-only import', async () => {
    const dir = writeFiles('types', {
      'model.ts': "import { buildNet } from './net.ts';\nexport interface Slot { name: string }\nexport const build = buildNet;\n",
      'net.ts': "import type { Slot } from './model.ts';\nexport function buildNet(): Slot[] { return []; }\n",
    });
    const found = await cycleViolations(dir);
    assert.ok(found.length >= 1, 'the cycle model.ts → net.ts ⇢ model.ts is reported');
  });

  it('passes the same modules once the shared type has a module of its own', async () => {
    const dir = writeFiles('split', {
      'slot.ts': 'export interface Slot { name: string }\n',
      'model.ts': "import { buildNet } from './net.ts';\nexport type { Slot } from './slot.ts';\nexport const build = buildNet;\n",
      'net.ts': "import type { Slot } from './slot.ts';\nexport function buildNet(): Slot[] { return []; }\n",
    });
    assert.deepEqual(await cycleViolations(dir), []);
  });
});
