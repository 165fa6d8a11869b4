/**
 * Training-step throughput of a model on the current tfjs backend: forward in train mode
 * plus backward through tf.variableGrads, with a dummy loss sum(embedding · r) / batch. Not wired
 * into a bench runner; call it from one after selecting the backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type ArchName } from '../../src-main/engine/models/model.ts';
import { registerWasmConv2DBackpropFilter } from '../../src-main/engine/kernels/wasm-conv2d-backprop-filter.ts';

export interface ModelBenchResult {
  imagesPerSec: number;
  msPerStep: number;
}

export async function benchModelForward(arch: ArchName, batch: number, steps: number): Promise<ModelBenchResult> {
  if (!Number.isInteger(batch) || batch < 2) throw new Error(`batch must be an integer >= 2 (BatchNorm in training), got ${batch}`);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  // wasm ships without a Conv2DBackpropFilter kernel; training there uses the project's.
  if (tf.getBackend() === 'wasm') registerWasmConv2DBackpropFilter();
  const model = createModel(arch, { seed: 0 });
  const [h, w, c] = model.inputShape;
  const x = tf.randomNormal([batch, h, w, c], 0, 1, 'float32', 1) as tf.Tensor4D;
  const r = tf.randomNormal([batch, model.lowDim], 0, 1, 'float32', 2) as tf.Tensor2D;
  const params = [...model.params.values()];
  const step = async (): Promise<void> => {
    const { value, grads } = tf.variableGrads(() => tf.div(tf.sum(tf.mul(model.apply(x, true), r)), batch), params);
    // Reading the loss and one gradient waits for the whole step (a no-op on cpu/wasm, which are synchronous).
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  };
  try {
    await step(); // warm-up: kernel setup, XNNPACK operator caches
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await step();
    const msPerStep = (performance.now() - t0) / steps;
    return { imagesPerSec: (batch * 1000) / msPerStep, msPerStep };
  } finally {
    tf.dispose([x, r]);
    model.dispose();
  }
}
