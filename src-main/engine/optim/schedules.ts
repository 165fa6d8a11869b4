/** Per-epoch schedules of the reference training scripts. Epochs count from 0. */

export interface ScheduleStep {
  /** First epoch (0-based) at which `value` applies. */
  epoch: number;
  value: number;
}

/** Step decay: `baseLr · gamma^⌊epoch / stepEpochs⌋` (reference: `lr * 0.1 ** (epoch // 40)`). */
export function stepDecayLr(baseLr: number, epoch: number, stepEpochs: number, gamma = 0.1): number {
  if (!Number.isInteger(stepEpochs) || stepEpochs < 1) {
    throw new RangeError(`stepDecayLr: stepEpochs must be a positive integer, got ${stepEpochs}`);
  }
  if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`stepDecayLr: epoch must be an integer ≥ 0, got ${epoch}`);
  return baseLr * gamma ** Math.floor(epoch / stepEpochs);
}

/**
 * Memory momentum at `epoch`: the value of the last schedule step whose epoch is ≤ `epoch`,
 * or `base` before the first one. The ImageNet recipe is base 0.5 with
 * `[{epoch: 80, value: 0.8}, {epoch: 120, value: 0.9}]`. The schedule need not be sorted.
 */
export function memoryMomentumAt(epoch: number, schedule: readonly ScheduleStep[], base: number): number {
  let value = base;
  let from = -Infinity;
  for (const step of schedule) {
    if (step.epoch <= epoch && step.epoch >= from) {
      value = step.value;
      from = step.epoch;
    }
  }
  return value;
}
