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
