/** The desktop app's choice of better-sqlite3 build, and the store loading an addon given by path. */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { ELECTRON_SQLITE_RELATIVE, electronSqliteBuild } from '../../../src-main/app/sqlite-build.ts';
import { createCore } from '../../../src-main/core/core.ts';
import { openDatabase } from '../../../src-main/store/database.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';

const nodeBuild = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');

test('the Electron build in native/electron/ is chosen when present, and the log line says which build', () => {
  const present = electronSqliteBuild('/app', (p) => p === join('/app', ELECTRON_SQLITE_RELATIVE));
  assert.equal(present.binding, join('/app', 'native', 'electron', 'better_sqlite3.node'));
  assert.equal(present.description, `better-sqlite3: the Electron build ${present.binding}`);
  const absent = electronSqliteBuild('/app', () => false);
  assert.equal(absent.binding, null);
  assert.match(absent.description, /^better-sqlite3: the build in node_modules \(no native\/electron\/better_sqlite3\.node/);
});

test('the store loads the addon it is given (nativeBinding); a missing one fails naming the database', { timeout: 30_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const db = openDatabase(join(tmp.dir, 'a.db'), { nativeBinding: nodeBuild });
    assert.deepEqual(db.prepare('SELECT 1 + 1 AS two').get(), { two: 2 });
    db.close();
    const core = await createCore({ home: join(tmp.dir, 'home'), sqliteBinding: nodeBuild, diagnostics: () => {} });
    assert.deepEqual(core.runs.list().runs, []);
    await core.close();
    assert.throws(() => openDatabase(join(tmp.dir, 'b.db'), { nativeBinding: join(tmp.dir, 'missing.node') }), /Could not open the database .*b\.db/);
  } finally {
    tmp.cleanup();
  }
});
