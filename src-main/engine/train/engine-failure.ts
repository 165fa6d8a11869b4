/**
 * Turns low-level engine failures into messages a user can act on. The wasm heap stops at
 * 4 GB: a tensor that does not fit raises WasmHeapExhaustedError (wasm-heap-guard.ts); an
 * allocation inside a C++ kernel that fails surfaces as a bare `Aborted()` or an
 * out-of-bounds access. With the lean backward pass CIFAR ResNet-18 at batch 128 and
 * ImageNet ResNet-18 at batch 32 fit; deeper networks or larger batches may not.
 */
import { WasmHeapExhaustedError } from '../wasm-heap-guard.ts';

export function describeEngineFailure(err: unknown, batchSize: number): string {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof WasmHeapExhaustedError) {
    return `${message}, at batch size ${batchSize}. Lower the batch size (or raise --iter-size to keep the effective batch), ` +
      'or install @tensorflow/tfjs-node / @tensorflow/tfjs-node-gpu.';
  }
  if (/^Aborted\(/.test(message) || /out of memory|Out of memory|memory access out of bounds/.test(message)) {
    return `The compute backend ran out of memory at batch size ${batchSize} (${message.split('.')[0]}). ` +
      'The WebAssembly backend has at most 4 GB: lower the batch size (or raise --iter-size to keep the effective batch), ' +
      'or install @tensorflow/tfjs-node / @tensorflow/tfjs-node-gpu.';
  }
  return message;
}
