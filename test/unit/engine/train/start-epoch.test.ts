/** A fresh run with startEpoch (the reference's --start-epoch): the loop and schedules start there. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findPreset, RunConfigSchema } from '../../../../shared/run-config.ts';
import type { MetricPoint } from '../../../../shared/domain.ts';
import { runTraining } from '../../../../src-main/engine/train/trainer.ts';
import { makeTempDir } from '../../../fixtures/temp-home.ts';

test('startEpoch 2 of 3 trains one epoch at the decayed learning rate and checkpoints epoch 3', { timeout: 120_000 }, async () => {
  const tmp = makeTempDir('snca-start-epoch-');
  try {
    const config = RunConfigSchema.parse({
      ...findPreset('mnist-demo')!.config,
      epochs: 3,
      startEpoch: 2,
      batchSize: 50,
      lrSchedule: { stepEpochs: 2, gamma: 0.1 },
      dataset: { kind: 'mnist', trainSize: 200, valSize: 100 },
    });
    const points: MetricPoint[] = [];
    const epochsCheckpointed: number[] = [];
    const status = await runTraining({ config, runDir: tmp.dir, backend: 'wasm' }, {
      started: () => {},
      progress: () => {},
      metrics: (p) => points.push(...p),
      log: () => {},
      checkpoint: (c) => epochsCheckpointed.push(c.epoch),
      cancelRequested: () => false,
    });
    assert.equal(status, 'completed');
    const lr = points.filter((p) => p.key === 'lr');
    assert.equal(lr.length, 1, 'one epoch trained');
    assert.ok(Math.abs(lr[0]!.value - 0.01) < 1e-12, `lr ${lr[0]!.value}`);
    assert.equal(points.filter((p) => p.key === 'loss').length, 4);
    assert.ok(epochsCheckpointed.every((e) => e === 3), String(epochsCheckpointed));
  } finally {
    tmp.cleanup();
  }
});
