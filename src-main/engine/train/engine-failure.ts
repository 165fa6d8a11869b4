/**
 * Turns low-level engine failures into messages a user can act on. The wasm module reports
 * an allocation failure as a bare `Aborted()`: its heap stops at 4 GB, and a large batch of
 * a deep network (CIFAR ResNet-18 at batch 128, ImageNet ResNet-18 at 32) does not fit.
 */
export function describeEngineFailure(err: unknown, batchSize: number): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/^Aborted\(/.test(message) || /out of memory|Out of memory|memory access out of bounds/.test(message)) {
    return `The compute backend ran out of memory at batch size ${batchSize} (${message.split('.')[0]}). ` +
      'The WebAssembly backend has at most 4 GB: lower the batch size (or raise --iter-size to keep the effective batch), ' +
      'or install @tensorflow/tfjs-node / @tensorflow/tfjs-node-gpu.';
  }
  return message;
}
