/** Typed access to test/fixtures/torch/ (written by make-torch-fixtures.py with PyTorch 1.13). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const TORCH_FIXTURES = fileURLToPath(new URL('../../fixtures/torch/', import.meta.url));

export interface ExpectedCheckpoint {
  arch: string;
  width: number;
  lowDim: number;
  format: 'zip' | 'legacy';
  layout: 'imagenet' | 'cifar';
  epoch: number;
  bestPrec1: number;
  bankRows: number;
  temperature: number;
  momentum: number;
  /** memory[0, :8] */
  bankHead: number[];
  /** Eval-mode embedding of each image the model takes (CIFAR: 32×32 ones; ImageNet: the others). */
  embeddings: Record<string, number[]>;
}

export interface ExpectedTorchFixtures {
  torchVersion: string;
  transforms: {
    cifar: { mean: number[]; std: number[] };
    imagenet: { resize: number; crop: number; mean: number[]; std: number[] };
  };
  checkpoints: Record<string, ExpectedCheckpoint>;
  /** Byte offset of the patched element count in hostile-oversized-storage.legacy.pth. */
  oversizedStorageCountOffset: number;
}

export function expectedTorchFixtures(): ExpectedTorchFixtures {
  return JSON.parse(readFileSync(`${TORCH_FIXTURES}expected.json`, 'utf8')) as ExpectedTorchFixtures;
}

export const fixturePath = (name: string): string => `${TORCH_FIXTURES}${name}`;
