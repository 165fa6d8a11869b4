/**
 * Checkpoint overhead per epoch: the time to write one epoch's checkpoint (model state_dict,
 * memory bank, momentum buffers; encoded once, written atomically with fsync as `latest`,
 * and as `latest` + `best` when the epoch is the best so far) against the epoch time.
 *
 * Epoch times are ESTIMATED, not measured: a training step (forward + backward, no NCA loss)
 * is timed with benchModelForward and scaled to the epoch's images. For the demo that is
 * 8,000 images (63 steps of 128); for CIFAR ResNet-18, 50,000 images (391 steps of 128),
 * scaled from batch-32 steps because a batch-128 ResNet-18 step on wasm takes too long to
 * time here. The real epoch is slower (NCA loss, memory update, data, kNN evaluation), so
 * the percentages are upper bounds of the overhead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunConfigSchema, findPreset, type Arch } from '../../shared/run-config.ts';
import { selectBackend } from '../../src-main/engine/backend.ts';
import { createModel } from '../../src-main/engine/models/model.ts';
import { MemoryBank } from '../../src-main/engine/nca/memory-bank.ts';
import { SGD } from '../../src-main/engine/optim/sgd.ts';
import type { CheckpointKind } from '../../shared/domain.ts';
import { writeCheckpoint } from '../../src-main/engine/train/checkpoint-writer.ts';
import { benchModelForward } from './models.ts';

interface CheckpointTiming {
  bytes: number;
  latest_ms: number;
  latest_and_best_ms: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeCheckpoint(arch: Arch, bankRows: number, inputShape: [number, number, number], repeats: number): Promise<CheckpointTiming> {
  const dir = mkdtempSync(join(tmpdir(), 'snca-bench-ckpt-'));
  const config = RunConfigSchema.parse({ ...findPreset('mnist-demo')!.config, arch, name: 'bench' });
  const model = createModel(arch, { lowDim: 128, inputShape, seed: 0 });
  const labels = Int32Array.from({ length: bankRows }, (_, i) => i % 10);
  const bank = MemoryBank.initUniform(bankRows, 128, labels, 0);
  const sgd = new SGD({ lr: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: true });
  // Momentum buffers for every parameter, as after the first step.
  sgd.loadState(new Map([...model.params].map(([name, v]) => [name, new Float32Array(v.size)])), model.params);
  try {
    const run = async (kinds: CheckpointKind[]) => {
      const t = performance.now();
      const written = await writeCheckpoint({ runDir: dir, config, epoch: 1, step: 1, model, bank, sgd, metrics: { knn_top1: 0.5 }, kinds, best: 0.5 });
      return { ms: performance.now() - t, bytes: written[0]!.bytes };
    };
    await run(['latest']); // warm-up
    const latest: { ms: number; bytes: number }[] = [];
    const both: number[] = [];
    for (let i = 0; i < repeats; i++) latest.push(await run(['latest']));
    for (let i = 0; i < repeats; i++) both.push((await run(['latest', 'best'])).ms);
    return { bytes: latest[0]!.bytes, latest_ms: median(latest.map((l) => l.ms)), latest_and_best_ms: median(both) };
  } finally {
    model.dispose();
    bank.dispose();
    sgd.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

const pct = (part: number, whole: number) => Number(((100 * part) / whole).toFixed(3));

export async function benchCheckpoint(): Promise<Record<string, unknown>> {
  const backend = await selectBackend({ prefer: 'wasm' });

  const demoCkpt = await timeCheckpoint('small-convnet', 8000, [28, 28, 1], 5);
  const demoStep = await benchModelForward('small-convnet', 128, 3);
  const demoEpochMs = demoStep.msPerStep * Math.ceil(8000 / 128);

  const cifarCkpt = await timeCheckpoint('cifar-resnet18', 50_000, [32, 32, 3], 3);
  const cifarStep32 = await benchModelForward('cifar-resnet18', 32, 1);
  const cifarEpochMs = (cifarStep32.msPerStep / 32) * 50_000;

  return {
    backend: backend.name,
    note: 'epoch times are estimates: timed forward+backward steps scaled to the epoch (no NCA loss, data or evaluation), so overheads are upper bounds',
    demo_small_convnet_bank_8000x128: {
      ...demoCkpt,
      step_ms_b128: Number(demoStep.msPerStep.toFixed(1)),
      epoch_ms_estimated: Math.round(demoEpochMs),
      overhead_pct_latest: pct(demoCkpt.latest_ms, demoEpochMs),
      overhead_pct_latest_and_best: pct(demoCkpt.latest_and_best_ms, demoEpochMs),
    },
    cifar_resnet18_bank_50000x128: {
      ...cifarCkpt,
      step_ms_b32: Number(cifarStep32.msPerStep.toFixed(1)),
      epoch_ms_estimated: Math.round(cifarEpochMs),
      epoch_estimate: '(b32 step ms / 32) x 50,000 images = 391 steps of 128 at the same per-image cost',
      overhead_pct_latest: pct(cifarCkpt.latest_ms, cifarEpochMs),
      overhead_pct_latest_and_best: pct(cifarCkpt.latest_and_best_ms, cifarEpochMs),
      target_pct: 2,
    },
  };
}
