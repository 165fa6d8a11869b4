/** `snca eval` (a stored evaluation is reused and printed; a missing target fails; Ctrl-C cancels) and `snca runs export`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveSigma } from '../../../shared/run-config.ts';
import { runCli } from '../../../src-main/cli/program.ts';
import { canonicalJson } from '../../../src-main/core/evaluations-service.ts';
import { createModel } from '../../../src-main/engine/models/model.ts';
import { MemoryBank } from '../../../src-main/engine/nca/memory-bank.ts';
import { SGD } from '../../../src-main/engine/optim/sgd.ts';
import { writeCheckpoint } from '../../../src-main/engine/train/checkpoint-writer.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { dataPaths } from '../../../src-main/core/data-home.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { demoConfig, newRun } from '../../fixtures/run-records.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { recordCheckpoint } from '../../fixtures/checkpoint-records.ts';
import { startTestCore } from '../../fixtures/test-core.ts';
import { fakeWorker } from '../../fixtures/workers/fake-workers.ts';
import { useBackend } from '../engine/use-backend.ts';

test('snca eval RUN prints top-1 / top-5 of a stored evaluation with the same key (reused, no new job); snca runs export prints CSV', { timeout: 60_000 }, async () => {
  await useBackend('cpu');
  const tmp = makeTempDir();
  try {
    const paths = dataPaths(tmp.dir);
    const config = demoConfig({ lowDim: 8, dataset: { kind: 'mnist', trainSize: 20, valSize: 10 } });
    const store = openStore(paths.database);
    store.runs.insert(newRun('r1', { configJson: JSON.stringify(config) }));
    store.runs.transition('r1', ['queued'], 'completed');
    store.metrics.insert('r1', [{ key: 'loss', step: 1, epoch: 0.5, value: 2.5, wallTime: 1 }]);
    const model = createModel(config.arch, { lowDim: 8, seed: 0 });
    const bank = MemoryBank.initUniform(20, 8, new Int32Array(20), 0);
    const sgd = new SGD({ lr: 0.1 });
    const [w] = await writeCheckpoint({ runDir: paths.runDir('r1'), config, epoch: 1, step: 1, model, bank, sgd, metrics: {}, kinds: ['best'] });
    model.dispose();
    bank.dispose();
    sgd.dispose();
    const ckpt = store.checkpoints.record('r1', w!, new Date().toISOString());
    const key = { checkpointSha256: w!.sha256, datasetJson: canonicalJson(config.dataset), datasetState: '', k: 30, sigma: effectiveSigma(config), recomputeMemory: false };
    const row = store.evaluations.insert({ ...key, runId: 'r1', checkpointId: ckpt.id, checkpointPath: w!.path, checkpointEpoch: 1, createdAt: 'x', ownerPid: process.pid });
    store.evaluations.complete(row.id, { top1: 0.5, top5: 0.9, nnTop1: 0.4, samples: 10, perClass: [], confusion: [], wallSeconds: 1, backend: 'cpu' }, 'y');
    store.close();

    const ctx = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('completing'), evaluateWorkerEntry: fakeWorker('throwing') });
    assert.equal(await runCli(['eval', 'r1'], ctx), 0, ctx.err());
    assert.match(ctx.out(), /top-1 50\.00%\ntop-5 90\.00%/);
    assert.match(ctx.out(), /stored result reused/);

    const missing = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('completing') });
    assert.equal(await runCli(['eval', '/nope/ckpt.safetensors'], missing), 1);
    assert.match(missing.err(), /\/nope\/ckpt\.safetensors/);

    const exp = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('completing') });
    assert.equal(await runCli(['runs', 'export', 'r1', '--format', 'csv'], exp), 0, exp.err());
    const lines = exp.out().trim().split('\n');
    assert.equal(lines[0], 'kind,key,step,epoch,value,wall_time');
    assert.ok(lines.includes('config,lowDim,,,8,'));
    assert.ok(lines.includes('metric,loss,1,0.5,2.5,1'));
  } finally {
    tmp.cleanup();
  }
});

test('snca eval: Ctrl-C cancels the evaluation, exit code 130, the record ends cancelled', { timeout: 60_000 }, async () => {
  const tmp = makeTempDir();
  try {
    const setup = await startTestCore('completing', { home: tmp.dir });
    const { id } = await setup.core.runs.create(demoConfig({ epochs: 1, batchSize: 4 }));
    await setup.core.runs.whenEnded(id);
    recordCheckpoint(setup, id, 1, 4);
    await setup.dispose();

    // K=4: the fake evaluation worker runs until it is cancelled.
    const ctx = recordingContext({ home: tmp.dir, workerEntry: fakeWorker('completing'), evaluateWorkerEntry: fakeWorker('evaluating') });
    const done = runCli(['eval', id, '--k', '4'], ctx);
    const store = openStore(dataPaths(tmp.dir).database);
    try {
      for (let i = 0; store.evaluations.listByRun(id)[0]?.status !== 'running'; i++) {
        assert.ok(i < 500, 'the evaluation starts');
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 50));
      ctx.interrupt();
      assert.equal(await done, 130, ctx.err());
      assert.match(ctx.err(), /Cancelling the evaluation/);
      assert.match(ctx.err(), /the evaluation was cancelled/);
      assert.equal(ctx.out(), '');
      const [e] = store.evaluations.listByRun(id);
      assert.equal(e!.status, 'cancelled');
      assert.equal(e!.k, 4);
    } finally {
      store.close();
    }
  } finally {
    tmp.cleanup();
  }
});
