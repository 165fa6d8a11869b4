/**
 * Resume is bit-exact: train 2 epochs uninterrupted vs. train 1 epoch, stop, resume from
 * its checkpoint to epoch 2 — weights, BN buffers, memory bank and momentum buffers must be
 * byte-identical, and so must the losses of epoch 2. On the cpu and wasm backends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunConfigSchema, findPreset, type RunConfig } from '../../../../shared/run-config.ts';
import type { MetricPoint } from '../../../../shared/domain.ts';
import { readCheckpoint } from '../../../../src-main/engine/checkpoint/checkpoint-reader.ts';
import { MEMORY_TENSOR, MOMENTUM_PREFIX } from '../../../../src-main/engine/checkpoint/checkpoint-format.ts';
import { runTraining, type TrainerHooks, type TrainJobSpec } from '../../../../src-main/engine/train/trainer.ts';
import type { WrittenCheckpoint } from '../../../../src-main/engine/train/checkpoint-writer.ts';
import { makeTempDir } from '../../../fixtures/temp-home.ts';

interface Recorded {
  checkpoints: WrittenCheckpoint[];
  points: MetricPoint[];
  logs: string[];
}

function recorder(stopAfterEpoch?: number): { hooks: TrainerHooks; rec: Recorded } {
  const rec: Recorded = { checkpoints: [], points: [], logs: [] };
  const hooks: TrainerHooks = {
    started: () => {},
    progress: () => {},
    metrics: (p) => rec.points.push(...p),
    log: (_level, m) => rec.logs.push(m),
    checkpoint: (c) => rec.checkpoints.push(c),
    cancelRequested: () => stopAfterEpoch !== undefined && rec.checkpoints.some((c) => c.epoch >= stopAfterEpoch),
  };
  return { hooks, rec };
}

function tinyConfig(trainSize: number, valSize: number): RunConfig {
  return RunConfigSchema.parse({
    ...findPreset('mnist-demo')!.config,
    name: 'resume',
    epochs: 2,
    batchSize: 25,
    dataset: { kind: 'mnist', trainSize, valSize },
    eval: { k: 10, everyEpochs: 1, monitor: 'knn_top1', recomputeMemory: false },
    checkpoint: { keepEvery: 1 },
    seed: 7,
  });
}

function bytesOf(t: { data: ArrayBufferView }): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function assertSameTensors(a: string, b: string): number {
  const ta = readCheckpoint(a).tensors;
  const tb = readCheckpoint(b).tensors;
  assert.deepEqual([...ta.keys()].sort(), [...tb.keys()].sort());
  for (const [name, t] of ta) {
    const u = tb.get(name)!;
    assert.deepEqual(u.shape, t.shape, name);
    assert.ok(bytesOf(t).equals(bytesOf(u)), `tensor ${name} differs between the uninterrupted and the resumed run`);
  }
  return ta.size;
}

const lossesOfEpoch = (points: MetricPoint[], epoch: number) =>
  points.filter((p) => p.key === 'loss' && p.epoch > epoch - 1 && p.epoch <= epoch).map((p) => [p.step, p.value]);

for (const backend of ['cpu', 'wasm'] as const) {
  test(`resuming after epoch 1 gives the uninterrupted run's epoch 2 bit for bit (${backend})`, { timeout: 300_000 }, async () => {
    const tmp = makeTempDir(`snca-resume-${backend}-`);
    try {
      // The pure-JS cpu backend is slow (several seconds per step): 2 iterations of 10 per epoch
      // there, and it resumes from the uninterrupted run's kept epoch-1 file instead of
      // training epoch 1 a second time. wasm runs the whole train, stop, resume sequence.
      const config = backend === 'cpu' ? { ...tinyConfig(20, 10), batchSize: 10 } : tinyConfig(200, 50);
      const job = (dir: string, extra: Partial<TrainJobSpec> = {}): TrainJobSpec => ({ config, runDir: `${tmp.dir}/${dir}`, backend, ...extra });

      const full = recorder();
      assert.equal(await runTraining(job('full'), full.hooks), 'completed');

      let ck1: WrittenCheckpoint;
      if (backend === 'cpu') {
        ck1 = full.rec.checkpoints.find((c) => c.kind === 'epoch' && c.epoch === 1)!;
      } else {
        const stopped = recorder(1);
        assert.equal(await runTraining(job('resumed'), stopped.hooks), 'cancelled');
        ck1 = stopped.rec.checkpoints.find((c) => c.kind === 'latest' && c.epoch === 1)!;
        assert.ok(!stopped.rec.checkpoints.some((c) => c.epoch === 2), 'stopped before epoch 2 ended');
        assertSameTensors(ck1.path, full.rec.checkpoints.find((c) => c.kind === 'epoch' && c.epoch === 1)!.path);
      }
      assert.ok(ck1, 'epoch-1 checkpoint written');

      const resumed = recorder();
      assert.equal(await runTraining(job('resumed', { resumeFrom: { path: ck1.path, sha256: ck1.sha256 } }), resumed.hooks), 'completed');
      const steps = config.dataset.kind === 'mnist' ? config.dataset.trainSize / config.batchSize : NaN;
      assert.ok(resumed.rec.logs.some((l) => new RegExp(`Resumed from .*: epoch 1, step ${steps}\\b`).test(l)), resumed.rec.logs.join('\n'));
      assert.ok(!resumed.rec.points.some((p) => p.epoch < 1), 'the resumed attempt reports nothing of epoch 1');

      const a = full.rec.checkpoints.find((c) => c.kind === 'latest' && c.epoch === 2)!;
      const b = resumed.rec.checkpoints.find((c) => c.kind === 'latest' && c.epoch === 2)!;
      assertSameTensors(a.path, b.path);
      const names = [...readCheckpoint(a.path).tensors.keys()];
      assert.ok(names.includes(MEMORY_TENSOR) && names.includes(`${MOMENTUM_PREFIX}conv1.weight`) && names.includes('fc.weight'), names.join(', '));
      assert.deepEqual(lossesOfEpoch(resumed.rec.points, 2), lossesOfEpoch(full.rec.points, 2));
      assert.ok(lossesOfEpoch(full.rec.points, 2).every(([, v]) => v! > 0.01), 'a non-trivial loss (gradients flow)');
      const knn = (r: Recorded) => r.points.filter((p) => p.key === 'knn_top1' && p.epoch === 2).map((p) => p.value);
      assert.deepEqual(knn(resumed.rec), knn(full.rec));
      // "best" semantics survive the resume: the checkpoint records the best value so far.
      const headerA = readCheckpoint(a.path).header;
      const headerB = readCheckpoint(b.path).header;
      assert.equal(headerB.extra.best, headerA.extra.best);
      assert.equal(headerB.step, headerA.step);
      assert.ok(full.rec.checkpoints.some((c) => c.kind === 'epoch' && c.epoch === 1), 'keepEvery 1 keeps epoch-0001');
    } finally {
      tmp.cleanup();
    }
  });
}
