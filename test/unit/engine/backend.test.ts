import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  BackendUnavailableError,
  currentBackend,
  forcedBackendFromEnv,
  listAvailableBackends,
  selectBackend,
} from '../../../src-main/engine/backend.ts';

async function withEnv<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.SNCA_BACKEND;
  if (value === undefined) delete process.env.SNCA_BACKEND;
  else process.env.SNCA_BACKEND = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.SNCA_BACKEND;
    else process.env.SNCA_BACKEND = saved;
  }
}

test('wasm and cpu are always available and listing leaves the active backend alone', async () => {
  await withEnv(undefined, () => selectBackend({ prefer: 'cpu' }));
  const available = await listAvailableBackends();
  assert.ok(available.includes('wasm'), `wasm missing from ${available}`);
  assert.ok(available.includes('cpu'), `cpu missing from ${available}`);
  assert.equal(tf.getBackend(), 'cpu');
});

test('prefer picks the backend and describes the device; selecting again is idempotent', async () => {
  const info = await withEnv(undefined, () => selectBackend({ prefer: 'wasm' }));
  assert.equal(info.name, 'wasm');
  assert.equal(info.tfBackend, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.match(info.device, /^CPU \(wasm, (SIMD|no SIMD), \d+ threads?\)$/);
  assert.match(info.detail, /tfjs-backend-wasm 4\./);
  const again = await withEnv(undefined, () => selectBackend({ prefer: 'wasm' }));
  assert.deepEqual(again, info);
  assert.deepEqual(currentBackend(), info);
  // The custom kernel is registered with the backend.
  assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
  const cpu = await withEnv(undefined, () => selectBackend({ prefer: 'cpu' }));
  assert.equal(cpu.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
});

test('concurrent selections are serialised', async () => {
  const [a, b] = await withEnv(undefined, () => Promise.all([selectBackend({ prefer: 'wasm' }), selectBackend({ prefer: 'cpu' })]));
  assert.equal(a.name, 'wasm');
  assert.equal(b.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
});

test('SNCA_BACKEND forces a backend over prefer', async () => {
  const info = await withEnv('wasm', () => selectBackend({ prefer: 'cpu' }));
  assert.equal(info.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
});

test('an invalid SNCA_BACKEND is refused naming the valid values', async () => {
  assert.throws(() => forcedBackendFromEnv({ SNCA_BACKEND: 'gpu' }), /SNCA_BACKEND="gpu" is not a backend; use one of tensorflow-gpu, webgpu, tensorflow, wasm, cpu/);
  assert.equal(forcedBackendFromEnv({}), null);
  await withEnv('metal', () => assert.rejects(selectBackend(), /SNCA_BACKEND="metal"/));
});

test('a forced backend that cannot start fails with a clear error', async (t) => {
  const available = await listAvailableBackends();
  const missing = (['tensorflow-gpu', 'tensorflow'] as const).find((n) => !available.includes(n));
  if (!missing) {
    t.skip('both native backends are installed here');
    return;
  }
  await withEnv(missing, async () => {
    await assert.rejects(selectBackend(), (e: unknown) => {
      assert.ok(e instanceof BackendUnavailableError);
      assert.equal(e.backend, missing);
      assert.match(e.message, new RegExp(`Backend "${missing}" is not available: .*forced by SNCA_BACKEND=${missing}`));
      return true;
    });
  });
});
