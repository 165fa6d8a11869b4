import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../../../src-main/store/migrations/index.ts';
import { up as up0008 } from '../../../../src-main/store/migrations/0008-models.ts';

const SHA = 'a'.repeat(64);

test('0008 adds a STRICT models table: unique name and sha256, checked layout, format and JSON columns', () => {
  const db = new Database(':memory:');
  for (const m of MIGRATIONS.slice(0, 7)) m.up(db);
  up0008(db);
  assert.match(db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'models'`).pluck().get() as string, /STRICT/);
  const insert = db.prepare(`INSERT INTO models (id, name, file_name, file_bytes, sha256, arch, config, layout, format, imported_at)
    VALUES (@id, @name, 'f.pth.tar', 10, @sha, 'resnet50', @config, @layout, 'zip', 'x')`);
  const row = { id: 'a1', name: 'm', sha: SHA, config: '{"lowDim":128,"width":64}', layout: 'imagenet' };
  insert.run(row);
  assert.throws(() => insert.run({ ...row, id: 'a2', sha: 'b'.repeat(64) }), /UNIQUE constraint failed: models.name/);
  assert.throws(() => insert.run({ ...row, id: 'a3', name: 'n' }), /UNIQUE constraint failed: models.sha256/);
  assert.throws(() => insert.run({ ...row, id: 'a4', name: 'o', sha: 'c'.repeat(64), layout: 'tf' }), /CHECK constraint/);
  assert.throws(() => insert.run({ ...row, id: 'a5', name: 'p', sha: 'd'.repeat(64), config: 'not json' }), /CHECK constraint/);
  assert.throws(() => db.prepare(`UPDATE models SET file_bytes = 'big' WHERE id = 'a1'`).run(), /cannot store TEXT value in INTEGER column/);
  const stored = db.prepare(`SELECT train_folder, class_names, bank_rows, stored_bytes FROM models`).get();
  assert.deepEqual(stored, { train_folder: null, class_names: null, bank_rows: null, stored_bytes: 0 });
  db.close();
});
