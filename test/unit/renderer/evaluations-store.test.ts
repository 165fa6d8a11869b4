import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { createPinia, setActivePinia } from 'pinia';
import type { Evaluation } from '../../../shared/domain.ts';
import { setApiClient } from '../../../src-renderer/api/client-holder.ts';
import { useEvaluationsStore } from '../../../src-renderer/stores/evaluations.ts';
import { deferred, FakeClient } from './fake-client.ts';

function evaluation(patch: Partial<Evaluation> = {}): Evaluation {
  return {
    id: 1,
    runId: 'r1',
    checkpointId: 3,
    checkpointPath: '/h/runs/r1/checkpoints/best.safetensors',
    checkpointSha256: 'ab'.repeat(32),
    checkpointEpoch: 2,
    modelId: null,
    dataset: { kind: 'mnist', root: '/d' },
    k: 30,
    sigma: 0.1,
    recomputeMemory: false,
    status: 'running',
    top1: null,
    top5: null,
    nnTop1: null,
    samples: null,
    perClass: null,
    confusion: null,
    wallSeconds: null,
    error: null,
    backend: 'cpu',
    createdAt: '2025-01-01T00:00:00.000Z',
    endedAt: null,
    ...patch,
  };
}

let client: FakeClient;
beforeEach(() => {
  client = new FakeClient();
  setApiClient(client);
  setActivePinia(createPinia());
});

test('a run’s list loads newest first and follows evaluation.changed; other runs’ events are not listed', async () => {
  const store = useEvaluationsStore();
  client.respond('evaluations.list', () => [evaluation({ id: 2 }), evaluation({ id: 1, status: 'completed', top1: 0.5 })]);
  await store.load('r1');
  assert.deepEqual(store.listOf('r1').map((e) => e.id), [2, 1]);
  client.emit('evaluation.changed', evaluation({ id: 2, status: 'completed', top1: 0.75 }));
  assert.equal(store.listOf('r1')[0]!.top1, 0.75);
  client.emit('evaluation.changed', evaluation({ id: 9, runId: 'r2' }));
  assert.deepEqual(store.listOf('r2'), [], 'r2 was never loaded');
  client.emit('evaluation.changed', evaluation({ id: 4 }));
  assert.deepEqual(store.listOf('r1').map((e) => e.id), [4, 2, 1]);
});

test('an evaluation that ended while the list call was in flight is not put back to running', async () => {
  const store = useEvaluationsStore();
  client.respond('evaluations.list', () => [evaluation({ id: 1 })]);
  await store.load('r1');
  const answer = deferred<Evaluation[]>();
  client.respond('evaluations.list', () => answer.promise);
  const loading = store.load('r1');
  client.emit('evaluation.changed', evaluation({ id: 1, status: 'failed', error: 'worker exited with code 1' }));
  answer.resolve([evaluation({ id: 1 })]);
  await loading;
  assert.equal(store.listOf('r1')[0]!.status, 'failed');
  assert.equal(store.listOf('r1')[0]!.error, 'worker exited with code 1');
});

test('evaluate sends the form’s values and lists the answer, reused or new', async () => {
  const store = useEvaluationsStore();
  client.respond('evaluations.list', () => []);
  await store.load('r1');
  client.respond('evaluations.create', () => ({ ...evaluation({ id: 5, status: 'completed', top1: 0.9 }), reused: true }));
  const e = await store.evaluate({ runId: 'r1', k: 10, recomputeMemory: true, sigma: 0.05 });
  assert.equal(e.reused, true);
  assert.deepEqual(client.calls.at(-1), { method: 'evaluations.create', input: { runId: 'r1', k: 10, recomputeMemory: true, sigma: 0.05 } });
  assert.deepEqual(store.listOf('r1').map((x) => [x.id, x.top1]), [[5, 0.9]]);
});

test('cancel asks the main side to stop an evaluation and shows it cancelled', async () => {
  const store = useEvaluationsStore();
  client.respond('evaluations.list', () => [evaluation({ id: 3 })]);
  await store.load('r1');
  client.respond('evaluations.cancel', ({ id }) => evaluation({ id, status: 'cancelled', endedAt: '2025-01-01T00:01:00.000Z' }));
  const e = await store.cancel(3);
  assert.deepEqual(client.calls.at(-1), { method: 'evaluations.cancel', input: { id: 3 } });
  assert.equal(e.status, 'cancelled');
  assert.equal(store.listOf('r1')[0]!.status, 'cancelled');
});
