/**
 * Embeddings of image files with a network given by its weights, through the reference's val
 * transform: for ImageNet networks Resize(256) on the shorter side, CenterCrop(224) and
 * Normalize with the ImageNet mean/std; for CIFAR networks Normalize only, on 32×32 images
 * (the reference's CIFAR script never resizes; another size is refused, naming the file).
 * Images are decoded with sharp (data/image-decode.ts) and resized with PIL's bilinear
 * filter (data/resample.ts), then run through the network in eval mode in batches.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { Arch } from '../../../shared/run-config.ts';
import { CheckpointError, decodeSafetensors } from '../checkpoint/checkpoint-reader.ts';
import { modelStateDict } from '../checkpoint/model-tensors.ts';
import { decodeImageFile } from '../data/image-decode.ts';
import { cifarSizedValTransforms, imagenetValTransforms } from '../data/recipes.ts';
import { Rng } from '../data/rng.ts';
import { applyTransforms, type TransformSpec } from '../data/transforms.ts';
import type { ImageShape } from '../data/dataset.ts';
import { createModel, type Model, type ModelOptions } from '../models/model.ts';
import { ModelConfigError } from '../models/model-errors.ts';
import { importStateDict, type StateDictInput } from '../models/state-dict.ts';
import { ImageDecodeError } from '../data/decoded-image.ts';

/** A network to embed with: its architecture, how it was built, and its torch state_dict. */
export interface EmbeddingNetwork {
  arch: Arch;
  options: Omit<ModelOptions, 'inputShape' | 'seed'>;
  stateDict: ReadonlyMap<string, StateDictInput>;
}

export interface ValTransform {
  specs: TransformSpec[];
  /** The input side every transformed image has (224 or 32). */
  side: number;
  /** Whether the source image must already be side × side (no resize in the pipeline). */
  exactInput: boolean;
  description: string;
}

/** An imported model's network: its safetensors weights (reference names) and recorded config. */
export function loadImportedNetwork(spec: { weightsPath: string; arch: Arch; config: { lowDim: number; width: number } }): EmbeddingNetwork {
  let buf: Buffer;
  try {
    buf = readFileSync(spec.weightsPath);
  } catch (err) {
    throw new CheckpointError(spec.weightsPath, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const { tensors } = decodeSafetensors(buf, spec.weightsPath);
  return { arch: spec.arch, options: { lowDim: spec.config.lowDim, width: spec.config.width }, stateDict: modelStateDict(tensors, spec.weightsPath) };
}

/** The network's model for images of `inputShape`, in eval mode use (the caller disposes it). */
export function modelOfNetwork(network: EmbeddingNetwork, inputShape: ImageShape): Model {
  const model = createModel(network.arch, { ...network.options, inputShape: [...inputShape] });
  try {
    importStateDict(model, network.stateDict, { allowMissingBatchCounters: true });
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/**
 * The reference's val transform for an architecture: every path that feeds an image file to
 * a network of that architecture (models.embed, a gallery's val bank, a gallery file query)
 * takes it from here. CIFAR networks: Normalize only (CIFAR mean/std) on 32×32; the specs
 * resize other sizes to 32×32, which `exactInput` callers refuse before.
 */
export function valTransformOf(arch: Arch): ValTransform {
  if (isCifarArch(arch)) {
    return { specs: cifarSizedValTransforms(), side: 32, exactInput: true, description: 'normalize (CIFAR mean/std), 32×32 input' };
  }
  return { specs: imagenetValTransforms(224, 256), side: 224, exactInput: false, description: 'resize 256, center crop 224, normalize (ImageNet mean/std)' };
}

/** Whether a network of `arch` takes CIFAR's 32×32 inputs (the reference's CIFAR ResNets). */
export function isCifarArch(arch: Arch): boolean {
  return arch.startsWith('cifar-');
}

export interface EmbedHooks {
  cancelRequested(): boolean;
  /** Images embedded so far, of the total. */
  progress?(done: number, total: number): void;
}

/** One row per image, in order; 'cancelled' when asked to stop between batches. */
export async function embedImageFiles(
  network: EmbeddingNetwork,
  paths: readonly string[],
  hooks: EmbedHooks,
  batchSize = 32,
): Promise<Float32Array[] | 'cancelled'> {
  if (network.arch === 'small-convnet') throw new ModelConfigError('the small convnet embeds 28×28 MNIST digits only, not image files');
  const transform = valTransformOf(network.arch);
  const side = transform.side;
  const model = modelOfNetwork(network, [side, side, 3]);
  try {
    const rows: Float32Array[] = [];
    const rng = Rng.fromSeed(0); // the val transforms draw nothing
    for (let start = 0; start < paths.length; start += batchSize) {
      if (hooks.cancelRequested()) return 'cancelled';
      const batch = paths.slice(start, start + batchSize);
      const pixels = new Float32Array(batch.length * side * side * 3);
      for (let i = 0; i < batch.length; i++) {
        const path = batch[i]!;
        const decoded = await decodeImageFile(path);
        if (transform.exactInput && (decoded.width !== side || decoded.height !== side)) {
          throw new ImageDecodeError(path, `is ${decoded.width}×${decoded.height}; a ${network.arch} model takes ${side}×${side} images (the reference's CIFAR val transform does not resize)`);
        }
        const image = applyTransforms(decoded, transform.specs, rng);
        pixels.set(image.data, i * side * side * 3);
      }
      const out = tf.tidy(() => model.apply(tf.tensor4d(pixels, [batch.length, side, side, 3]), false));
      const data = (await out.data()) as Float32Array;
      out.dispose();
      const dim = data.length / batch.length;
      for (let i = 0; i < batch.length; i++) rows.push(data.slice(i * dim, (i + 1) * dim));
      hooks.progress?.(Math.min(start + batchSize, paths.length), paths.length);
    }
    return rows;
  } finally {
    model.dispose();
  }
}
