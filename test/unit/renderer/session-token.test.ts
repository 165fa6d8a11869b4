import assert from 'node:assert/strict';
import { test } from 'node:test';
import { takeSessionToken, TOKEN_STORAGE_KEY } from '../../../src-renderer/api/session-token.ts';

function fakes(href: string) {
  const store = new Map<string, string>();
  const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
  const replaced: (string | null | undefined)[] = [];
  const history = { state: { s: 1 }, replaceState: (_d: unknown, _u: string, url?: string | null) => void replaced.push(url) };
  return { location: { href }, storage, store, history, replaced };
}

test('the token is taken from ?token=, stored for reloads and scrubbed from the address bar', () => {
  const f = fakes('http://127.0.0.1:4000/?token=abc123&x=1#/runs/r1');
  assert.equal(takeSessionToken(f.location, f.storage, f.history), 'abc123');
  assert.equal(f.store.get(TOKEN_STORAGE_KEY), 'abc123');
  assert.deepEqual(f.replaced, ['/?x=1#/runs/r1']);
});

test('a reload without ?token= uses the stored token and leaves the URL alone', () => {
  const f = fakes('http://127.0.0.1:4000/#/runs');
  f.store.set(TOKEN_STORAGE_KEY, 'kept');
  assert.equal(takeSessionToken(f.location, f.storage, f.history), 'kept');
  assert.deepEqual(f.replaced, []);
});

test('no token anywhere is null; a broken storage is survived', () => {
  const f = fakes('http://127.0.0.1:4000/');
  assert.equal(takeSessionToken(f.location, f.storage, f.history), null);
  const throwing = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('denied'); } };
  assert.equal(takeSessionToken({ href: 'http://h/?token=t' }, throwing, null), 't');
  assert.equal(takeSessionToken({ href: 'http://h/' }, throwing, null), null);
});
