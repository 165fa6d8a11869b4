/** compare.checkpoints: one K, sigma and dataset for all; pending while evaluating; then the per-sample comparison. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Evaluation } from '../../../shared/domain.ts';
import { effectiveSigma } from '../../../shared/run-config.ts';
import { CheckpointCompareService } from '../../../src-main/core/checkpoint-compare-service.ts';
import { samplesRelativePath } from '../../../src-main/core/evaluation-samples-path.ts';
import type { EvaluationRequest } from '../../../src-main/core/evaluations-service.ts';
import { writePerSampleFile } from '../../../src-main/engine/eval/per-sample-file.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { demoConfig, newRun } from '../../fixtures/run-records.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { CompareCheckpointsInputSchema } from '../../../shared/checkpoint-compare.ts';

test('evaluations share K, sigma and dataset; running → not ready; completed → McNemar, per-class and neighbours', async () => {
  const tmp = makeTempDir();
  const store = openStore(join(tmp.dir, 'snca.db'));
  try {
    const config = demoConfig({ temperature: 0.07, dataset: { kind: 'mnist', trainSize: 100, valSize: 10 } });
    store.runs.insert(newRun('r', { configJson: JSON.stringify(config) }));
    const ckpt = (epoch: number) =>
      store.checkpoints.record('r', { epoch, kind: 'epoch', path: `/c${epoch}`, sha256: `s${epoch}`, bytes: 1, metrics: {} }, 'x');
    const c1 = ckpt(1);
    const c2 = ckpt(2);
    const asked: EvaluationRequest[] = [];
    let status: 'running' | 'completed' = 'running';
    const evalIds = new Map<number, number>();
    for (const c of [c1, c2]) {
      const e = store.evaluations.insert({
        checkpointSha256: c.sha256, datasetJson: JSON.stringify(config.dataset), datasetState: '', k: 2, sigma: 0.07, recomputeMemory: false,
        runId: 'r', checkpointId: c.id, checkpointPath: c.path, checkpointEpoch: c.epoch, createdAt: 'x', ownerPid: 1,
      });
      evalIds.set(c.id, e.id);
    }
    const svc = new CheckpointCompareService({
      store,
      home: tmp.dir,
      datasetIdOf: () => '00112233445566ff',
      evaluate: async (req) => {
        asked.push(req);
        const e = store.evaluations.get(evalIds.get(req.checkpointId!)!)!;
        return { ...e, status } as Evaluation;
      },
    });
    const pending = await svc.compare(CompareCheckpointsInputSchema.parse({ checkpointIds: [c1.id, c2.id], k: 2 }));
    assert.equal(pending.ready, false);
    assert.equal(pending.comparison, null);
    assert.equal(pending.problem, null);
    assert.deepEqual(asked.map((r) => [r.checkpointId, r.k, r.sigma, r.dataset]), [
      [c1.id, 2, effectiveSigma(config), config.dataset],
      [c2.id, 2, effectiveSigma(config), config.dataset],
    ]);

    status = 'completed';
    const noFile = await svc.compare(CompareCheckpointsInputSchema.parse({ checkpointIds: [c1.id, c2.id], k: 2 }));
    assert.match(noFile.problem ?? '', /stored without per-sample results/);

    const truth = [0, 1, 1, 2];
    for (const [cid, predicted] of [[c1.id, [0, 1, 2, 2]], [c2.id, [0, 0, 1, 2]]] as const) {
      const id = evalIds.get(cid)!;
      const rel = samplesRelativePath('r', id);
      writePerSampleFile(join(tmp.dir, rel), {
        classes: 3, trainCount: 100, k: 2, trueLabels: Int32Array.from(truth), predicted: Int32Array.from(predicted),
        neighbourIndexes: Uint32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), neighbourSimilarities: Float32Array.from([0.9, 0.8, 0.9, 0.8, 0.9, 0.8, 0.9, 0.8]),
        neighbourLabels: Int32Array.from([0, 0, predicted[1]!, 2, predicted[2]!, 0, 2, 2]),
      });
      store.evaluations.setSamplesPath(id, rel);
    }
    const done = await svc.compare(CompareCheckpointsInputSchema.parse({ checkpointIds: [c1.id, c2.id], k: 2 }));
    assert.equal(done.ready, true, done.problem ?? '');
    assert.deepEqual(done.comparison!.pairs.map((p) => [p.onlyA, p.onlyB]), [[1, 1]]);
    assert.deepEqual(done.comparison!.disagreements.map((d) => d.index), [1, 2]);
    const panels = svc.neighbours([evalIds.get(c1.id)!, evalIds.get(c2.id)!], 2);
    assert.deepEqual(panels.map((p) => [p.predicted, p.neighbours.map((n) => n.votedForWinner)]), [[2, [true, false]], [1, [true, false]]]);
    assert.throws(() => svc.neighbours([evalIds.get(c1.id)!], 9), /outside the 4 val images/);

    store.evaluations.setSamplesPath(evalIds.get(c1.id)!, '../../etc/passwd');
    assert.throws(() => svc.neighbours([evalIds.get(c1.id)!], 0), /outside the data folder/);
  } finally {
    store.close();
    tmp.cleanup();
  }
});
