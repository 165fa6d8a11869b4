/**
 * compare.checkpoints end to end: two real small-convnet checkpoints on a small MNIST split,
 * evaluated by the real evaluate-worker through the core. The first call starts both
 * evaluations; once they end, the per-sample files are in runs/<id>/evaluations/ and the
 * comparison agrees with the records (McNemar counts ↔ top-1 difference, per-class counts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CompareCheckpointsResult, NeighbourPanel } from '../../../shared/checkpoint-compare.ts';
import { dispatchCall } from '../../../src-main/core/call-dispatch.ts';
import { createModel } from '../../../src-main/engine/models/model.ts';
import { MemoryBank } from '../../../src-main/engine/nca/memory-bank.ts';
import { SGD } from '../../../src-main/engine/optim/sgd.ts';
import { writeCheckpoint } from '../../../src-main/engine/train/checkpoint-writer.ts';
import { demoConfig, newRun } from '../../fixtures/run-records.ts';
import { startTestCore } from '../../fixtures/test-core.ts';
import { useBackend } from '../../unit/engine/use-backend.ts';

test('compare.checkpoints: missing evaluations run with per-sample files, then the comparison is consistent', { timeout: 180_000 }, async () => {
  await useBackend('cpu');
  const t = await startTestCore('completing', { backend: 'cpu' });
  try {
    const config = demoConfig({ lowDim: 16, dataset: { kind: 'mnist', trainSize: 200, valSize: 60 } });
    t.store.runs.insert(newRun('cmprun', { configJson: JSON.stringify(config) }));
    t.store.runs.transition('cmprun', ['queued'], 'completed');
    const ids: number[] = [];
    for (const [epoch, seed] of [[1, 3], [2, 4]] as const) {
      const model = createModel(config.arch, { lowDim: 16, seed });
      const bank = MemoryBank.initUniform(200, 16, new Int32Array(200), seed);
      const sgd = new SGD({ lr: 0.1 });
      const [w] = await writeCheckpoint({ runDir: t.core.paths.runDir('cmprun'), config, epoch, step: epoch, model, bank, sgd, metrics: {}, kinds: ['epoch'] });
      model.dispose();
      bank.dispose();
      sgd.dispose();
      ids.push(t.store.checkpoints.record('cmprun', w!, new Date().toISOString()).id);
    }
    const ask = async () => {
      const r = await dispatchCall(t.core.handlers, 'compare.checkpoints', { checkpointIds: ids, recomputeMemory: true });
      assert.ok(r.ok, JSON.stringify(r));
      return r.result as CompareCheckpointsResult;
    };
    const first = await ask();
    assert.equal(first.ready, false);
    assert.deepEqual(first.evaluations.map((e) => e.status), ['running', 'running']);
    for (const e of first.evaluations) {
      const done = await t.core.evaluations.whenDone(e.id);
      assert.equal(done.status, 'completed', done.error ?? '');
      assert.ok(existsSync(join(t.home, 'runs', 'cmprun', 'evaluations', `${e.id}.psr`)));
    }
    const second = await ask();
    assert.equal(second.ready, true, second.problem ?? '');
    assert.ok(second.evaluations.every((e) => e.reused), 'the stored evaluations are reused');
    const cmp = second.comparison!;
    const [a, b] = second.evaluations;
    assert.equal(cmp.samples, 60);
    const pair = cmp.pairs[0]!;
    assert.ok(Math.abs((pair.onlyA - pair.onlyB) / 60 - (a!.top1! - b!.top1!)) < 1e-9, 'McNemar counts match the top-1 difference');
    assert.ok(pair.pValue > 0 && pair.pValue <= 1);
    for (const c of cmp.perClass) {
      const rec = a!.perClass!.find((p) => p.class === c.class)!;
      assert.equal(c.count, rec.count);
      assert.ok(Math.abs(c.accuracy[0]! - (rec.count ? rec.correct / rec.count : 0)) < 1e-12);
    }
    assert.ok(cmp.disagreementTotal >= Math.abs(pair.onlyA - pair.onlyB));
    const pick = cmp.disagreements[0]?.index ?? 0;
    const nb = await dispatchCall(t.core.handlers, 'compare.neighbours', { evaluationIds: [a!.id, b!.id], index: pick });
    assert.ok(nb.ok, JSON.stringify(nb));
    const panels = nb.result as NeighbourPanel[];
    assert.equal(panels.length, 2);
    for (const p of panels) {
      assert.equal(p.neighbours.length, 30);
      assert.ok(p.neighbours.some((n) => n.votedForWinner), 'some neighbour voted for the winning class');
      assert.ok(p.neighbours.every((n) => n.votedForWinner === (n.label === p.predicted)));
    }
  } finally {
    await t.dispose();
  }
});
