/** Training jobs through createCore and the job supervisor: every fake worker behaviour ends in the right state. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { demoConfig } from '../../../fixtures/run-records.ts';
import { startTestCore, statusesOf } from '../../../fixtures/test-core.ts';

test('a completing worker: metrics in batches, logs, checkpoint, backend, epochs, events, completed', { timeout: 60_000 }, async () => {
  const t = await startTestCore('completing', { timing: { flushRows: 100 } });
  try {
    const created = await t.core.runs.create(demoConfig({ epochs: 2, batchSize: 150, name: 'happy' }));
    const end = await t.core.runs.whenEnded(created.id);
    assert.equal(end.status, 'completed');
    assert.equal(end.error, null);
    assert.equal(end.backend, 'cpu');
    assert.equal(end.device, 'fake CPU');
    assert.equal(end.epochsDone, 2);
    assert.equal(end.metrics.knn_top1, 0.6);
    assert.equal(end.metrics.loss, 2 / 301);
    assert.equal(t.store.metrics.count(created.id), 2 * 150 + 2 * 2);
    const [loss] = t.core.runs.metrics({ id: created.id, keys: ['loss'], maxPoints: 10 });
    assert.ok(loss!.value.length <= 10);
    assert.equal(loss!.step[0], 1);
    assert.equal(loss!.step.at(-1), 300);
    const logs = t.core.runs.logs({ id: created.id, afterId: 0, limit: 100 });
    assert.deepEqual(logs.map((l) => l.message), ['fake training happy', 'Epoch 1/2 done', 'Epoch 2/2 done']);
    const cks = t.core.runs.checkpoints(created.id);
    assert.deepEqual(cks.map((c) => [c.kind, c.epoch]), [['latest', 2]]);
    assert.ok(existsSync(cks[0]!.path));
    assert.ok(cks[0]!.path.startsWith(t.core.paths.runDir(created.id)));
    // Events: queued → running → completed, progress and batched metrics and logs.
    assert.deepEqual(statusesOf(t.events, created.id), ['queued', 'running', 'completed']);
    const metricEvents = t.events.filter((e) => e.event === 'run.metrics');
    const pointsInEvents = metricEvents.reduce((n, e) => n + (e.event === 'run.metrics' ? e.payload.points.length : 0), 0);
    assert.equal(pointsInEvents, 304, 'every stored point was published once');
    assert.ok(metricEvents.length < 20, `metrics are batched (${metricEvents.length} events)`);
    assert.ok(t.events.some((e) => e.event === 'run.progress' && e.payload.runId === created.id && e.payload.phase === 'checkpoint'));
    assert.equal(t.events.filter((e) => e.event === 'run.log').length, 3);
    const row = t.store.runs.get(created.id)!;
    assert.ok(row.startedAt && row.endedAt && row.startedAt <= row.endedAt);
  } finally {
    await t.dispose();
  }
});

test('a worker that throws: run failed with the message, partial metrics kept, main process fine', { timeout: 60_000 }, async () => {
  const t = await startTestCore('throwing');
  try {
    const { id } = await t.core.runs.create(demoConfig());
    const end = await t.core.runs.whenEnded(id);
    assert.equal(end.status, 'failed');
    assert.match(end.error ?? '', /crashed: boom from the fake worker/);
    assert.equal(end.metrics.loss, 1.5);
    const logs = t.core.runs.logs({ id, afterId: 0, limit: 10 });
    assert.ok(logs.some((l) => l.level === 'error' && /boom/.test(l.message)));
  } finally {
    await t.dispose();
  }
});

test('a worker that reports an error message: failed with that message and the detail in the log', { timeout: 60_000 }, async () => {
  const t = await startTestCore('error-reporting');
  try {
    const { id } = await t.core.runs.create(demoConfig());
    const end = await t.core.runs.whenEnded(id);
    assert.equal(end.status, 'failed');
    assert.equal(end.error, 'The loss became NaN; lower the learning rate');
    const logs = t.core.runs.logs({ id, afterId: 0, limit: 10 });
    assert.equal(logs.length, 1);
    assert.match(logs[0]!.message, /NaN[\s\S]*TrainingError: at epoch 1/);
  } finally {
    await t.dispose();
  }
});

test('garbage messages: logged, run failed, worker stopped, valid metrics before it kept', { timeout: 60_000 }, async () => {
  const t = await startTestCore('garbage');
  try {
    const { id } = await t.core.runs.create(demoConfig());
    const end = await t.core.runs.whenEnded(id);
    assert.equal(end.status, 'failed');
    assert.match(end.error ?? '', /does not follow the protocol \(message of type "metrics": points:/);
    assert.equal(end.metrics.loss, 0.9);
    const logs = t.core.runs.logs({ id, afterId: 0, limit: 10 });
    assert.equal(logs.filter((l) => l.level === 'error').length, 1);
  } finally {
    await t.dispose();
  }
});

test('a worker that exits without done: failed, saying so', { timeout: 60_000 }, async () => {
  const t = await startTestCore('silent-exit');
  try {
    const { id } = await t.core.runs.create(demoConfig());
    const end = await t.core.runs.whenEnded(id);
    assert.equal(end.status, 'failed');
    assert.match(end.error ?? '', /exited \(code 0\) without reporting the end of the run/);
    assert.equal(end.metrics.loss, 0.7);
  } finally {
    await t.dispose();
  }
});

test('a missing worker file: failed with a message, no crash', { timeout: 60_000 }, async () => {
  const t = await startTestCore('completing', { workerEntry: { url: new URL('file:///nonexistent/snca-worker.js'), execArgv: [] } });
  try {
    const { id } = await t.core.runs.create(demoConfig());
    const end = await t.core.runs.whenEnded(id);
    assert.equal(end.status, 'failed');
    assert.match(end.error ?? '', /nonexistent|Cannot find|could not be started|crashed/);
  } finally {
    await t.dispose();
  }
});
