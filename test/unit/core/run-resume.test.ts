/** runs.resume through createCore with a fake worker: which checkpoint, what is refused, what is deleted. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { ApiError } from '../../../shared/api-error.ts';
import { failRun, recordCheckpoint } from '../../fixtures/checkpoint-records.ts';
import { demoConfig } from '../../fixtures/run-records.ts';
import { startTestCore, statusesOf } from '../../fixtures/test-core.ts';

const conflict = (re: RegExp) => (e: unknown) => e instanceof ApiError && e.code === 'conflict' && re.test(e.message);

test('resume continues a failed run under the same id from its latest checkpoint; later metric rows are deleted', { timeout: 60_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    const { id } = await t.core.runs.create(demoConfig({ epochs: 3, batchSize: 4 }));
    await t.core.runs.whenEnded(id);
    assert.throws(() => t.core.runs.resume(id), conflict(/only an interrupted, failed or cancelled run/));
    // Pretend it failed in epoch 3 after checkpoints of epochs 1 and 2 (steps 4 and 8).
    failRun(t, id);
    recordCheckpoint(t, id, 1, 4, 'best');
    const latest = recordCheckpoint(t, id, 2, 8);
    assert.equal(t.store.metrics.count(id) > 8, true);

    const resumed = t.core.runs.resume(id);
    // Synchronously: re-queued (and started, one free slot), rows after step 8 gone, epochs_done = 2.
    assert.equal(resumed.id, id);
    assert.ok(['queued', 'running'].includes(resumed.status), resumed.status);
    assert.equal(resumed.epochsDone, 2);
    assert.equal(resumed.error, null);
    const loss = t.store.metrics.series(id, 'loss');
    assert.deepEqual([...loss.step], [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(t.store.metrics.lastValues(id).loss, loss.value[7], 'metric_last recomputed');
    assert.equal(t.store.metrics.series(id, 'knn_top1').step.length, 2, 'epoch 3 evaluation deleted');
    const end = await t.core.runs.whenEnded(id);
    assert.equal(end.status, 'completed');
    assert.deepEqual(statusesOf(t.events, id), ['queued', 'running', 'completed', 'queued', 'running', 'completed']);
    const logs = t.store.logs.after(id, 0, 1000).map((l) => l.message);
    assert.ok(logs.some((m) => m.includes(`fake resume from ${latest.path} sha256 ${latest.sha256}`)), logs.join('\n'));
    assert.ok(logs.some((m) => /Resume requested: continuing from .* \(epoch 2, step 8\)/.test(m)));
  } finally {
    await t.dispose();
  }
});

test('resume from a named checkpoint; a corrupt file is refused with its path and both hashes, the run untouched', { timeout: 60_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    const { id } = await t.core.runs.create(demoConfig({ epochs: 2, batchSize: 4 }));
    await t.core.runs.whenEnded(id);
    failRun(t, id);
    const best = recordCheckpoint(t, id, 1, 4, 'best');
    const latest = recordCheckpoint(t, id, 2, 8);
    writeFileSync(latest.path, Buffer.from('truncated'));
    const before = t.store.metrics.count(id);
    assert.throws(
      () => t.core.runs.resume(id),
      (e: unknown) => e instanceof ApiError && e.code === 'conflict' && e.message.includes(latest.path) &&
        e.message.includes(`sha256 mismatch: recorded ${latest.sha256}`),
    );
    assert.equal(t.store.runs.get(id)!.status, 'failed', 'nothing changed');
    assert.equal(t.store.metrics.count(id), before);
    assert.throws(() => t.core.runs.resume(id, 999_999), (e: unknown) => e instanceof ApiError && e.code === 'not_found');

    const r = await t.core.handlers['runs.resume']({ id, checkpointId: best.id });
    assert.equal(r.epochsDone, 1);
    assert.deepEqual([...t.store.metrics.series(id, 'loss').step], [1, 2, 3, 4]);
    await t.core.runs.whenEnded(id);
    const logs = t.store.logs.after(id, 0, 1000).map((l) => l.message);
    assert.ok(logs.some((m) => m.includes(`fake resume from ${best.path}`)));
  } finally {
    await t.dispose();
  }
});

test('a cancelled run without any checkpoint starts over', { timeout: 60_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    const { id } = await t.core.runs.create(demoConfig({ epochs: 1, batchSize: 4 }));
    await t.core.runs.whenEnded(id);
    for (const c of t.store.checkpoints.list(id)) t.store.db.prepare('DELETE FROM checkpoints WHERE id = ?').run(c.id);
    assert.ok(t.store.runs.transition(id, ['completed'], 'cancelled', {}));
    const r = t.core.runs.resume(id);
    assert.equal(r.epochsDone, 0);
    assert.equal(t.store.metrics.count(id), 0);
    assert.equal((await t.core.runs.whenEnded(id)).status, 'completed');
    const logs = t.store.logs.after(id, 0, 1000).map((l) => l.message);
    assert.ok(logs.some((m) => /no checkpoint yet, so it starts over/.test(m)));
    assert.ok(!logs.some((m) => m.startsWith('fake resume from')));
  } finally {
    await t.dispose();
  }
});
