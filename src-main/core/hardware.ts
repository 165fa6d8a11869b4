/**
 * The hardware panel's facts: compute backend, device name and, where `nvidia-smi`
 * exists, GPU utilisation and memory. While runs train, a sampler polls nvidia-smi every
 * few seconds and stores the readings as metrics `gpu_util` (percent) and `gpu_mem_mb` of
 * every running run (summed memory and mean utilisation over the GPUs). Without
 * nvidia-smi the sampler stops after its first attempt.
 */
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import type { BackendName, GpuSample, Hardware, MetricPoint } from '../../shared/domain.ts';
import type { Store } from '../store/store.ts';
import type { EventBus } from './event-bus.ts';

export const NVIDIA_SMI_ARGS = ['--query-gpu=index,name,utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'];

/** Runs a command and resolves to its stdout; rejects with an error whose `code` is e.g. ENOENT. */
export type CommandRunner = (command: string, args: readonly string[]) => Promise<string>;

export const runCommand: CommandRunner = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: 5000, windowsHide: true }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });

/** Parses `nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits`. */
export function parseNvidiaSmiCsv(text: string): GpuSample[] {
  const out: GpuSample[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < 5) continue;
    // A GPU name may itself contain commas: the numbers are the last three cells.
    const [index, ...rest] = cells;
    const total = num(rest.pop());
    const used = num(rest.pop());
    const util = num(rest.pop());
    const idx = Number(index);
    if (!Number.isInteger(idx)) continue;
    out.push({ index: idx, name: rest.join(', '), utilization: util, memoryUsedMb: used, memoryTotalMb: total });
  }
  return out;
}

/** "[N/A]" and friends become NaN, then 0: nvidia-smi reports N/A for some fields on some boards. */
function num(cell: string | undefined): number {
  const v = Number(cell);
  return Number.isFinite(v) ? v : 0;
}

export type GpuQuery = { ok: true; gpus: GpuSample[] } | { ok: false; reason: string; missing: boolean };

export async function queryGpus(run: CommandRunner = runCommand): Promise<GpuQuery> {
  try {
    const gpus = parseNvidiaSmiCsv(await run('nvidia-smi', NVIDIA_SMI_ARGS));
    return gpus.length > 0 ? { ok: true, gpus } : { ok: false, reason: 'nvidia-smi reported no GPU', missing: false };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, reason: 'nvidia-smi was not found on this machine (no NVIDIA driver): GPU readings are not available', missing: true };
    return { ok: false, reason: `nvidia-smi failed: ${err instanceof Error ? err.message : String(err)}`, missing: false };
  }
}

export async function describeHardware(backend: BackendName, run: CommandRunner = runCommand): Promise<Hardware> {
  const q = await queryGpus(run);
  const cpu = cpus()[0]?.model?.trim() || 'unknown CPU';
  const gpuName = q.ok ? q.gpus[0]?.name : undefined;
  return {
    backend,
    device: backend === 'tensorflow-gpu' && gpuName ? gpuName : cpu,
    cpuCount: cpus().length,
    gpus: q.ok ? q.gpus : null,
    gpuNote: q.ok ? null : q.reason,
  };
}

export interface GpuSamplerDeps {
  store: Store;
  bus: EventBus;
  runningIds(): string[];
  run?: CommandRunner;
  intervalMs?: number;
  diagnostics(line: string): void;
}

/** Polls nvidia-smi while runs train and stores gpu_util / gpu_mem_mb on each running run. */
export class GpuSampler {
  private timer: NodeJS.Timeout | null = null;
  private readonly steps = new Map<string, number>();
  private stopped = false;
  private busy = false;

  constructor(private readonly deps: GpuSamplerDeps) {}

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.sample(), this.deps.intervalMs ?? 5000);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One reading stored on every running run; returns how many points were written. */
  async sample(): Promise<number> {
    const ids = this.deps.runningIds();
    if (ids.length === 0 || this.busy || this.stopped) return 0;
    this.busy = true;
    try {
      const q = await queryGpus(this.deps.run ?? runCommand);
      if (!q.ok) {
        if (q.missing) this.stop();
        return 0;
      }
      const util = q.gpus.reduce((a, g) => a + g.utilization, 0) / q.gpus.length;
      const mem = q.gpus.reduce((a, g) => a + g.memoryUsedMb, 0);
      const wallTime = Date.now();
      let written = 0;
      for (const id of this.deps.runningIds()) {
        const record = this.deps.store.runs.get(id);
        if (!record || record.status !== 'running') continue;
        const step = (this.steps.get(id) ?? 0) + 1;
        this.steps.set(id, step);
        const points: MetricPoint[] = [
          { key: 'gpu_util', step, epoch: record.epochsDone, value: util, wallTime },
          { key: 'gpu_mem_mb', step, epoch: record.epochsDone, value: mem, wallTime },
        ];
        this.deps.store.metrics.insert(id, points);
        this.deps.bus.emit('run.metrics', { runId: id, points });
        written += points.length;
      }
      return written;
    } catch (err) {
      this.deps.diagnostics(`GPU sampling failed: ${err instanceof Error ? err.message : String(err)}`);
      return 0;
    } finally {
      this.busy = false;
    }
  }
}
