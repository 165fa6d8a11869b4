/**
 * Throughput of one FULL SNCA training step, exactly as the trainer runs it: the trainer's
 * own `trainStep` (forward in train mode, NCA loss over a memory bank, backward through
 * tf.variableGrads, momentum memory update) with the trainer's optimizer call (SGD with
 * Nesterov momentum and weight decay, gradients remapped to parameter names). The bank
 * holds N = 10,000 rows of D = lowDim = 128 (the MNIST demo's size). With the default
 * chunk (defaultChunkRows: 16,384 rows at B = 128, 65,536 at B = 32) that bank is one
 * chunk; `chunkSize` forces streaming (the run.ts job "…_streamed" uses 8192 rows, 2 chunks,
 * as a run over a larger dataset streams).
 *
 * FLOP estimate per step (an estimate, not a measurement): the conv / linear MACs of one
 * forward pass, read from the kernel shapes of a profiled batch-1 forward (inference mode,
 * same shapes) and scaled by B; forward + dW + dX = 3 × 2 × MACs, minus the input layer's
 * dX, which tfjs never computes (the images are not a variable, so the tape prunes that
 * path). Plus 4·B·N·D for the NCA loss and its gradient (the "useful" count; streaming over
 * several chunks it executes 6·B·N·D, see engine-math.ts). BatchNorm, ReLU, pooling, the
 * memory update and the optimizer are not counted. achievedGflops = that estimate / time,
 * to compare with the backend's 1024³ matmul rate (engine-math.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type ArchName, type Model } from '../../src-main/engine/models/model.ts';
import { MemoryBank } from '../../src-main/engine/nca/memory-bank.ts';
import { defaultChunkRows } from '../../src-main/engine/nca/nca-loss.ts';
import { SGD } from '../../src-main/engine/optim/sgd.ts';
import { remapToParamNames, trainStep } from '../../src-main/engine/train/trainer.ts';
import type { Batch } from '../../src-main/engine/data/dataset.ts';
import { resetWasmHeapPeak, wasmHeapStats } from '../../src-main/engine/wasm-heap-guard.ts';

export interface TrainStepBenchResult {
  backend: string;
  arch: ArchName;
  batch: number;
  inputShape: [number, number, number];
  bankRows: number;
  /** NCA chunk rows used (the default for this batch unless the job forces one). */
  chunkRows: number;
  steps: number;
  warmUp: boolean;
  imagesPerSec: number;
  msPerStep: number;
  gflopPerStep?: number;
  achievedGflops?: number;
  /** wasm only: most memory the tensors held at once during the timed steps (the heap's limit is 4096 MB). */
  peakTensorMb?: number;
}

const BANK_ROWS = 10_000;
const CLASSES = 100;
const round = (v: number, digits = 2) => Number(v.toFixed(digits));

/** Conv / linear kernels whose MACs are counted. */
const CONV = new Set(['Conv2D', 'FusedConv2D']);
const MATMUL = new Set(['BatchMatMul', '_FusedMatMul', 'MatMul']);

/**
 * MACs of one forward pass at batch 1, and of the first (input) layer, from the kernel
 * shapes tf.profile records. Conv2D: output elements × kh·kw·cin; MatMul: output elements × K.
 */
export async function forwardMacsPerImage(model: Model): Promise<{ total: number; inputLayer: number } | undefined> {
  const [h, w, c] = model.inputShape;
  const x = tf.zeros([1, h, w, c]) as tf.Tensor4D;
  try {
    const info = await tf.profile(() => tf.tidy(() => model.apply(x, false)));
    tf.dispose(info.result);
    let total = 0;
    let inputLayer = 0;
    let first = true;
    for (const k of info.kernels) {
      const out = k.outputShapes[0];
      if (!out) continue;
      const outElems = out.reduce((a, b) => a * b, 1);
      let macs = 0;
      if (CONV.has(k.name)) {
        const filter = k.inputShapes[1]; // [kh, kw, cin, cout]
        if (!filter || filter.length !== 4) continue;
        macs = outElems * filter[0]! * filter[1]! * filter[2]!;
      } else if (MATMUL.has(k.name)) {
        const a = k.inputShapes[0];
        if (!a || a.length < 2) continue;
        const out2 = out.length >= 2 ? out : undefined;
        // K is the dimension of A not in the output (robust to transposeA).
        const rows = out2 ? out2[out2.length - 2]! : 1;
        const kDim = a[a.length - 1] === rows && a.length >= 2 ? a[a.length - 2]! : a[a.length - 1]!;
        macs = outElems * kDim;
      } else continue;
      if (first) inputLayer = macs;
      first = false;
      total += macs;
    }
    return total > 0 ? { total, inputLayer } : undefined;
  } catch {
    return undefined;
  } finally {
    x.dispose();
  }
}

