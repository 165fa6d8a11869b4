/** The scheduler's bookkeeping modules on a real store: start order, reorder/remove checks, waiters, resume points. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ApiError } from '../../../../shared/api-error.ts';
import { removeQueuedRun, reorderQueuedRuns } from '../../../../src-main/core/scheduling/queue-ordering.ts';
import { ResumePoints } from '../../../../src-main/core/scheduling/resume-points.ts';
import { RunCompletion } from '../../../../src-main/core/scheduling/run-completion.ts';
import { RunQueue } from '../../../../src-main/core/scheduling/run-queue.ts';
import { summarizeRun } from '../../../../src-main/core/run-summaries.ts';
import { openStore } from '../../../../src-main/store/store.ts';
import { newRun } from '../../../fixtures/run-records.ts';
import { makeTempDir } from '../../../fixtures/temp-home.ts';

const code = (c: string) => (e: unknown) => e instanceof ApiError && e.code === c;

test('queue order follows stored positions after a reorder; reorder and remove refuse what is not queued', async () => {
  const tmp = makeTempDir('snca-scheduling-');
  const store = openStore(join(tmp.dir, 'snca.db'));
  try {
    for (const id of ['a', 'b', 'c', 'd']) store.runs.insert(newRun(id));
    assert.ok(store.runs.transition('d', ['queued'], 'completed'));
    const queue = new RunQueue(store);
    for (const id of ['a', 'b', 'c']) queue.push(id);
    reorderQueuedRuns(store, ['c', 'a']);
    assert.equal(queue.next(), 'c', 'c took the first place a held');
    assert.deepEqual(queue.list(), ['b', 'a']);
    assert.equal(queue.remove('b'), true);
    assert.equal(queue.remove('b'), false);
    assert.equal(queue.size, 1);

    assert.throws(() => reorderQueuedRuns(store, ['a', 'a']), code('invalid_input'));
    assert.throws(() => reorderQueuedRuns(store, ['d']), code('conflict'));
    assert.throws(() => reorderQueuedRuns(store, ['zz']), code('not_found'));
    assert.throws(() => removeQueuedRun(store, 'd'), (e: unknown) => code('conflict')(e) && /only a queued run can be removed/.test((e as Error).message));
    removeQueuedRun(store, 'b');
    assert.equal(store.runs.get('b'), undefined);

    // Waiters: settled with the summary, or rejected when the run is gone.
    const completion = new RunCompletion();
    const ended = completion.wait('d');
    const gone = completion.wait('b');
    completion.settle('d', summarizeRun(store, 'd'), () => new Error('unused'));
    completion.settle('b', summarizeRun(store, 'b'), () => ApiError.notFound('Run b'));
    assert.equal((await ended).status, 'completed');
    await assert.rejects(gone, code('not_found'));

    // Resume points: the recorded choice once, else the run's latest checkpoint.
    const points = new ResumePoints(store);
    store.checkpoints.record('a', { epoch: 2, kind: 'latest', path: '/ck/latest-2', sha256: 'f'.repeat(64), bytes: 1, metrics: {} }, 'x');
    points.set('a', { path: '/ck/best-1', sha256: 'e'.repeat(64) });
    assert.deepEqual(points.take('a'), { path: '/ck/best-1', sha256: 'e'.repeat(64) });
    assert.deepEqual(points.take('a'), { path: '/ck/latest-2', sha256: 'f'.repeat(64) });
    assert.equal(points.take('c'), undefined);
  } finally {
    store.close();
    tmp.cleanup();
  }
});
