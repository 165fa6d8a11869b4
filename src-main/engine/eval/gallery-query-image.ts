/**
 * A query image from outside the dataset (a file picked or dropped in the gallery) turned
 * into the network input the dataset's images get: decoded (bounded, no code run), then
 * MNIST: resized to 28×28, grey (channel mean), the loader's normalisation; CIFAR: resized
 * to 32×32 (unless it is), the val normalisation (Normalize only); ImageFolder: the ImageNet val transform (Resize 256,
 * CenterCrop 224, Normalize).
 */
import type { DatasetSpecInput } from '../../../shared/run-config.ts';
import type { ImageShape } from '../data/dataset.ts';
import { decodeImage } from '../data/image-decode.ts';
import { MNIST_NORMALIZATION } from '../data/mnist.ts';
import { cifarSizedValTransforms, imagenetValTransforms } from '../data/recipes.ts';
import { sampleRng } from '../data/rng.ts';
import { applyTransforms, resize } from '../data/transforms.ts';

/** The input shape a dataset's images have after its val transforms. */
export function datasetInputShape(kind: DatasetSpecInput['kind']): ImageShape {
  switch (kind) {
    case 'mnist':
      return [28, 28, 1];
    case 'cifar10':
    case 'cifar100':
      return [32, 32, 3];
    case 'imagefolder':
      return [224, 224, 3];
  }
}

/** HWC float32 input of `shape` for the encoded image `bytes` (`name` names it in errors). */
export async function queryImageInput(kind: DatasetSpecInput['kind'], bytes: Uint8Array, name: string): Promise<Float32Array> {
  const decoded = await decodeImage(bytes, name);
  // The val transforms are deterministic; the generator is never drawn from.
  const rng = sampleRng(0, 0, 0);
  switch (kind) {
    case 'mnist': {
      const img = applyTransforms(decoded, [resize([28, 28])], rng);
      const out = new Float32Array(28 * 28);
      for (let p = 0; p < out.length; p++) {
        const grey = (img.data[p * 3]! + img.data[p * 3 + 1]! + img.data[p * 3 + 2]!) / 3;
        out[p] = (grey - MNIST_NORMALIZATION.mean) / MNIST_NORMALIZATION.std;
      }
      return out;
    }
    case 'cifar10':
    case 'cifar100':
      return applyTransforms(decoded, cifarSizedValTransforms(), rng).data;
    case 'imagefolder':
      return applyTransforms(decoded, imagenetValTransforms(), rng).data;
  }
}
