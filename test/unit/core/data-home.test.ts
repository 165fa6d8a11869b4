import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataPaths, resolveDataHome } from '../../../src-main/core/data-home.ts';

test('SNCA_HOME wins on every platform', () => {
  assert.equal(resolveDataHome({ env: { SNCA_HOME: '/data/snca' }, platform: 'linux', homedir: '/home/u' }), '/data/snca');
  assert.equal(resolveDataHome({ env: { SNCA_HOME: 'C:\\snca' }, platform: 'win32', homedir: 'C:\\Users\\u' }), 'C:\\snca');
});

test('OS defaults: XDG on linux, Application Support on mac, APPDATA on windows', () => {
  assert.equal(resolveDataHome({ env: {}, platform: 'linux', homedir: '/home/u' }), '/home/u/.local/share/snca-studio');
  assert.equal(resolveDataHome({ env: { XDG_DATA_HOME: '/xdg' }, platform: 'linux', homedir: '/home/u' }), '/xdg/snca-studio');
  assert.equal(
    resolveDataHome({ env: { XDG_DATA_HOME: 'relative/ignored' }, platform: 'linux', homedir: '/home/u' }),
    '/home/u/.local/share/snca-studio',
  );
  assert.equal(resolveDataHome({ env: { SNCA_HOME: '  ' }, platform: 'darwin', homedir: '/Users/u' }), '/Users/u/Library/Application Support/SNCA Studio');
  assert.equal(
    resolveDataHome({ env: { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, platform: 'win32', homedir: 'C:\\Users\\u' }),
    'C:\\Users\\u\\AppData\\Roaming\\SNCA Studio',
  );
});

test('layout: snca.db and runs/<id>/checkpoints', () => {
  const p = dataPaths('/h');
  assert.equal(p.database, '/h/snca.db');
  assert.equal(p.runDir('abc'), '/h/runs/abc');
  assert.equal(p.checkpointsDir('abc'), '/h/runs/abc/checkpoints');
});

test('the data folder is created 0700 and snca.db 0600; an older open folder and database are tightened on start', { skip: process.platform === 'win32' ? 'POSIX modes' : false }, async () => {
  const { chmodSync, mkdirSync, statSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { createCore } = await import('../../../src-main/core/core.ts');
  const { makeTempDir } = await import('../../fixtures/temp-home.ts');
  const tmp = makeTempDir();
  const mode = (p: string) => statSync(p).mode & 0o777;
  try {
    const fresh = join(tmp.dir, 'new', 'home');
    const core = await createCore({ home: fresh, diagnostics: () => {} });
    await core.close();
    assert.equal(mode(fresh), 0o700);
    assert.equal(mode(join(fresh, 'runs')), 0o700);
    assert.equal(mode(join(fresh, 'snca.db')), 0o600);

    const old = join(tmp.dir, 'old');
    mkdirSync(join(old, 'runs'), { recursive: true });
    chmodSync(old, 0o755);
    chmodSync(join(old, 'runs'), 0o755);
    const first = await createCore({ home: old, diagnostics: () => {} });
    await first.close();
    chmodSync(join(old, 'snca.db'), 0o644);
    writeFileSync(join(old, 'snca.db-wal'), '');
    chmodSync(join(old, 'snca.db-wal'), 0o644);
    chmodSync(old, 0o755);
    const again = await createCore({ home: old, diagnostics: () => {} });
    await again.close();
    assert.equal(mode(old), 0o700);
    assert.equal(mode(join(old, 'runs')), 0o700);
    assert.equal(mode(join(old, 'snca.db')), 0o600);
  } finally {
    tmp.cleanup();
  }
});
