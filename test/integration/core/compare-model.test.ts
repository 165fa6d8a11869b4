/**
 * compare.checkpoints with an imported model as one side, end to end through the core and the
 * real evaluate-worker: the fixture ImageNet ResNet-18 (width 4, 24 bank rows) against a
 * ResNet-18 checkpoint of a run, on a generated ImageFolder tree of 3 classes × 8 train
 * images (bank row i = train image i) and 3 × 2 val images. The model's evaluation embeds the
 * val images with its imported weights (as models.embed does) and ranks its bank rows, labelled
 * by the train folder; it is stored with its per-sample file under models/<id>/ and reused.
 * Refusals name why (no train folder, another dataset), a bank that no longer matches its
 * folder fails with both numbers, a model evaluation can be cancelled (the model is not removed
 * while it runs; removed, its evaluations go with it). `snca eval MODEL` and `snca compare`
 * find the stored records by the same key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompareCheckpointsResult, CompareSide } from '../../../shared/checkpoint-compare.ts';
import { runCli } from '../../../src-main/cli/program.ts';
import { createModel } from '../../../src-main/engine/models/model.ts';
import { MemoryBank } from '../../../src-main/engine/nca/memory-bank.ts';
import { SGD } from '../../../src-main/engine/optim/sgd.ts';
import { writeCheckpoint } from '../../../src-main/engine/train/checkpoint-writer.ts';
import { writeImageFolderTree } from '../../fixtures/image-folder-tree.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { demoConfig, newRun } from '../../fixtures/run-records.ts';
import { startTestCore } from '../../fixtures/test-core.ts';
import { fixturePath } from '../../unit/acquire/torch-fixtures.ts';
import { useBackend } from '../../unit/engine/use-backend.ts';

const BANK_ROWS = 24;
const K = 5;

test('compare.checkpoints: a run checkpoint against an imported model (its bank labelled by its train folder), reused, refused, failed and cancelled with reasons', { timeout: 120_000 }, async () => {
  await useBackend('wasm');
  const t = await startTestCore('completing', { backend: 'wasm' });
  const data = mkdtempSync(join(tmpdir(), 'snca-compare-model-'));
  try {
    const tree = await writeImageFolderTree(data, ['ant', 'bee', 'cat'], { train: 8, val: 2 }, 24);
    const dataset = { kind: 'imagefolder' as const, root: data, corruptThreshold: 0.001 };
    const job = await t.core.call('models.import', { path: fixturePath('imagenet-resnet18-w4.legacy.pth.tar'), name: 'r18' });
    const imported = await t.core.models.whenImportEnded(job.jobId);
    assert.equal(imported?.phase, 'done', imported?.message ?? '');
    const modelId = imported!.modelId!;
    assert.equal((await t.core.call('models.get', { id: modelId })).bankRows, BANK_ROWS);

    const config = demoConfig({ arch: 'resnet18', lowDim: 8, dataset });
    t.store.runs.insert(newRun('cmpmodel', { configJson: JSON.stringify(config) }));
    t.store.runs.transition('cmpmodel', ['queued'], 'completed');
    const net = createModel('resnet18', { lowDim: 8, seed: 3, inputShape: [224, 224, 3] });
    const bank = MemoryBank.initUniform(BANK_ROWS, 8, new Int32Array(BANK_ROWS), 3);
    const sgd = new SGD({ lr: 0.1 });
    const [written] = await writeCheckpoint({ runDir: t.core.paths.runDir('cmpmodel'), config, epoch: 1, step: 1, model: net, bank, sgd, metrics: {}, kinds: ['epoch'] });
    net.dispose();
    bank.dispose();
    sgd.dispose();
    const checkpointId = t.store.checkpoints.record('cmpmodel', written!, new Date().toISOString()).id;
    const sides: CompareSide[] = [{ kind: 'checkpoint', id: checkpointId }, { kind: 'model', modelId }];
    const compare = (input: { sides: CompareSide[]; k?: number; dataset?: typeof dataset }) => t.core.call('compare.checkpoints', { k: K, ...input }) as Promise<CompareCheckpointsResult>;

    // Without a train folder its bank rows have no labels: refused, saying so.
    await assert.rejects(compare({ sides }), (err: Error) => /r18 has no train folder: its 24 bank rows need labels from the train folder in ImageFolder order/.test(err.message));
    await t.core.call('models.update', { id: modelId, trainFolder: join(data, 'train') });
    // Another dataset's train split is not what its rows are.
    const other = { ...dataset, root: join(data, 'elsewhere') };
    await assert.rejects(compare({ sides, dataset: other }), (err: Error) => err.message.includes(`r18's bank rows are the images of ${join(data, 'train')}`));
    assert.equal(t.store.evaluations.listByRun('cmpmodel').length, 0, 'a refused comparison starts no evaluation of its other sides');

    const first = await compare({ sides });
    assert.equal(first.ready, false);
    assert.deepEqual(first.evaluations.map((e) => [e.status, e.modelId]), [['running', null], ['running', modelId]]);
    for (const e of first.evaluations) {
      const done = await t.core.evaluations.whenDone(e.id);
      assert.equal(done.status, 'completed', done.error ?? '');
      assert.equal(done.samples, 6);
    }
    const modelEval = first.evaluations[1]!;
    const progress = t.events.filter((e) => e.event === 'evaluation.progress' && e.payload.id === modelEval.id).map((e) => e.payload);
    assert.deepEqual(progress.at(-1), { id: modelEval.id, phase: 'val', done: 6, total: 6 }, 'the job reports the val images embedded');
    assert.ok(existsSync(join(t.home, 'models', modelId, 'evaluations', `${modelEval.id}.psr`)), 'the per-sample file lives with the model');

    const evaluationEvents = () => t.events.filter((e) => e.event === 'evaluation.changed').length;
    const before = evaluationEvents();
    const second = await compare({ sides });
    assert.equal(second.ready, true, second.problem ?? '');
    assert.deepEqual(second.evaluations.map((e) => e.id), first.evaluations.map((e) => e.id));
    assert.ok(second.evaluations.every((e) => e.reused), 'both stored evaluations are reused');
    assert.equal(evaluationEvents(), before, 'no evaluation job started');
    const cmp = second.comparison!;
    assert.equal(cmp.samples, 6);
    assert.deepEqual(cmp.perClass.map((c) => c.name), ['ant', 'bee', 'cat']);
    const m = second.evaluations[1]!;
    assert.equal(m.top1, cmp.perClass.reduce((n, c) => n + c.accuracy[1]! * c.count, 0) / 6);

    // snca eval takes the model by name; the same key finds the stored record.
    const cli = recordingContext({ home: t.home });
    assert.equal(await runCli(['eval', 'r18', '--k', String(K), '--sigma', String(m.sigma), '--data', data], cli), 0, cli.err());
    assert.match(cli.out(), /^model r18 \(resnet18, imagenet-resnet18-w4\.legacy\.pth\.tar\) \(epoch 130\)\nK 5, sigma [\d.]+, imported bank, 6 val samples \(stored result reused\)\ntop-1 [\d.]+%/);
    assert.ok(cli.out().includes(`top-1 ${(m.top1! * 100).toFixed(2)}%`));
    const compared = recordingContext({ home: t.home });
    assert.equal(await runCli(['compare', String(checkpointId), 'r18', '--k', String(K)], compared), 0, compared.err());
    const pair = cmp.pairs[0]!;
    assert.equal(
      compared.out(),
      `K 5, sigma ${m.sigma}, 6 val images\n` +
        `A ${checkpointId}: top-1 ${(second.evaluations[0]!.top1! * 100).toFixed(2)}%  top-5 ${(second.evaluations[0]!.top5! * 100).toFixed(2)}%  (completed, stored)\n` +
        `B r18: top-1 ${(m.top1! * 100).toFixed(2)}%  top-5 ${(m.top5! * 100).toFixed(2)}%  (completed, stored)\n` +
        `A vs B: ${pair.onlyA} only A right, ${pair.onlyB} only B right, McNemar p = ${pair.pValue.toPrecision(3)}${pair.pValue < 0.05 ? ' (significant)' : ''}\n` +
        `${cmp.disagreementTotal} val images with differing predictions\n`,
    );
    const one = recordingContext({ home: t.home });
    assert.equal(await runCli(['compare', 'r18'], one), 1);
    assert.match(one.err(), /compare takes 2 to 4 checkpoints or models, not 1/);
    const fresh = recordingContext({ home: t.home });
    assert.equal(await runCli(['eval', modelId, '--k', '7', '--data', data], fresh), 0, fresh.err());
    assert.match(fresh.err(), /embedding 6 val images…/, 'a new evaluation reports its progress');
    assert.match(fresh.out(), /^model r18 .*\nK 7, sigma [\d.]+, imported bank, 6 val samples\ntop-1/);

    // Each neighbour of the model is a bank row, and its similarity is the imported weights'
    // val embedding (models.embed, the reference val transform) against that row.
    const index = 4;
    const panels = await t.core.call('compare.neighbours', { evaluationIds: second.evaluations.map((e) => e.id), index });
    const panel = panels[1]!;
    assert.equal(panel.neighbours.length, K);
    const embedded = await t.core.call('models.embed', { model: modelId, images: [tree.valImages[index]!] });
    const bankBytes = readFileSync(join(t.home, 'models', modelId, 'bank.f32'));
    const rows = new Float32Array(bankBytes.buffer, bankBytes.byteOffset, bankBytes.length / 4);
    const dim = embedded.dim;
    for (const n of panel.neighbours) {
      assert.equal(n.label, Math.floor(n.trainIndex / 8), 'bank row i has the label of train image i');
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += embedded.embeddings[0]![d]! * rows[n.trainIndex * dim + d]!;
      assert.ok(Math.abs(dot - n.similarity) < 1e-4, `row ${n.trainIndex}: similarity ${n.similarity}, recomputed ${dot}`);
    }
    assert.equal(panel.trueLabel, 2);

    // A model evaluation can be cancelled like any other (here while it waits for the slot the checkpoint's holds).
    const cancelling = await compare({ sides, k: K + 1 });
    await assert.rejects(t.core.call('models.remove', { id: modelId }), new RegExp(`r18 is being evaluated \\(evaluation ${cancelling.evaluations[1]!.id}\\); cancel that first`));
    for (const e of [...cancelling.evaluations].reverse()) await t.core.call('evaluations.cancel', { id: e.id });
    for (const e of cancelling.evaluations) assert.equal((await t.core.evaluations.whenDone(e.id)).status, 'cancelled');

    // A folder that no longer has one image per bank row: the evaluation fails with both numbers.
    rmSync(tree.trainImages[0]!);
    const changed = await t.core.call('evaluations.create', { model: 'r18', k: K + 3 });
    const failed = await t.core.evaluations.whenDone(changed.id);
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', new RegExp(`r18's bank has 24 rows but the train folder ${join(data, 'train')} has 23 images`));

    // Removing the model removes its evaluations with it.
    await t.core.call('models.remove', { id: modelId });
    assert.equal(t.store.evaluations.get(modelEval.id), undefined);
    assert.ok(!existsSync(join(t.home, 'models', modelId)));
  } finally {
    await t.dispose();
    rmSync(data, { recursive: true, force: true });
  }
});
