/**
 * `snca export` through the contract, checked by PyTorch itself: the exported `.pth` loads
 * with torch.load(..., weights_only=True) in Debian's python3-torch, the reference network
 * and its LinearAverage take its state_dict and lemniscate strictly, and torch's eval-mode
 * embeddings equal ours within 1e-4. The `.safetensors` export holds the same tensors, and our
 * own reader reads the `.pth` back. Skipped, saying why, only where torch is not importable.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { createReferenceModel, readReferenceCheckpoint } from '../../../src-main/acquire/reference-checkpoint.ts';
import { readTensorFloat32 } from '../../../src-main/acquire/torch-tensor.ts';
import { runCli } from '../../../src-main/cli/program.ts';
import { writeFileAtomic } from '../../../src-main/engine/checkpoint/atomic-file.ts';
import { CHECKPOINT_FORMAT, MEMORY_TENSOR } from '../../../src-main/engine/checkpoint/checkpoint-format.ts';
import { decodeSafetensors } from '../../../src-main/engine/checkpoint/checkpoint-reader.ts';
import { encodeSafetensors, type NamedTensor } from '../../../src-main/engine/checkpoint/safetensors.ts';
import { exportStateDict } from '../../../src-main/engine/models/state-dict.ts';
import { recordingContext } from '../../fixtures/cli-context.ts';
import { demoConfig } from '../../fixtures/run-records.ts';
import { makeTempDir } from '../../fixtures/temp-home.ts';
import { useBackend } from '../engine/models/backend.ts';
import { fixturePath } from '../acquire/torch-fixtures.ts';

const PYTHON = '/usr/bin/python3';
const LOADER = new URL('../../fixtures/torch/load-export.py', import.meta.url).pathname;
const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const torchMissing = probe.status === 0 ? false
  : `Debian's python3-torch is not importable (${PYTHON} -c "import torch": ${probe.error?.message ?? probe.stderr.trim().split('\n').at(-1)}); .ci/run installs it`;

const tmp = makeTempDir('snca-export-');
after(() => tmp.cleanup());
before(async () => {
  await useBackend('cpu');
});

interface Ours {
  checkpoint: string;
  inputs: string;
  embeddings: Float32Array;
  memory: Float32Array;
  stateDict: Map<string, { shape: number[]; data: Float32Array | BigInt64Array }>;
}

/** Seeded values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  });
}

/** A checkpoint of ours (the SNCA header, model, bank) holding a fixture's weights, and our embeddings of seeded inputs. */
async function ourCheckpoint(fixture: string, name: string): Promise<Ours> {
  const ref = readReferenceCheckpoint(fixturePath(fixture));
  const model = createReferenceModel(ref);
  try {
    const [h, w, c] = ref.modelConfig.inputShape;
    const x = values(2 * h * w * c, 7);
    const y = model.apply(tf.tensor4d(x, [2, h, w, c]), false);
    const embeddings = (await y.data()) as Float32Array;
    y.dispose();
    const stateDict = await exportStateDict(model);
    const memory = readTensorFloat32(ref.bank!.tensor);
    const tensors = new Map<string, NamedTensor>();
    for (const [k, e] of stateDict) tensors.set(k, e.dtype === 'int64' ? { dtype: 'I64', shape: e.shape, data: e.data } : { dtype: 'F32', shape: e.shape, data: e.data });
    tensors.set(MEMORY_TENSOR, { dtype: 'F32', shape: [ref.bank!.rows, 128], data: memory });
    tensors.set('optimizer.momentum_buffer.conv1.weight', { dtype: 'F32', shape: [1], data: Float32Array.of(0) });
    const config = { ...demoConfig({ temperature: 0.07, memoryMomentum: 0.4 }), arch: ref.arch };
    const checkpoint = writeFileAtomic(join(tmp.dir, `${name}.safetensors`), encodeSafetensors(tensors, {
      format: CHECKPOINT_FORMAT, version: '1', arch: ref.arch, epoch: '7', step: '70',
      config: JSON.stringify(config), metrics: JSON.stringify({ knn_top1: 0.5 }), best: '0.6123',
    })).path;
    const inputs = join(tmp.dir, `${name}-inputs.json`);
    writeFileSync(inputs, JSON.stringify({ shape: [2, h, w, c], values: Array.from(x) }));
    return { checkpoint, inputs, embeddings, memory, stateDict };
  } finally {
    model.dispose();
  }
}

async function exportVia(ref: string, format: 'pth' | 'safetensors', out: string): Promise<string> {
  const ctx = recordingContext({ home: join(tmp.dir, 'home') });
  const code = await runCli(['export', ref, '--format', format, '--out', out], ctx);
  assert.equal(code, 0, ctx.err());
  return ctx.out();
}

