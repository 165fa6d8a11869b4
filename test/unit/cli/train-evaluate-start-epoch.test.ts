/**
 * The reference CLI's `-e/--evaluate` and `--start-epoch` on `snca train`: -e with --resume
 * is `snca eval` (same output; DATAPATH and --k reach the evaluation), -e without --resume is
 * refused; --start-epoch is the epoch training starts from: below --epochs on a new run, and
 * with --resume exactly the epoch the run continues from; anything else is refused before
 * anything starts (README states the same rule).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatasetSpecSchema, effectiveSigma, type RunConfig } from '../../../shared/run-config.ts';
import { runCli } from '../../../src-main/cli/program.ts';
import { dataPaths } from '../../../src-main/core/data-home.ts';
import { canonicalJson } from '../../../src-main/core/evaluations-service.ts';
import { writeFileAtomic } from '../../../src-main/engine/checkpoint/atomic-file.ts';
import { CHECKPOINT_FORMAT } from '../../../src-main/engine/checkpoint/checkpoint-format.ts';
import { encodeSafetensors } from '../../../src-main/engine/checkpoint/safetensors.ts';
import { createModel } from '../../../src-main/engine/models/model.ts';
import { MemoryBank } from '../../../src-main/engine/nca/memory-bank.ts';
import { SGD } from '../../../src-main/engine/optim/sgd.ts';
import { writeCheckpoint } from '../../../src-main/engine/train/checkpoint-writer.ts';
import { openStore, type Store } from '../../../src-main/store/store.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { demoConfig, newRun } from '../../fixtures/run-records.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { startTestCore } from '../../fixtures/test-core.ts';
import { fakeWorker } from '../../fixtures/workers/fake-workers.ts';
import { fakeCifar, writeCifar } from '../engine/data/cifar-fixtures.ts';
import { useBackend } from '../engine/use-backend.ts';

/** A completed run r1 with a real `best` checkpoint; returns what an evaluation row needs. */
async function runWithCheckpoint(home: string): Promise<{ store: Store; config: RunConfig; sha256: string; path: string; checkpointId: number }> {
  const paths = dataPaths(home);
  const config = demoConfig({ lowDim: 8, dataset: { kind: 'mnist', trainSize: 20, valSize: 10 } });
  const store = openStore(paths.database);
  store.runs.insert(newRun('r1', { configJson: JSON.stringify(config) }));
  store.runs.transition('r1', ['queued'], 'completed');
  const model = createModel(config.arch, { lowDim: 8, seed: 0 });
  const bank = MemoryBank.initUniform(20, 8, new Int32Array(20), 0);
  const sgd = new SGD({ lr: 0.1 });
  const [w] = await writeCheckpoint({ runDir: paths.runDir('r1'), config, epoch: 1, step: 1, model, bank, sgd, metrics: {}, kinds: ['best'] });
  model.dispose();
  bank.dispose();
  sgd.dispose();
  const ckpt = store.checkpoints.record('r1', w!, new Date().toISOString());
  return { store, config, sha256: w!.sha256, path: w!.path, checkpointId: ckpt.id };
}

function storeEvaluation(
  s: Awaited<ReturnType<typeof runWithCheckpoint>>,
  over: { datasetJson?: string; k?: number },
  result: { top1: number; top5: number },
): void {
  const key = {
    checkpointSha256: s.sha256,
    datasetJson: over.datasetJson ?? canonicalJson(s.config.dataset),
    datasetState: '',
    k: over.k ?? 30,
    sigma: effectiveSigma(s.config),
    recomputeMemory: false,
  };
  const row = s.store.evaluations.insert({ ...key, runId: 'r1', checkpointId: s.checkpointId, checkpointPath: s.path, checkpointEpoch: 1, createdAt: 'x', ownerPid: process.pid });
  s.store.evaluations.complete(row.id, { ...result, nnTop1: 0.4, samples: 10, perClass: [], confusion: [], wallSeconds: 1, backend: 'cpu' }, 'y');
}

