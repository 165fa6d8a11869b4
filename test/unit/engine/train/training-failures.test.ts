/**
 * How a training job fails, on the wasm backend with a tiny MNIST split: a non-finite loss
 * names epoch and iteration and leaves the last good checkpoint; a checkpoint write that
 * fails (disk full, a checkpoints "folder" that is a file) fails the run with that reason and
 * leaves the previous checkpoint intact; a missing dataset fails before anything runs; a
 * corrupt or truncated checkpoint is refused on resume with its path and the sha256 mismatch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunConfigSchema, findPreset, type RunConfig } from '../../../../shared/run-config.ts';
import type { MetricPoint } from '../../../../shared/domain.ts';
import { writeFileAtomic } from '../../../../src-main/engine/checkpoint/atomic-file.ts';
import { readCheckpoint } from '../../../../src-main/engine/checkpoint/checkpoint-reader.ts';
import { MEMORY_TENSOR } from '../../../../src-main/engine/checkpoint/checkpoint-format.ts';
import { encodeSafetensors } from '../../../../src-main/engine/checkpoint/safetensors.ts';
import { runTraining, type TrainerHooks } from '../../../../src-main/engine/train/trainer.ts';
import type { WrittenCheckpoint } from '../../../../src-main/engine/train/checkpoint-writer.ts';
import { makeTempDir } from '../../../fixtures/temp-home.ts';

function recorder() {
  const rec = { checkpoints: [] as WrittenCheckpoint[], points: [] as MetricPoint[], phases: [] as string[] };
  const hooks: TrainerHooks = {
    started: () => {},
    progress: (p) => rec.phases.push(p.phase),
    metrics: (p) => rec.points.push(...p),
    log: () => {},
    checkpoint: (c) => rec.checkpoints.push(c),
    cancelRequested: () => false,
  };
  return { hooks, rec };
}

const config: RunConfig = RunConfigSchema.parse({
  ...findPreset('mnist-demo')!.config,
  name: 'failures',
  epochs: 2,
  batchSize: 50,
  dataset: { kind: 'mnist', trainSize: 100, valSize: 20 },
  eval: { k: 5, everyEpochs: 1, monitor: 'knn_top1', recomputeMemory: false },
});

const tmp = makeTempDir('snca-train-failures-');
test.after(() => tmp.cleanup());

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

test('a failing checkpoint write fails the run with the reason; the previous checkpoint is intact', { timeout: 180_000 }, async () => {
  const runDir = join(tmp.dir, 'disk-full');
  const { hooks, rec } = recorder();
  let writes = 0;
  const job = {
    config,
    runDir,
    backend: 'wasm' as const,
    writeFile: (path: string, chunks: readonly Uint8Array[]) => {
      writes += 1;
      // Epoch 1 writes latest + best; epoch 2's first write hits a full disk.
      if (writes > 2) throw enospc();
      return writeFileAtomic(path, chunks);
    },
  };
  await assert.rejects(runTraining(job, hooks), (err: Error) => {
    assert.match(err.message, /Could not write the checkpoint .*latest\.safetensors: the disk is full \(ENOSPC/);
    assert.match(err.message, /previous checkpoint was left intact/);
    return true;
  });
  assert.deepEqual(rec.checkpoints.map((c) => [c.kind, c.epoch]), [['latest', 1], ['best', 1]]);
  const latest = rec.checkpoints[0]!;
  const loaded = readCheckpoint(latest.path, { expectedSha256: latest.sha256 });
  assert.equal(loaded.header.epoch, 1);
  // Epoch 2 trained (its losses were reported) but its checkpoint never replaced epoch 1's.
  assert.ok(rec.points.some((p) => p.key === 'loss' && p.epoch > 1));
});

test('a checkpoints folder that is a file: the run fails naming it, before any checkpoint exists', { timeout: 180_000 }, async () => {
  const runDir = join(tmp.dir, 'not-a-folder');
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'checkpoints'), 'I am a file');
  const { hooks, rec } = recorder();
  await assert.rejects(runTraining({ config: { ...config, epochs: 1 }, runDir, backend: 'wasm' }, hooks),
    /Could not write the checkpoint .*checkpoints\/latest\.safetensors: the checkpoints folder path is not a folder/);
  assert.equal(rec.checkpoints.length, 0);
  assert.equal(readFileSync(join(runDir, 'checkpoints'), 'utf8'), 'I am a file');
});

test('a non-finite loss fails the run naming epoch and iteration; the last good checkpoint stays', { timeout: 180_000 }, async () => {
  // A good epoch-1 checkpoint, then a copy of it whose last layer holds NaN (as after a
  // diverged step): resuming from that copy makes epoch 2's first loss NaN.
  const runDir = join(tmp.dir, 'nan');
  const first = recorder();
  assert.equal(await runTraining({ config: { ...config, epochs: 1 }, runDir, backend: 'wasm' }, first.hooks), 'completed');
  const good = first.rec.checkpoints.find((c) => c.kind === 'latest')!;
  const goodBytes = readFileSync(good.path);
  const loaded = readCheckpoint(good.path);
  const fc = loaded.tensors.get('fc.weight')!;
  assert.ok(loaded.tensors.has(MEMORY_TENSOR));
  loaded.tensors.set('fc.weight', { ...fc, data: new Float32Array(fc.data.length).fill(NaN) });
  const poisoned = writeFileAtomic(join(tmp.dir, 'poisoned.safetensors'), encodeSafetensors(loaded.tensors, {
    format: loaded.header.format, version: String(loaded.header.version), arch: loaded.header.arch, epoch: '1', step: String(loaded.header.step),
    config: JSON.stringify(loaded.header.config), metrics: '{}',
  }));

  const second = recorder();
  await assert.rejects(
    runTraining({ config, runDir, backend: 'wasm', resumeFrom: { path: poisoned.path, sha256: poisoned.sha256 } }, second.hooks),
    /The loss became NaN.*\(epoch 2, iteration 1\)/,
  );
  assert.equal(second.rec.checkpoints.length, 0, 'no checkpoint written after the bad loss');
  assert.ok(readFileSync(good.path).equals(goodBytes), 'the last good checkpoint is unchanged');
});

test('a corrupt or truncated checkpoint is refused on resume with its path and the sha256 mismatch', { timeout: 120_000 }, async () => {
  const runDir = join(tmp.dir, 'corrupt');
  const first = recorder();
  assert.equal(await runTraining({ config: { ...config, epochs: 1 }, runDir, backend: 'wasm' }, first.hooks), 'completed');
  const good = first.rec.checkpoints.find((c) => c.kind === 'latest')!;
  const bytes = readFileSync(good.path);
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 1] ^= 0xff;
  writeFileSync(good.path, flipped);
  const second = recorder();
  await assert.rejects(runTraining({ config, runDir, backend: 'wasm', resumeFrom: { path: good.path, sha256: good.sha256 } }, second.hooks), (err: Error) => {
    assert.equal(err.name, 'CheckpointError');
    assert.ok(err.message.startsWith(`${good.path}: sha256 mismatch: recorded ${good.sha256}, file has `), err.message);
    return true;
  });
  writeFileSync(good.path, bytes.subarray(0, bytes.length - 100));
  await assert.rejects(runTraining({ config, runDir, backend: 'wasm', resumeFrom: { path: good.path } }, recorder().hooks), (err: Error) => {
    assert.equal(err.name, 'CheckpointError');
    assert.ok(err.message.startsWith(`${good.path}: `), err.message);
    return true;
  });
  assert.equal(second.rec.points.length, 0, 'nothing trained');
});

test('a missing dataset fails before anything runs', { timeout: 60_000 }, async () => {
  const { hooks, rec } = recorder();
  const missing = join(tmp.dir, 'no-such-cifar');
  const cifar = RunConfigSchema.parse({ ...config, arch: 'cifar-resnet18', dataset: { kind: 'cifar10', root: missing } });
  await assert.rejects(runTraining({ config: cifar, runDir: join(tmp.dir, 'missing'), backend: 'wasm' }, hooks), (err: Error) => {
    assert.ok(err.message.includes(missing), err.message);
    return true;
  });
  assert.deepEqual(rec.phases, ['starting']);
  assert.equal(rec.points.length, 0);
  assert.equal(rec.checkpoints.length, 0);
});