for (const [fixture, name] of [['cifar-resnet18-w4.zip.t7', 'cifar'], ['imagenet-resnet50-w2.zip.pth.tar', 'imagenet']] as const) {
  test(`${name}: the exported .pth loads in PyTorch with weights_only=True and embeds like us within 1e-4`, { skip: torchMissing }, async () => {
    const ours = await ourCheckpoint(fixture, name);
    const out = join(tmp.dir, `${name}.pth`);
    assert.match(await exportVia(ours.checkpoint, 'pth', out), new RegExp(`^wrote ${out} \\(pth, \\d+ bytes\\): .* epoch 7, best_prec1 61\\.23, memory bank \\d+ rows`));
    const py = spawnSync(PYTHON, [LOADER, out, ours.inputs], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(py.status, 0, py.stderr);
    const got = JSON.parse(py.stdout) as {
      keys: string[]; arch: string; epoch: number; bestPrec1: number; width: number; params: number[];
      memoryShape: number[]; memorySum: number; embeddings: number[][];
    };
    assert.deepEqual(got.keys, ['arch', 'best_prec1', 'epoch', 'lemniscate', 'state_dict']);
    assert.equal(got.epoch, 7);
    assert.ok(Math.abs(got.bestPrec1 - 61.23) < 1e-9);
    assert.ok(Math.abs(got.params[0]! - 0.07) < 1e-7 && Math.abs(got.params[1]! - 0.4) < 1e-7);
    assert.deepEqual(got.memoryShape, [ours.memory.length / 128, 128]);
    assert.ok(Math.abs(got.memorySum - ours.memory.reduce((a, b) => a + b, 0)) < 1e-4);
    const flat = got.embeddings.flat();
    assert.equal(flat.length, ours.embeddings.length);
    let worst = 0;
    flat.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - ours.embeddings[i]!))));
    assert.ok(worst < 1e-4, `max |torch − ours| = ${worst}`);
  });
}

test('the .pth reads back through our reference reader, and .safetensors holds the same tensors under flat names', async () => {
  const ours = await ourCheckpoint('cifar-resnet34-w2.legacy.t7', 'roundtrip');
  const pth = join(tmp.dir, 'roundtrip.pth');
  await exportVia(ours.checkpoint, 'pth', pth);
  const back = readReferenceCheckpoint(pth);
  assert.equal(back.format, 'zip');
  assert.equal(back.layout, 'imagenet');
  assert.deepEqual(back.modelConfig, { arch: 'cifar-resnet34', width: 2, lowDim: 128, inputShape: [32, 32, 3] });
  assert.equal(back.epoch, 7);
  assert.ok(Math.abs(back.bestPrec1! - 61.23) < 1e-9);
  assert.ok(Math.abs(back.temperature! - 0.07) < 1e-7);
  assert.deepEqual(readTensorFloat32(back.bank!.tensor), ours.memory);
  for (const [k, e] of ours.stateDict) assert.deepEqual(back.weights.get(k)!.data, e.data, k);

  const st = join(tmp.dir, 'roundtrip-export.safetensors');
  await exportVia(ours.checkpoint, 'safetensors', st);
  const decoded = decodeSafetensors(readFileSync(st), st);
  assert.deepEqual(decoded.metadata, { epoch: '7', arch: 'cifar-resnet34', best_prec1: '61.23' });
  assert.deepEqual(decoded.tensors.get('lemniscate.memory')!.data, ours.memory);
  assert.deepEqual(decoded.tensors.get('state_dict.module.conv1.weight')!.data, ours.stateDict.get('conv1.weight')!.data);
  assert.equal([...decoded.tensors.keys()].filter((k) => k.startsWith('state_dict.module.')).length, ours.stateDict.size);
  assert.equal([...decoded.tensors.keys()].some((k) => k.includes('momentum_buffer')), false);
});

test('an unknown run or file is refused naming it, and nothing is written', async () => {
  const ctx = recordingContext({ home: join(tmp.dir, 'home') });
  const out = join(tmp.dir, 'never.pth');
  assert.equal(await runCli(['export', 'no-such-run', '--out', out], ctx), 1);
  assert.match(ctx.err(), /Run or checkpoint file no-such-run/);
  assert.throws(() => readFileSync(out), /ENOENT/);

  const ours = await ourCheckpoint('cifar-resnet18-w4.zip.t7', 'self');
  const again = recordingContext({ home: join(tmp.dir, 'home') });
  assert.equal(await runCli(['export', ours.checkpoint, '--format', 'safetensors', '--out', ours.checkpoint], again), 1);
  assert.match(again.err(), /would overwrite its own source/);
});
