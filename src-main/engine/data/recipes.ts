/** The reference's augmentation recipes (the torchvision pipelines of microsoft/snca.pytorch). */
import {
  centerCrop,
  colorJitter,
  normalize,
  randomGrayscale,
  randomHorizontalFlip,
  randomResizedCrop,
  resize,
  type TransformSpec,
} from './transforms.ts';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
export const CIFAR_MEAN = [0.4914, 0.4822, 0.4465] as const;
export const CIFAR_STD = [0.2023, 0.1994, 0.201] as const;

export function imagenetTrainTransforms(size = 224): TransformSpec[] {
  return [randomResizedCrop(size), randomHorizontalFlip(), normalize(IMAGENET_MEAN, IMAGENET_STD)];
}

export function imagenetValTransforms(size = 224, resizeTo = 256): TransformSpec[] {
  return [resize(resizeTo), centerCrop(size), normalize(IMAGENET_MEAN, IMAGENET_STD)];
}

/**
 * The order is the SNCA reference's cifar.py: crop, RandomGrayscale, then ColorJitter, then
 * flip (lemniscate's cifar.py jitters before graying; SNCA swapped them). The colour steps
 * do not commute (hue and saturation do nothing to an already-gray image), so it matters.
 */
export function cifarTrainTransforms(): TransformSpec[] {
  return [
    randomResizedCrop(32, [0.2, 1]),
    randomGrayscale(0.2),
    colorJitter(0.4, 0.4, 0.4, 0.4),
    randomHorizontalFlip(),
    normalize(CIFAR_MEAN, CIFAR_STD),
  ];
}

export function cifarValTransforms(): TransformSpec[] {
  return [normalize(CIFAR_MEAN, CIFAR_STD)];
}

/**
 * The CIFAR val transform for images that are not CIFAR's own (an image folder, a dropped
 * file): Normalize only on a 32×32 image, as the reference; an image of another size is
 * resized to 32×32 first (the resize is skipped at 32×32), so batches have one shape.
 */
export function cifarSizedValTransforms(): TransformSpec[] {
  return [resize([32, 32]), ...cifarValTransforms()];
}
