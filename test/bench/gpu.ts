/**
 * `npm run bench -- gpu [--tiny]`: one JSON line for a machine with a GPU. The backend is
 * the app's own choice (tensorflow-gpu, else webgpu on a hardware adapter); without a GPU
 * backend it prints {"error": …} and exits 1 rather than timing a CPU. `--tiny` shrinks
 * every size so that the command can be checked end to end on a software adapter
 * (SNCA_BACKEND=webgpu): its figures are then marked software and are no GPU figures.
 */
import { execFile } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src-main/engine/backend.ts';
import { measureMatmulGflops } from '../../src-main/engine/backend-doctor.ts';
import { knnNeighbours } from '../../src-main/engine/eval/knn.ts';
import { activeWebGpuAdapter } from '../../src-main/engine/webgpu-device.ts';
import { benchNcaMemory } from './nca-memory.ts';
import { benchTrainStep, type TrainStepBenchResult } from './train-step.ts';

const round = (v: number, digits = 2) => Number(v.toFixed(digits));

/** nvidia-smi's memory.used of every GPU (MiB), null where there is no nvidia-smi. */
function gpuMemoryUsedMb(): Promise<number | null> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits'], { timeout: 3000 }, (err, out) => {
      if (err) return resolve(null);
      const v = out.split('\n').map(Number).filter(Number.isFinite);
      resolve(v.length ? v.reduce((a, b) => a + b, 0) : null);
    });
  });
}

export async function benchGpu(opts: { tiny: boolean }): Promise<Record<string, unknown>> {
  const info = await selectBackend();
  const software = info.name === 'webgpu' && (activeWebGpuAdapter()?.software ?? false);
  if (!(info.name === 'tensorflow-gpu' || info.name === 'webgpu')) {
    return { error: `no GPU backend on this machine: new runs use ${info.name} (${info.device}); see npx snca doctor` };
  }
  if (software && !opts.tiny) return { error: `only a software adapter (${info.device}): run with --tiny to check the command, or on a machine with a GPU` };
  let peakGpuMb = (await gpuMemoryUsedMb()) ?? 0;
  let peakTensorMb = 0;
  const sample = async () => {
    peakGpuMb = Math.max(peakGpuMb, (await gpuMemoryUsedMb()) ?? 0);
    peakTensorMb = Math.max(peakTensorMb, tf.memory().numBytes / 2 ** 20);
  };
  const matmulN = opts.tiny ? 128 : 4096;
  const matmulGflops = await measureMatmulGflops(matmulN, opts.tiny ? 200 : 2000);
  await sample();

  const steps: Record<string, unknown> = {};
  const trainCases: Array<[string, Parameters<typeof benchTrainStep>]> = opts.tiny
    ? [
        ['small_convnet_b4', ['small-convnet', 4, [28, 28, 1], 1, { warmUp: false }]],
        ['cifar_resnet18_b2_8x8', ['cifar-resnet18', 2, [8, 8, 3], 1, { warmUp: false }]],
      ]
    : [
        ['small_convnet_b128', ['small-convnet', 128, [28, 28, 1], 20, { warmUp: true }]],
        ['cifar_resnet18_b128', ['cifar-resnet18', 128, [32, 32, 3], 10, { warmUp: true }]],
        ['imagenet_resnet18_b32', ['resnet18', 32, [224, 224, 3], 5, { warmUp: true }]],
        ['imagenet_resnet18_b256', ['resnet18', 256, [224, 224, 3], 3, { warmUp: true }]],
      ];
  for (const [key, args] of trainCases) {
    try {
      const r: TrainStepBenchResult = await benchTrainStep(...args);
      steps[key] = {
        imagesPerSec: r.imagesPerSec,
        msPerStep: r.msPerStep,
        ...(r.achievedGflops !== undefined ? { shareOfMatmul: round(r.achievedGflops / matmulGflops, 3) } : {}),
      };
    } catch (e) {
      // B = 256 may not fit: that is a finding, not a failure of the bench.
      steps[key] = { failed: (e instanceof Error ? e.message : String(e)).slice(0, 300) };
    }
    await sample();
  }

  // The same small-convnet step on wasm in a process of its own (the target is ≥ 10× it).
  let wasmSmallConvnet: unknown = null;
  if (!opts.tiny) {
    const job = { kind: 'train-step', backend: 'wasm', arch: 'small-convnet', batch: 128, inputShape: [28, 28, 1], steps: 5, warmUp: true };
    const env = { ...process.env };
    delete env.SNCA_BACKEND;
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/bench/engine-job.ts', JSON.stringify(job)], { encoding: 'utf8', env, timeout: 600_000 });
    const line = r.stdout?.trim().split('\n').pop() ?? '';
    wasmSmallConvnet = line.startsWith('{') ? (JSON.parse(line) as { imagesPerSec?: number }).imagesPerSec ?? null : { failed: r.stderr?.slice(-300) };
  }

  const ncaN = opts.tiny ? 10_000 : 1_280_000;
  const nca = (await benchNcaMemory([ncaN], { chunked: true, unchunked: false })) as { rows: Array<{ stepMs?: number; error?: string }> };
  await sample();

  const bankRows = opts.tiny ? 10_000 : 1_280_000;
  const queries = opts.tiny ? 64 : 1024;
  const bank = tf.tidy(() => tf.div(tf.randomNormal([bankRows, 128], 0, 1, 'float32', 5), tf.scalar(Math.sqrt(128))) as tf.Tensor2D);
  const q = tf.tidy(() => tf.randomNormal([queries, 128], 0, 1, 'float32', 6) as tf.Tensor2D);
  let knnQueriesPerSec: number | { failed: string };
  try {
    const once = async () => {
      const top = knnNeighbours(q, bank, 200);
      await top.indices.data();
      tf.dispose([top.values, top.indices]);
    };
    await once();
    const t0 = performance.now();
    await once();
    knnQueriesPerSec = round(queries / ((performance.now() - t0) / 1000), 1);
  } catch (e) {
    knnQueriesPerSec = { failed: (e instanceof Error ? e.message : String(e)).slice(0, 300) };
  } finally {
    await sample();
    tf.dispose([bank, q]);
  }
  const small = steps[opts.tiny ? 'small_convnet_b4' : 'small_convnet_b128'] as { imagesPerSec?: number };
  return {
    device: info.device,
    backend: info.name,
    ...(software ? { software: true, note: 'software adapter with --tiny sizes: checks the command, says nothing about a GPU' } : {}),
    tiny: opts.tiny,
    matmul: { n: matmulN, gflops: round(matmulGflops) },
    train_step: steps,
    ...(typeof wasmSmallConvnet === 'number' && small.imagesPerSec
      ? { wasm_small_convnet_images_per_sec: wasmSmallConvnet, speedup_vs_wasm: round(small.imagesPerSec / wasmSmallConvnet, 1) }
      : { wasm_small_convnet_images_per_sec: wasmSmallConvnet }),
    nca_step_ms: { n: ncaN, ms: nca.rows[0]?.stepMs ?? nca.rows[0]?.error ?? null },
    knn: { bank: [bankRows, 128], queries, k: 200, queriesPerSec: knnQueriesPerSec },
    peak_gpu_memory_mb: peakGpuMb > 0 ? peakGpuMb : null,
    peak_tensor_mb: round(peakTensorMb),
  };
}
