/**
 * Cancel and resume for real: a wasm training worker is cancelled in epoch 2 (it stops within
 * an iteration, the worker ends, the run is `cancelled` and keeps its partial metrics), then
 * `snca train --resume <run id>` continues it under the same id from the epoch-1 checkpoint:
 * the aborted attempt's epoch-2 rows are replaced, not duplicated, and the final weights and
 * memory bank equal an uninterrupted run's byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCheckpoint } from '../../../src-main/engine/checkpoint/checkpoint-reader.ts';
import { runCli } from '../../../src-main/cli/program.ts';
import { findPreset, type RunConfigInput } from '../../../shared/run-config.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { startTestCore } from '../../fixtures/test-core.ts';

const config = (name: string): RunConfigInput => ({
  ...findPreset('mnist-demo')!.config,
  name,
  epochs: 2,
  batchSize: 50,
  // 32 iterations per epoch: long enough that a cancel sent on epoch 2's first metrics lands inside it.
  dataset: { kind: 'mnist', trainSize: 1600, valSize: 50 },
  eval: { k: 10, everyEpochs: 1, monitor: 'knn_top1', recomputeMemory: false },
  seed: 3,
});

function tensorsEqual(a: string, b: string): void {
  const ta = readCheckpoint(a).tensors;
  const tb = readCheckpoint(b).tensors;
  assert.deepEqual([...ta.keys()], [...tb.keys()]);
  for (const [name, t] of ta) {
    const u = tb.get(name)!;
    const bytes = (x: typeof t) => Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength);
    assert.ok(bytes(t).equals(bytes(u)), `${name} differs`);
  }
}

test('cancel stops a real worker within an iteration; --resume continues the run without duplicating metrics', { timeout: 300_000 }, async () => {
  const tmp = makeTempDir('snca-resume-run-');
  try {
    // 1. Train and cancel during epoch 2, once epoch 1's checkpoint is recorded.
    const first = await startTestCore('real-trainer', { home: tmp.dir, backend: 'wasm' });
    const { core, diagnostics } = first;
    let id = '';
    let cancelAt = 0;
    let stepsWhenCancelled = 0;
    let maxStep = 0;
    try {
      core.bus.on('run.metrics', (m) => {
        if (m.runId !== id) return;
        for (const p of m.points) if (p.key === 'loss') maxStep = Math.max(maxStep, p.step);
        if (!cancelAt && maxStep >= 33) {
          // Epoch 2 is under way (32 iterations per epoch): its first iteration's loss has arrived.
          cancelAt = performance.now();
          stepsWhenCancelled = maxStep;
          core.runs.cancel(id);
        }
      });
      id = (await core.runs.create(config('resumable'))).id;
      const ended = await core.runs.whenEnded(id);
      const stopSeconds = (performance.now() - cancelAt) / 1000;
      assert.ok(cancelAt > 0, 'the cancel was requested during epoch 2');
      assert.equal(ended.status, 'cancelled', ended.error ?? '');
      assert.equal(ended.epochsDone, 1);
      assert.deepEqual(core.scheduler.runningIds, [], 'the worker ended');
      assert.ok(!diagnostics.some((d) => /did not stop/.test(d)), `worker had to be terminated: ${diagnostics.join('\n')}`);
      assert.ok(stopSeconds < 2.5, `stopped ${stopSeconds.toFixed(2)} s after the cancel`);
      const loss = first.store.metrics.series(id, 'loss');
      assert.ok(loss.step.length >= stepsWhenCancelled && loss.step.length < 64, `partial metrics stay: ${loss.step.length} loss rows`);
      // Metrics reach the bus in ~250 ms batches, so "within an iteration" is checked by the stop latency above.
    } finally {
      await first.dispose();
    }

    // 2. Resume from the CLI, under the same id.
    const ctx = recordingContext({ home: tmp.dir });
    const code = await runCli(['train', '--resume', id, '--backend', 'wasm'], ctx);
    assert.equal(code, 0, ctx.err());
    assert.match(ctx.out(), new RegExp(`Resuming run ${id} .* after epoch 1/2`));
    assert.match(ctx.out(), new RegExp(`Run ${id} completed`));

    const check = await startTestCore('real-trainer', { home: tmp.dir });
    const checkStore = check.store;
    try {
      const run = check.core.runs.summary(id);
      assert.equal(run.status, 'completed');
      assert.equal(run.epochsDone, 2);
      const loss = checkStore.metrics.series(id, 'loss');
      assert.deepEqual([...loss.step], Array.from({ length: 64 }, (_, i) => i + 1), 'one loss row per step, none duplicated');
      assert.equal(checkStore.metrics.series(id, 'knn_top1').step.length, 2);
      assert.equal(checkStore.metrics.series(id, 'lr').step.length, 2);
      const logs = checkStore.logs.after(id, 0, 1000).map((l) => l.message);
      assert.ok(logs.some((m) => /Resumed from .*latest\.safetensors .*epoch 1, step 32/.test(m)), logs.join('\n'));
      const resumedLatest = checkStore.checkpoints.list(id).find((c) => c.kind === 'latest')!;
      assert.equal(resumedLatest.epoch, 2);

    } finally {
      await check.dispose();
    }
    // 3. The same config uninterrupted ends with the same bytes.
    const again = await startTestCore('real-trainer', { home: tmp.dir, backend: 'wasm' });
    const store2 = again.store;
    try {
      const fresh = await again.core.runs.create(config('uninterrupted'));
      const end = await again.core.runs.whenEnded(fresh.id);
      assert.equal(end.status, 'completed', end.error ?? '');
      const a = store2.checkpoints.list(id).find((c) => c.kind === 'latest')!;
      const b = store2.checkpoints.list(fresh.id).find((c) => c.kind === 'latest')!;
      tensorsEqual(a.path, b.path);
      assert.deepEqual([...store2.metrics.series(id, 'loss').value], [...store2.metrics.series(fresh.id, 'loss').value]);
    } finally {
      await again.dispose();
    }
  } finally {
    tmp.cleanup();
  }
});
