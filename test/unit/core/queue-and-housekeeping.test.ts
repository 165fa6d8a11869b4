/** Queue order (runs.reorder, runs.removeQueued) and housekeeping (update, delete, export, disk usage) through the handlers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNS_DISK_USAGE_MAX } from '../../../shared/api.ts';
import { dispatchCall } from '../../../src-main/core/call-dispatch.ts';
import { demoConfig } from '../../fixtures/run-records.ts';
import { startTestCore } from '../../fixtures/test-core.ts';
import { waitFor } from '../../fixtures/wait-for.ts';

test('reorder: queued runs start in the new order; removeQueued deletes a queued run and refuses a running one', { timeout: 30_000 }, async () => {
  const t = await startTestCore('cancel-waiting');
  try {
    const call = async (m: string, input: unknown) => {
      const r = await dispatchCall(t.core.handlers, m, input);
      return r;
    };
    const a = await t.core.runs.create(demoConfig({ name: 'a' }));
    const b = await t.core.runs.create(demoConfig({ name: 'b' }));
    const c = await t.core.runs.create(demoConfig({ name: 'c' }));
    const d = await t.core.runs.create(demoConfig({ name: 'd' }));
    assert.equal(a.queuePosition, null, 'a started at once');
    assert.deepEqual([b, c, d].map((r) => r.queuePosition), [1, 2, 3]);
    const reordered = await call('runs.reorder', { ids: [d.id, b.id] });
    assert.ok(reordered.ok);
    assert.deepEqual((reordered.result as { id: string }[]).map((r) => r.id), [d.id, c.id, b.id]);
    const running = await call('runs.reorder', { ids: [a.id] });
    assert.ok(!running.ok && running.error.code === 'conflict');
    const removed = await call('runs.removeQueued', { id: c.id });
    assert.ok(removed.ok);
    assert.equal(t.store.runs.get(c.id), undefined);
    assert.ok(t.events.some((e) => e.event === 'run.removed' && e.payload.id === c.id));
    const refused = await call('runs.removeQueued', { id: a.id });
    assert.ok(!refused.ok && refused.error.code === 'conflict');
    // Finish a: d (moved to the front) starts next, then b.
    await waitFor(() => t.store.runs.get(a.id)!.backend, 'a started');
    t.core.runs.cancel(a.id);
    await t.core.runs.whenEnded(a.id);
    await waitFor(() => t.store.runs.get(d.id)!.status === 'running', 'd runs next');
    assert.equal(t.store.runs.get(b.id)!.status, 'queued');
    assert.equal(t.store.runs.get(d.id)!.queuePosition, null, 'a started run leaves the queue');
    t.core.runs.cancel(b.id);
    await waitFor(() => t.store.runs.get(d.id)!.backend, 'd started');
    t.core.runs.cancel(d.id);
    await t.core.runs.whenEnded(d.id);
  } finally {
    await t.dispose();
  }
});

test('update, export (CSV and JSON), disk usage and delete (files too, refused while active)', { timeout: 30_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    const call = (m: string, input: unknown) => dispatchCall(t.core.handlers, m, input);
    const run = await t.core.runs.create(demoConfig({ name: 'orig', epochs: 2, batchSize: 4 }));
    const busy = await call('runs.delete', { id: run.id });
    assert.ok(!busy.ok && busy.error.code === 'conflict', 'refused while queued or running');
    const ended = await t.core.runs.whenEnded(run.id);
    assert.equal(ended.status, 'completed');

    const upd = await call('runs.update', { id: run.id, name: '  renamed ', tags: ['mnist', 'baseline', 'mnist'], notes: 'first try' });
    assert.ok(upd.ok);
    const s = upd.result as { name: string; tags: string[]; notes: string };
    assert.deepEqual([s.name, s.tags, s.notes], ['renamed', ['mnist', 'baseline'], 'first try']);
    const bad = await call('runs.update', { id: run.id, tags: [''] });
    assert.ok(!bad.ok && bad.error.code === 'invalid_input');

    const csv = await call('runs.export', { id: run.id, format: 'csv' });
    assert.ok(csv.ok);
    const lines = (csv.result as { content: string }).content.trim().split('\n');
    assert.equal(lines[0], 'kind,key,step,epoch,value,wall_time');
    assert.ok(lines.includes('config,name,,,orig,'), 'config rows (the config keeps the name it was created with)');
    const metricLines = lines.filter((l) => l.startsWith('metric,'));
    assert.equal(metricLines.length, t.store.metrics.count(run.id));
    assert.equal(metricLines.filter((l) => l.startsWith('metric,loss,')).length, 8, '2 epochs × 4 iterations of loss');
    const json = await call('runs.export', { id: run.id, format: 'json' });
    assert.ok(json.ok);
    const doc = JSON.parse((json.result as { content: string }).content) as { run: { name: string }; config: { epochs: number }; metrics: unknown[] };
    assert.equal(doc.run.name, 'renamed');
    assert.equal(doc.config.epochs, 2);
    assert.equal(doc.metrics.length, t.store.metrics.count(run.id));

    const dir = t.core.paths.runDir(run.id);
    mkdirSync(join(dir, 'extra'), { recursive: true });
    writeFileSync(join(dir, 'extra', 'blob.bin'), Buffer.alloc(1000));
    const du = await call('runs.diskUsage', { ids: [run.id, 'r-unknown'] });
    assert.ok(du.ok);
    assert.deepEqual((du.result as { id: string }[]).map((r) => r.id), [run.id], 'only the runs asked for, unknown ids left out');
    const mine = (du.result as { id: string; bytes: number }[]).find((r) => r.id === run.id)!;
    const tooMany = await call('runs.diskUsage', { ids: Array.from({ length: RUNS_DISK_USAGE_MAX + 1 }, (_, i) => `r${i}`) });
    assert.equal(tooMany.ok, false, 'one call walks a bounded number of run folders');
    assert.equal(mine.bytes, 1000 + 17, 'the fake checkpoint (17 bytes) and the extra file');

    const del = await call('runs.delete', { id: run.id });
    assert.ok(del.ok);
    assert.deepEqual(del.result, { id: run.id, deleted: true, bytesFreed: 1017 });
    assert.equal(existsSync(dir), false);
    assert.equal(t.store.runs.get(run.id), undefined);
    assert.equal(t.store.metrics.count(run.id), 0);
    const gone = await call('runs.delete', { id: run.id });
    assert.ok(!gone.ok && gone.error.code === 'not_found');
  } finally {
    await t.dispose();
  }
});
