import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiHandlers } from '../../../shared/api.ts';
import { ApiError } from '../../../shared/api-error.ts';
import { dispatchCall } from '../../../src-main/core/call-dispatch.ts';

function handlers(overrides: Partial<ApiHandlers>): ApiHandlers {
  const fail = () => {
    throw new Error('not used');
  };
  return {
    'system.info': fail,
    'presets.list': fail,
    'runs.list': fail,
    'runs.query': fail,
    'runs.values': fail,
    'runs.locate': fail,
    'runs.get': fail,
    'runs.create': fail,
    'runs.cancel': fail,
    'runs.metrics': fail,
    'runs.logs': fail,
    'runs.checkpoints': fail,
    'runs.reorder': fail,
    'runs.removeQueued': fail,
    'runs.update': fail,
    'runs.delete': fail,
    'runs.export': fail,
    'runs.diskUsage': fail,
    'evaluations.create': fail,
    'evaluations.list': fail,
    'evaluations.cancel': fail,
    'system.hardware': fail,
    'compare.series': fail,
    'compare.checkpoints': fail,
    'compare.neighbours': fail,
    'system.doctor': fail,
    'system.devices': fail,
    'system.setDevices': fail,
    'runs.resume': fail,
    'datasets.validate': fail,
    'datasets.download': fail,
    'datasets.import': fail,
    'datasets.cancelDownload': fail,
    'runs.submit': fail,
    'runs.cluster': fail,
    'checkpoints.fetch': fail,
    'checkpoints.export': fail,
    'clusters.list': fail,
    'clusters.add': fail,
    'clusters.remove': fail,
    'clusters.check': fail,
    'gallery.sources': fail,
    'gallery.search': fail,
    'gallery.cancelBank': fail,
    'gallery.export': fail,
    'models.import': fail,
    'models.cancelImport': fail,
    'models.list': fail,
    'models.get': fail,
    'models.remove': fail,
    'models.update': fail,
    'models.embed': fail,
    'uploads.limits': fail,
    ...overrides,
  };
}

test('unknown methods are not_found; bad input is invalid_input naming the field', async () => {
  const h = handlers({});
  assert.deepEqual(await dispatchCall(h, 'runs.explode', {}), { ok: false, error: { code: 'not_found', message: 'Unknown API method "runs.explode"' } });
  const r = await dispatchCall(h, 'runs.logs', { id: 'ok', limit: 0 });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.error.code, 'invalid_input');
  assert.equal(r.error.issues?.[0]?.path, 'limit');
  assert.match(r.error.message, /input of runs\.logs: limit:/);
  const extra = await dispatchCall(h, 'runs.list', { surprise: 1 });
  assert.equal(extra.ok, false, 'strict inputs refuse unknown keys');
});

test('defaults are applied before the handler; missing input means {}', async () => {
  let seen: unknown;
  const h = handlers({
    'runs.logs': (input) => {
      seen = input;
      return [];
    },
    'runs.list': (input) => {
      seen = input;
      return { runs: [], total: 0, next: null };
    },
  });
  assert.deepEqual(await dispatchCall(h, 'runs.logs', { id: 'r1' }), { ok: true, result: [] });
  assert.deepEqual(seen, { id: 'r1', afterId: 0, limit: 500 });
  assert.deepEqual(await dispatchCall(h, 'runs.list', undefined), { ok: true, result: { runs: [], total: 0, next: null } });
  assert.deepEqual(seen, { limit: 200 });
});

test('ApiErrors keep their code; other throws become internal; invalid outputs are caught', async () => {
  const diag: string[] = [];
  const h = handlers({
    'runs.get': () => {
      throw ApiError.notFound('Run x');
    },
    'runs.list': () => {
      throw new Error('disk on fire');
    },
    'runs.checkpoints': () => [{ nonsense: true }] as never,
  });
  const nf = await dispatchCall(h, 'runs.get', { id: 'x' });
  assert.deepEqual(nf, { ok: false, error: { code: 'not_found', message: 'Run x was not found' } });
  const internal = await dispatchCall(h, 'runs.list', {}, (l) => diag.push(l));
  assert.deepEqual(internal, { ok: false, error: { code: 'internal', message: 'disk on fire' } });
  const bad = await dispatchCall(h, 'runs.checkpoints', { id: 'x' }, (l) => diag.push(l));
  assert.equal(bad.ok, false);
  assert.ok(!bad.ok && bad.error.code === 'internal' && /invalid result/.test(bad.error.message));
  assert.equal(diag.length, 2);
});
