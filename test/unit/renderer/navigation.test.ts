import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatHash, parseHash, type Route } from '../../../src-renderer/stores/navigation.ts';

test('routes round-trip through the hash', () => {
  const routes: Route[] = [{ view: 'runs' }, { view: 'new-run' }, { view: 'new-run', preset: 'mnist-demo' }, { view: 'run', id: 'abc_123-x' }];
  for (const r of routes) assert.deepEqual(parseHash(formatHash(r)), r);
});

test('unknown or malformed hashes fall back to the runs list', () => {
  for (const h of ['', '#', '#/', '#/nope', '#/runs/a/b', '#/runs/bad%20id', '#/runs/%E0%A4%A']) {
    assert.deepEqual(parseHash(h), { view: 'runs' }, h);
  }
});
