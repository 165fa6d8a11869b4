/**
 * Engine-level parity with PyTorch: every fixture checkpoint, converted by the reference
 * names and loaded into the engine's ResNet at the width it was saved with, gives torch's
 * eval-mode embeddings within 1e-4 on inputs that involve no resampling (32×32 CIFAR images
 * normalised; a 256×256 image centre-cropped to 224 and normalised for ImageNet nets).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { createReferenceModel, readReferenceCheckpoint } from '../../../src-main/acquire/reference-checkpoint.ts';
import { useBackend } from '../engine/models/backend.ts';
import { TORCH_FIXTURES, expectedTorchFixtures, fixturePath } from './torch-fixtures.ts';

const expected = expectedTorchFixtures();
const TOL = 1e-4;

/** NHWC float input: the image's centre `crop`×`crop` (no resampling), normalised. */
async function input(name: string, crop: number, mean: number[], std: number[]): Promise<Float32Array> {
  const { data, info } = await sharp(`${TORCH_FIXTURES}images/${name}`).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const top = Math.round((info.height - crop) / 2);
  const left = Math.round((info.width - crop) / 2);
  const out = new Float32Array(crop * crop * 3);
  for (let y = 0; y < crop; y++)
    for (let x = 0; x < crop; x++)
      for (let c = 0; c < 3; c++) {
        out[(y * crop + x) * 3 + c] = (data[((top + y) * info.width + left + x) * info.channels + c]! / 255 - mean[c]!) / std[c]!;
      }
  return out;
}

before(async () => {
  await useBackend('cpu');
});

for (const [file, exp] of Object.entries(expected.checkpoints)) {
  test(`${file}: the converted ${exp.arch} (width ${exp.width}) embeds like PyTorch within ${TOL}`, async () => {
    const ck = readReferenceCheckpoint(fixturePath(file));
    const cifar = exp.layout === 'cifar';
    const t = cifar ? expected.transforms.cifar : expected.transforms.imagenet;
    const names = Object.keys(exp.embeddings).filter((n) => (cifar ? true : n === 'imagenet-256.png'));
    assert.ok(names.length > 0, 'the fixture has no-resample inputs for this model');
    const crop = cifar ? 32 : expected.transforms.imagenet.crop;
    const model = createReferenceModel(ck);
    try {
      for (const name of names) {
        const x = tf.tensor4d(await input(name, crop, t.mean, t.std), [1, crop, crop, 3]);
        const y = model.apply(x, false);
        const got = await y.data();
        tf.dispose([x, y]);
        const want = exp.embeddings[name]!;
        assert.equal(got.length, want.length);
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
        assert.ok(worst < TOL, `${name}: max |ours − torch| = ${worst}`);
      }
    } finally {
      model.dispose();
    }
  });
}
