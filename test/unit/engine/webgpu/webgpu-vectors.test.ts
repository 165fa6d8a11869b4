/**
 * The webgpu backend (Dawn) against the public SNCA vectors: loss, gradient, memory update
 * and kNN within the tolerances of shared/vectors/README.md, and the adapter recorded as
 * the device. Runs on the software adapter where the machine has no GPU.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { checkVectorsFile } from '../../../../src-main/engine/nca/vectors.ts';
import { activeWebGpuAdapter } from '../../../../src-main/engine/webgpu-device.ts';
import { PUBLIC_VECTORS } from '../use-backend.ts';
import { useWebGpu } from './software-webgpu.ts';

test('webgpu: the device is the adapter, labelled software when it is one', { timeout: 120_000 }, async () => {
  const info = await useWebGpu();
  const adapter = activeWebGpuAdapter();
  assert.ok(adapter, 'an adapter is recorded');
  assert.ok(adapter.maxStorageBufferBindingSize >= 128 * 2 ** 20, `storage-buffer limit ${adapter.maxStorageBufferBindingSize}`);
  assert.match(info.device, adapter.software ? /software WebGPU\)$/ : /[^e] WebGPU\)$/);
  assert.ok(info.device.includes(adapter.description || adapter.device), info.device);
  assert.match(info.detail, /largest storage buffer \d+ MiB/);
});

test('webgpu: check-vectors passes on the public vectors', { timeout: 300_000 }, async () => {
  await useWebGpu();
  const result = await checkVectorsFile(PUBLIC_VECTORS);
  assert.equal(result.backend, 'webgpu');
  assert.equal(tf.getBackend(), 'webgpu');
  for (const c of result.cases) {
    const failed = c.checks.filter((k) => k.required && !k.pass).map((k) => `${k.quantity}: ${k.detail ?? k.maxAbsError}`);
    assert.ok(c.pass, `${c.name}: ${failed.join('; ')}`);
  }
  assert.ok(result.cases.length >= 3);
});
