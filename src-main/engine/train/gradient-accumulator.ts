/**
 * Gradient accumulation (`iterSize`): the gradients of `every` consecutive iterations are
 * summed and handed to the optimizer once, at every `every`-th iteration of an epoch and at
 * the epoch's last iteration (a short final group is stepped, not carried over). The loss
 * itself is divided by `every` in the training step, so the sum is the mean gradient.
 *
 * Ownership: `add` never takes the caller's tensors; it keeps its own copies of what it
 * sums and disposes them once stepped. With every = 1 the caller's gradients go straight
 * to `step` (no copy).
 */
import * as tf from '@tensorflow/tfjs-core';

export type GradientStep = (grads: Map<string, tf.Tensor>) => void;

export class GradientAccumulator {
  private sum: Map<string, tf.Tensor> | null = null;
  private count = 0;

  constructor(
    readonly every: number,
    private readonly step: GradientStep,
  ) {
    if (!Number.isInteger(every) || every < 1) throw new RangeError(`GradientAccumulator: every must be a positive integer, got ${every}`);
  }

  /** Iterations summed since the last step. */
  get pending(): number {
    return this.count;
  }

  /**
   * Adds one iteration's gradients. `iteration` is 0-based within the epoch, `iterations`
   * the epoch's length. Returns true when this call ran the optimizer step.
   */
  add(grads: Map<string, tf.Tensor>, iteration: number, iterations: number): boolean {
    const due = (iteration + 1) % this.every === 0 || iteration + 1 === iterations;
    if (this.every === 1) {
      this.step(grads);
      return true;
    }
    const prev = this.sum;
    const next = new Map<string, tf.Tensor>();
    for (const [name, g] of grads) {
      const p = prev?.get(name);
      next.set(name, tf.keep(p ? tf.add(p, g) : g.clone()));
    }
    if (prev) for (const t of prev.values()) t.dispose();
    this.sum = next;
    this.count += 1;
    if (!due) return false;
    try {
      this.step(next);
    } finally {
      this.dispose();
    }
    return true;
  }

  /** Drops a partial sum (e.g. on cancel). */
  dispose(): void {
    if (this.sum) for (const t of this.sum.values()) t.dispose();
    this.sum = null;
    this.count = 0;
  }
}
