/** Typed access to the JSON fixtures written by test/fixtures/models/generate-fixtures.py. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ArchName } from '../../../../src-main/engine/models/model.ts';

const DIR = fileURLToPath(new URL('../../../fixtures/models/', import.meta.url));

export interface LayoutFixture {
  inputShape: [number, number, number];
  entries: Array<[name: string, shape: number[], dtype: 'float32' | 'int64']>;
}

export interface TensorSummary {
  size: number;
  sum: number;
  sumSquares: number;
  head: number[];
  full: number[] | null;
}

export interface ArchReference {
  inputShape: [number, number, number];
  evalOutput: number[];
  trainOutput: number[];
  runningStats: Record<string, { running_mean: TensorSummary; running_var: TensorSummary; num_batches_tracked: number }>;
  /** Input of the gradient fixture: its own size and stream, chosen so no ReLU input is near 0. */
  gradInput?: { shape: [number, number, number]; stream: number; reluMargin: number };
  loss?: number;
  grads?: Record<string, TensorSummary>;
}

export interface ReferenceFixture {
  batch: number;
  torchVersion: string;
  archs: Record<ArchName, ArchReference>;
}

export function loadLayoutFixture(): Record<ArchName, LayoutFixture> {
  return JSON.parse(readFileSync(DIR + 'state-dict-layout.json', 'utf8')) as Record<ArchName, LayoutFixture>;
}

export function loadReferenceFixture(): ReferenceFixture {
  return JSON.parse(readFileSync(DIR + 'reference-outputs.json', 'utf8')) as ReferenceFixture;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