function uniform(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export async function benchTrainStep(
  arch: ArchName,
  batch: number,
  inputShape: [number, number, number],
  steps: number,
  opts: { warmUp?: boolean; chunkSize?: number } = {},
): Promise<TrainStepBenchResult> {
  if (!Number.isInteger(batch) || batch < 2) throw new Error(`batch must be an integer >= 2 (BatchNorm in training), got ${batch}`);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  await tf.ready();
  const lowDim = 128;
  const model = createModel(arch, { lowDim, inputShape, seed: 0 });
  const labels = Int32Array.from({ length: BANK_ROWS }, (_, i) => i % CLASSES);
  const bank = MemoryBank.initUniform(BANK_ROWS, lowDim, labels, 1);
  const sgd = new SGD({ lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 5e-4, nesterov: true });
  const params = [...model.params.values()];
  const [h, w, c] = inputShape;
  const next = uniform(7);
  const images = new Float32Array(batch * h * w * c);
  for (let i = 0; i < images.length; i++) images[i] = next() * 2 - 1;
  const config = { temperature: 0.05, iterSize: 1 };
  let cursor = 0;
  const makeBatch = (): Batch => {
    // Distinct memory rows per step, as an epoch's batches have.
    const indexes = Int32Array.from({ length: batch }, (_, i) => (cursor + i) % BANK_ROWS);
    cursor = (cursor + batch) % BANK_ROWS;
    return { images, shape: [batch, h, w, c], labels: Int32Array.from(indexes, (k) => labels[k]!), indexes };
  };
  const step = async (): Promise<void> => {
    const loss = trainStep({
      batch: makeBatch(),
      model,
      bank,
      params,
      config,
      marginOverT: 0,
      memoryMomentum: 0.5,
      ...(opts.chunkSize !== undefined ? { chunkSize: opts.chunkSize } : {}),
      step: (grads) => sgd.step(model.params, remapToParamNames(model, grads)),
    });
    // As the trainer does: read the loss (waits for the whole step on async backends).
    await loss.data();
    loss.dispose();
  };
  try {
    const macs = await forwardMacsPerImage(model);
    // Warm-up: kernel setup, XNNPACK operator caches, momentum buffers (skippable on cpu, where a step takes minutes).
    if (opts.warmUp !== false) await step();
    resetWasmHeapPeak(tf.backend());
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await step();
    const msPerStep = (performance.now() - t0) / steps;
    const result: TrainStepBenchResult = {
      backend: tf.getBackend(),
      arch,
      batch,
      inputShape,
      bankRows: BANK_ROWS,
      chunkRows: Math.min(BANK_ROWS, opts.chunkSize ?? defaultChunkRows(batch)),
      steps,
      warmUp: opts.warmUp !== false,
      imagesPerSec: round((batch * 1000) / msPerStep, 1),
      msPerStep: round(msPerStep, 1),
    };
    const heap = wasmHeapStats(tf.backend());
    if (heap) result.peakTensorMb = Math.round(heap.peakBytes / 2 ** 20);
    if (macs) {
      const modelFlops = batch * 2 * (3 * macs.total - macs.inputLayer);
      const ncaFlops = 4 * batch * BANK_ROWS * lowDim;
      const flops = modelFlops + ncaFlops;
      result.gflopPerStep = round(flops / 1e9, 3);
      result.achievedGflops = round(flops / msPerStep / 1e6, 2);
    }
    return result;
  } finally {
    model.dispose();
    bank.dispose();
    sgd.dispose();
  }
}
