import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { createPinia, setActivePinia } from 'pinia';
import type { CompareCheckpointsResult } from '../../../shared/checkpoint-compare.ts';
import type { Evaluation } from '../../../shared/domain.ts';
import { setApiClient } from '../../../src-renderer/api/client-holder.ts';
import { sidesOf, useCompareCheckpointsStore } from '../../../src-renderer/stores/compare-checkpoints.ts';
import { parseHash, formatHash } from '../../../src-renderer/stores/navigation.ts';
import { FakeClient } from './fake-client.ts';

const evaluation = (id: number, status: Evaluation['status']): Evaluation => ({
  id, runId: 'r', checkpointId: id, checkpointPath: '/c', checkpointSha256: 's', checkpointEpoch: 1, modelId: null, dataset: { kind: 'mnist' }, k: 30, sigma: 0.1,
  recomputeMemory: false, status, top1: null, top5: null, nnTop1: null, samples: null, perClass: null, confusion: null, wallSeconds: null,
  error: null, backend: null, createdAt: 'x', endedAt: null,
});

let client: FakeClient;
beforeEach(() => {
  client = new FakeClient();
  setApiClient(client);
  setActivePinia(createPinia());
});

test('pending comparison: waits for evaluation.changed of its evaluations, then asks again and loads neighbours', async () => {
  let calls = 0;
  client.respond('compare.checkpoints', (): CompareCheckpointsResult => {
    calls++;
    if (calls === 1) return { ready: false, datasetId: '00112233445566ff', evaluations: [evaluation(1, 'completed'), evaluation(2, 'running')], comparison: null, problem: null };
    return {
      ready: true,
      datasetId: '00112233445566ff',
      evaluations: [evaluation(1, 'completed'), evaluation(2, 'completed')],
      comparison: { samples: 1, classNames: ['a'], pairs: [], perClass: [], confusionChanges: [], disagreementTotal: 0, disagreements: [] },
      problem: null,
    };
  });
  client.respond('compare.neighbours', ({ index }) => [{ evaluationId: 1, trueLabel: 0, predicted: 0, neighbours: [{ trainIndex: index, label: 0, similarity: 1, votedForWinner: true }] }]);
  const s = useCompareCheckpointsStore();
  await s.load(sidesOf({ ids: [1, 2] }));
  assert.equal(s.result?.ready, false);
  client.emit('evaluation.progress', { id: 2, phase: 'val', done: 3, total: 6 });
  client.emit('evaluation.progress', { id: 9, phase: 'val', done: 1, total: 6 });
  assert.deepEqual(s.progress, { 2: { id: 2, phase: 'val', done: 3, total: 6 } }, 'progress of its own evaluations only');
  client.emit('evaluation.changed', evaluation(9, 'completed'));
  assert.equal(calls, 1, 'an unrelated evaluation changes nothing');
  client.emit('evaluation.changed', evaluation(2, 'completed'));
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(calls, 2);
  assert.equal(s.result?.ready, true);
  await s.pick(7);
  assert.equal(s.panels?.[0]?.neighbours[0]?.trainIndex, 7);
});

test('routes: #/compare-checkpoints?ids=1,2&models=m round-trips; at most four distinct sides, checkpoints first', () => {
  assert.deepEqual(parseHash('#/compare-checkpoints?ids=3,4,3,x,5,6,7'), { view: 'compare-checkpoints', ids: [3, 4, 5, 6] });
  assert.equal(formatHash({ view: 'compare-checkpoints', ids: [1, 2] }), '#/compare-checkpoints?ids=1,2');
  assert.deepEqual(parseHash('#/compare-checkpoints?ids=3,4,5&models=ab1,ab1,cd2'), { view: 'compare-checkpoints', ids: [3, 4, 5], models: ['ab1'] });
  assert.deepEqual(parseHash('#/compare-checkpoints?ids=&models=ab1,Bad!,cd2'), { view: 'compare-checkpoints', ids: [], models: ['ab1', 'cd2'] });
  assert.equal(formatHash({ view: 'compare-checkpoints', ids: [1], models: ['ab1'] }), '#/compare-checkpoints?ids=1&models=ab1');
  assert.deepEqual(sidesOf({ ids: [1], models: ['ab1'] }), [{ kind: 'checkpoint', id: 1 }, { kind: 'model', modelId: 'ab1' }]);
  assert.deepEqual(parseHash('#/compare?runs=a,b'), { view: 'compare', ids: ['a', 'b'] });
  assert.deepEqual(parseHash('#/table'), { view: 'table' });
});
