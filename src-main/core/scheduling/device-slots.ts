/**
 * The slots jobs run in, shared by every kind of job of this process (training runs,
 * evaluations, embedding jobs):
 * - with devices (GPUs the app may use), one slot per device, whatever the job: a machine
 *   with 4 GPUs runs 4 jobs at once, each on its own device, the lowest free index first;
 * - without devices (a CPU-only machine), the unpinned slots of before: `cpuTrainingSlots`
 *   training runs, and beside them one evaluation and one embedding job.
 * When a slot frees, the listeners (the scheduler, the evaluations service, …) are called
 * in the order they registered; the first that has a job waiting takes it.
 */
import { deviceId, type ComputeDevice } from '../../../shared/compute-devices.ts';

export type SlotUse = 'training' | 'evaluation' | 'embedding';

export interface Slot {
  /** The device the job is pinned to; null on a CPU-only machine. */
  readonly device: ComputeDevice | null;
  readonly use: SlotUse;
  /** Who holds it ("run 3f2a", "evaluation 7"), for the hardware panel. */
  holder: string;
}

const CPU_CAPACITY: Record<SlotUse, (trainingSlots: number) => number> = {
  training: (n) => n,
  evaluation: () => 1,
  embedding: () => 1,
};

export class DeviceSlots {
  private devices: ComputeDevice[];
  private readonly held = new Set<Slot>();
  private readonly listeners: (() => void)[] = [];
  private notifying = false;
  private renotify = false;

  constructor(
    devices: readonly ComputeDevice[],
    private readonly cpuTrainingSlots = 1,
  ) {
    this.devices = [...devices];
  }

  /** The devices new jobs may be pinned to. */
  get usable(): readonly ComputeDevice[] {
    return this.devices;
  }

  /** The held slots, in the order taken. */
  get busy(): readonly Slot[] {
    return [...this.held];
  }

  /** A free slot for `use`, now held by `holder`; null when every slot for it is taken. */
  acquire(use: SlotUse, holder: string): Slot | null {
    if (this.devices.length === 0) {
      let inUse = 0;
      for (const s of this.held) if (s.device === null && s.use === use) inUse += 1;
      if (inUse >= CPU_CAPACITY[use](this.cpuTrainingSlots)) return null;
      return this.take({ device: null, use, holder });
    }
    const taken = new Set([...this.held].map((s) => s.device && deviceId(s.device)));
    const free = this.devices.find((d) => !taken.has(deviceId(d)));
    return free ? this.take({ device: free, use, holder }) : null;
  }

  /** Gives a slot back and offers it to whoever waits. Releasing twice does nothing. */
  release(slot: Slot): void {
    if (!this.held.delete(slot)) return;
    this.notify();
  }

  /**
   * Changes the devices new jobs may use (settings, `--devices`). Running jobs keep their
   * device; a removed device takes no new job, an added one is offered at once.
   */
  setUsable(devices: readonly ComputeDevice[]): void {
    this.devices = [...devices];
    this.notify();
  }

  /** Called whenever a slot may have become free. */
  onFreed(listener: () => void): void {
    this.listeners.push(listener);
  }

  private take(slot: Slot): Slot {
    this.held.add(slot);
    return slot;
  }

  /** Listeners may release slots synchronously (a job that fails to start): no re-entry, one more round instead. */
  private notify(): void {
    if (this.notifying) {
      this.renotify = true;
      return;
    }
    this.notifying = true;
    try {
      do {
        this.renotify = false;
        for (const l of this.listeners) l();
      } while (this.renotify);
    } finally {
      this.notifying = false;
    }
  }
}
