/**
 * Evaluation jobs through the contract and the job supervisor, with the fake evaluation
 * worker (its behaviour is chosen by K, see test/fixtures/workers/evaluating-worker.ts):
 * cancel mid-run and while waiting, the next evaluation still runs, and a worker that
 * throws, exits silently or breaks the protocol becomes a failed record with the message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Evaluation } from '../../../../shared/domain.ts';
import { dispatchCall } from '../../../../src-main/core/call-dispatch.ts';
import { recordCheckpoint } from '../../../fixtures/checkpoint-records.ts';
import { demoConfig } from '../../../fixtures/run-records.ts';
import { startTestCore, type TestCore } from '../../../fixtures/test-core.ts';
import { fakeWorker } from '../../../fixtures/workers/fake-workers.ts';

async function coreWithCheckpoint(timing: { cancelGraceMs?: number } = {}): Promise<{ t: TestCore; runId: string }> {
  const t = await startTestCore('completing', { evaluateWorkerEntry: fakeWorker('evaluating'), timing });
  const { id } = await t.core.runs.create(demoConfig({ epochs: 1, batchSize: 4 }));
  await t.core.runs.whenEnded(id);
  recordCheckpoint(t, id, 1, 4);
  return { t, runId: id };
}

async function call(t: TestCore, method: 'evaluations.create' | 'evaluations.cancel', input: unknown): Promise<Evaluation> {
  const r = await dispatchCall(t.core.handlers, method, input);
  assert.ok(r.ok, JSON.stringify(r));
  return r.result as Evaluation;
}

/**
 * The statuses an evaluation went through, as its events tell. Events are snapshots: the change
 * watcher may deliver one again when another connection (the test's own) wrote in the same
 * poll, so repeats of the same status are one step.
 */
function statusesOf(t: TestCore, id: number): string[] {
  const all = t.events.flatMap((e) => (e.event === 'evaluation.changed' && e.payload.id === id ? [e.payload.status] : []));
  return all.filter((s, i) => i === 0 || s !== all[i - 1]);
}

test('an evaluation cancelled mid-run ends cancelled, a waiting one at once, and the next evaluation runs', { timeout: 60_000 }, async () => {
  const { t, runId } = await coreWithCheckpoint();
  try {
    const running = await call(t, 'evaluations.create', { runId, k: 4 });
    const waiting = await call(t, 'evaluations.create', { runId, k: 9 });
    const next = await call(t, 'evaluations.create', { runId, k: 30 });
    assert.deepEqual([running.status, waiting.status, next.status], ['running', 'running', 'running']);

    const cancelledWaiting = await call(t, 'evaluations.cancel', { id: waiting.id });
    assert.equal(cancelledWaiting.status, 'cancelled', 'a waiting evaluation ends at once');
    assert.ok(cancelledWaiting.endedAt);

    // The K=4 worker runs until it is told to stop.
    const asked = await call(t, 'evaluations.cancel', { id: running.id });
    assert.equal(asked.status, 'running', 'a running one ends when its worker stops');
    const ended = await t.core.evaluations.whenDone(running.id);
    assert.equal(ended.status, 'cancelled');
    assert.equal(ended.error, null);
    assert.equal(ended.top1, null);

    const done = await t.core.evaluations.whenDone(next.id);
    assert.equal(done.status, 'completed', done.error ?? '');
    assert.equal(done.top1, 0.3);
    assert.equal(done.samples, 30);
    assert.equal(done.backend, 'cpu');
    assert.deepEqual(statusesOf(t, running.id), ['running', 'cancelled']);
    assert.deepEqual(statusesOf(t, waiting.id), ['running', 'cancelled']);
    assert.deepEqual(statusesOf(t, next.id), ['running', 'completed']);
    assert.equal(t.core.evaluations.get(waiting.id).top1, null, 'the cancelled waiting evaluation never ran');

    const again = await dispatchCall(t.core.handlers, 'evaluations.cancel', { id: running.id });
    assert.ok(!again.ok && again.error.code === 'conflict' && /already ended \(cancelled\)/.test(again.error.message), JSON.stringify(again));
    const missing = await dispatchCall(t.core.handlers, 'evaluations.cancel', { id: 9999 });
    assert.ok(!missing.ok && missing.error.code === 'not_found');
    // A cancelled evaluation is not a cached result: asking again runs it again.
    const rerun = await call(t, 'evaluations.create', { runId, k: 9 });
    assert.notEqual(rerun.id, waiting.id);
    assert.equal((await t.core.evaluations.whenDone(rerun.id)).top1, 0.09);
  } finally {
    await t.dispose();
  }
});

test('a worker ignoring cancel is terminated after the grace period; the evaluation ends cancelled', { timeout: 60_000 }, async () => {
  const { t, runId } = await coreWithCheckpoint({ cancelGraceMs: 150 });
  try {
    const e = await call(t, 'evaluations.create', { runId, k: 5 });
    await call(t, 'evaluations.cancel', { id: e.id });
    const t0 = Date.now();
    const end = await t.core.evaluations.whenDone(e.id);
    assert.equal(end.status, 'cancelled');
    assert.ok(Date.now() - t0 < 10_000);
    assert.ok(t.diagnostics.some((l) => /evaluation \d+: the worker did not stop within 150 ms of cancel/.test(l)), t.diagnostics.join('\n'));
  } finally {
    await t.dispose();
  }
});

test('an evaluation worker that throws, exits silently or breaks the protocol becomes a failed record with the message', { timeout: 60_000 }, async () => {
  const { t, runId } = await coreWithCheckpoint();
  try {
    const thrown = await call(t, 'evaluations.create', { runId, k: 1 });
    const silent = await call(t, 'evaluations.create', { runId, k: 2 });
    const garbage = await call(t, 'evaluations.create', { runId, k: 3 });
    const ok = await call(t, 'evaluations.create', { runId, k: 12 });
    const failed = async (id: number) => {
      const e = await t.core.evaluations.whenDone(id);
      assert.equal(e.status, 'failed');
      assert.ok(statusesOf(t, id).at(-1) === 'failed', 'published');
      return e.error ?? '';
    };
    assert.equal(await failed(thrown.id), 'The evaluation worker crashed: boom from the fake evaluation worker');
    assert.equal(await failed(silent.id), 'The evaluation worker exited (code 0) without reporting the end of the evaluation.');
    assert.match(await failed(garbage.id), /^The evaluation worker sent a message that does not follow the protocol \(message of type "result": result\.top1: .*\); the evaluation was stopped\.$/);
    assert.equal((await t.core.evaluations.whenDone(ok.id)).top1, 0.12, 'the queue goes on after failures');
  } finally {
    await t.dispose();
  }
});

test('closing the core fails the running and the waiting evaluations, saying why', { timeout: 60_000 }, async () => {
  const { t, runId } = await coreWithCheckpoint();
  const running = await call(t, 'evaluations.create', { runId, k: 4 });
  const waiting = await call(t, 'evaluations.create', { runId, k: 8 });
  const ends = [t.core.evaluations.whenDone(running.id), t.core.evaluations.whenDone(waiting.id)];
  await t.dispose();
  const [a, b] = await Promise.all(ends);
  assert.equal(a!.status, 'failed');
  assert.equal(a!.error, 'SNCA Studio was closed while the evaluation was running.');
  assert.equal(b!.status, 'failed');
  assert.equal(b!.error, 'SNCA Studio was closed before the evaluation started.');
});