test('snca train --resume RUN -e prints what snca eval RUN prints; DATAPATH and --k reach the evaluation', { timeout: 60_000 }, async () => {
  await useBackend('cpu');
  const tmp = makeTempDir();
  try {
    const data = join(tmp.dir, 'data');
    writeCifar(data, 'cifar10', 'binary', fakeCifar('cifar10', 1, 1));
    const s = await runWithCheckpoint(tmp.dir);
    storeEvaluation(s, {}, { top1: 0.5, top5: 0.9 });
    storeEvaluation(s, { k: 5 }, { top1: 0.25, top5: 0.75 });
    storeEvaluation(s, { datasetJson: canonicalJson(DatasetSpecSchema.parse({ kind: 'cifar10', root: data })), k: 7 }, { top1: 0.125, top5: 0.625 });
    s.store.close();
    // No new evaluation job may start: the worker would fail the command.
    const opts = { home: tmp.dir, workerEntry: fakeWorker('completing'), evaluateWorkerEntry: fakeWorker('throwing') };
    const cli = async (...argv: string[]) => {
      const ctx = recordingContext(opts);
      const code = await runCli(argv, ctx);
      return { code, out: ctx.out(), err: ctx.err() };
    };

    const viaEval = await cli('eval', 'r1');
    assert.equal(viaEval.code, 0, viaEval.err);
    const viaTrain = await cli('train', '--resume', 'r1', '-e');
    assert.equal(viaTrain.code, 0, viaTrain.err);
    assert.equal(viaTrain.out, viaEval.out);
    assert.match(viaTrain.out, /top-1 50\.00%\ntop-5 90\.00%/);

    // --evaluate, a checkpoint file and --k.
    const k5 = await cli('train', '--resume', s.path, '--evaluate', '--k', '5');
    assert.equal(k5.code, 0, k5.err);
    assert.match(k5.out, /K 5, .*\ntop-1 25\.00%\ntop-5 75\.00%/);

    // DATAPATH (detected as for training) replaces the checkpoint's dataset.
    const onData = await cli('train', data, '--resume', 'r1', '-e', '--k', '7');
    assert.equal(onData.code, 0, onData.err);
    assert.match(onData.out, /K 7, .*\ntop-1 12\.50%\ntop-5 62\.50%/);

    // Not stored with that key: a new job starts and (throwing worker) fails; the failure is reported.
    const fresh = await cli('train', '--resume', 'r1', '-e', '--k', '9');
    assert.equal(fresh.code, 1);
    assert.match(fresh.err, /the evaluation failed/);

    const badData = await cli('train', join(tmp.dir, 'missing'), '--resume', 'r1', '-e');
    assert.equal(badData.code, 1);
    assert.match(badData.err, /DATAPATH: .*missing: folder does not exist/);
  } finally {
    tmp.cleanup();
  }
});

const refusedWithEvaluate: [string[], RegExp][] = [
  [['-e'], /^error: -e\/--evaluate needs --resume RUN_OR_CHECKPOINT.*randomly initialised network, which is never useful, so it is refused/],
  [['--evaluate', '--k', '5'], /^error: -e\/--evaluate needs --resume/],
  [['--resume', 'r1', '-e', '--epochs', '3', '--lr', '0.1'], /^error: -e\/--evaluate .*cannot be combined with --epochs, --lr; nothing was started/],
  [['--resume', 'r1', '-e', '--start-epoch', '1'], /^error: -e\/--evaluate .*cannot be combined with --start-epoch/],
  [['--resume', 'r1', '-e', '--dataset', 'cifar10'], /^error: --dataset: says what kind DATAPATH is, but no DATAPATH was given/],
  [['--k', '5'], /^error: --k: .*only goes with -e/],
  [['--resume', 'r1', '--k', '5'], /^error: --k: .*only goes with -e/],
  [['--start-epoch', '5'], /^error: --start-epoch 5: must be below --epochs \(5\); nothing was started/],
];
for (const [flags, expected] of refusedWithEvaluate) {
  test(`snca train ${flags.join(' ')} → refused before anything starts`, { timeout: 60_000 }, async () => {
    const tmp = makeTempDir();
    try {
      const ctx = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('completing') });
      assert.equal(await runCli(['train', ...flags], ctx), 1);
      assert.match(ctx.err(), expected);
      assert.equal(ctx.out(), '');
    } finally {
      tmp.cleanup();
    }
  });
}

