/**
 * Test helper: the webgpu backend on whatever adapter this machine has, the software one
 * (SwiftShader from Debian's chromium) where there is no GPU. The tests that use it FAIL,
 * never skip, when no adapter is found: .ci/run installs what the software adapter needs.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { selectBackend, type BackendInfo } from '../../../../src-main/engine/backend.ts';
import { SWIFTSHADER_ICD } from '../../../../src-main/engine/webgpu-device.ts';
import type { RunConfigInput } from '../../../../shared/run-config.ts';

/**
 * An MNIST-demo run small enough for software Vulkan: 40 training digits in batches of 20
 * (2 steps an epoch), 10 val digits, 16-d embeddings, K=5.
 */
export const TINY_WEBGPU_RUN = {
  batchSize: 20,
  lowDim: 16,
  dataset: { kind: 'mnist', trainSize: 40, valSize: 10 },
  eval: { k: 5, everyEpochs: 1, monitor: 'knn_top1', recomputeMemory: false },
} satisfies Partial<RunConfigInput>;

/**
 * Points Vulkan at SwiftShader when nothing else is configured, forces SNCA_BACKEND=webgpu
 * (a software adapter is used only when forced; worker threads started later inherit it),
 * and activates webgpu. Fails with the backend's reason when no adapter is available.
 */
export async function useWebGpu(): Promise<BackendInfo> {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  process.env.SNCA_BACKEND = 'webgpu';
  let info: BackendInfo;
  try {
    info = await selectBackend();
  } catch (e) {
    assert.fail(`no WebGPU adapter for the webgpu tests (on Debian: apt-get install chromium libvulkan1): ${e instanceof Error ? e.message : String(e)}`);
  }
  assert.equal(info.name, 'webgpu');
  assert.equal(info.tfBackend, 'webgpu');
  return info;
}

/** Largest |a − b| / max(1, |b|) over two equal-length arrays (NaN counts as a failure). */
export function maxScaledDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!));
    if (!(d <= worst)) worst = d;
  }
  return worst;
}