test('--start-epoch 0 on a new run is the default; with --resume it must be the checkpoint epoch', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir('snca-cli-start-epoch-');
  const coreOptions = { home: tmp.dir, workerEntry: fakeWorker('completing') };
  try {
    const cli = async (...argv: string[]) => {
      const ctx = recordingContext(coreOptions);
      const code = await runCli(argv, ctx);
      return { code, out: ctx.out(), err: ctx.err() };
    };
    let r = await cli('train', '--start-epoch', '0', '--epochs', '1');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Run \S+ completed/);
    // The reference's --start-epoch on a fresh run: stored in the config, the loop starts there.
    r = await cli('train', '--start-epoch', '2', '--epochs', '3', '--name', 'late start');
    assert.equal(r.code, 0, r.err);
    const listed = await cli('runs', '--json');
    const late = (JSON.parse(listed.out) as { id: string; name: string }[]).find((x) => x.name === 'late start');
    assert.ok(late, listed.out);
    const lateStore = openStore(dataPaths(tmp.dir).database);
    try {
      const stored = JSON.parse(lateStore.runs.configJson(late.id)!) as { startEpoch: number };
      assert.equal(stored.startEpoch, 2);
    } finally {
      lateStore.close();
    }

    // A failed run with a real checkpoint file (epoch 1 of 2) recorded as its latest, and a
    // cancelled run without any checkpoint.
    const id = 'r1';
    const noCheckpoint = 'r2';
    const paths = dataPaths(tmp.dir);
    const store = openStore(paths.database);
    let path = '';
    try {
      const config = JSON.stringify(demoConfig({ epochs: 2, batchSize: 3 }));
      store.runs.insert(newRun(id, { configJson: config, epochs: 2 }));
      assert.ok(store.runs.transition(id, ['queued'], 'failed', { error: 'disk full' }));
      const w = writeFileAtomic(join(paths.checkpointsDir(id), 'latest.safetensors'), encodeSafetensors(
        new Map([['memory_bank', { dtype: 'F32' as const, shape: [1], data: new Float32Array(1) }]]),
        { format: CHECKPOINT_FORMAT, version: '1', arch: 'small-convnet', epoch: '1', step: '3', config, metrics: '{}' },
      ));
      path = w.path;
      store.checkpoints.record(id, { epoch: 1, kind: 'latest', path, sha256: w.sha256, bytes: w.bytes, metrics: {} }, new Date().toISOString());
      store.runs.insert(newRun(noCheckpoint, { configJson: JSON.stringify(demoConfig({ epochs: 1 })), epochs: 1 }));
      assert.ok(store.runs.transition(noCheckpoint, ['queued'], 'cancelled'));
    } finally {
      store.close();
    }

    for (const asked of ['0', '2']) {
      r = await cli('train', '--resume', id, '--start-epoch', asked);
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`--start-epoch ${asked}: this run continues at epoch 1 \\(its checkpoint .*latest\\.safetensors was saved after epoch 1\\).*Overriding the epoch counter is not supported.*nothing was started`));
      assert.equal(r.out, '');
    }
    r = await cli('train', '--resume', noCheckpoint, '--start-epoch', '1');
    assert.equal(r.code, 1);
    assert.match(r.err, /--start-epoch 1: this run continues at epoch 0 \(it has no checkpoint yet, so it starts over at epoch 0\)/);
    const check = await startTestCore('completing', { home: tmp.dir });
    try {
      assert.equal(check.core.runs.get(id).status, 'failed', 'nothing was started');
      assert.equal(check.core.runs.get(noCheckpoint).status, 'cancelled', 'nothing was started');
    } finally {
      await check.dispose();
    }

    r = await cli('train', '--resume', id, '--start-epoch', '1');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`Resuming run ${id} .* after epoch 1/2`));
    assert.match(r.out, new RegExp(`Run ${id} completed`));
    r = await cli('train', '--resume', noCheckpoint, '--start-epoch', '0');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`Run ${noCheckpoint} completed`));
  } finally {
    tmp.cleanup();
  }
});
