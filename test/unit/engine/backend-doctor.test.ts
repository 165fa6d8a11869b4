import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chosenBackend, explainFailure } from '../../../src-main/engine/backend-doctor.ts';
import type { BackendDiagnosis } from '../../../shared/domain.ts';

test('load failures become the reason and the fix a user can act on', () => {
  const noLib = explainFailure('tensorflow', '@tensorflow/tfjs-node failed to load: Cannot find module \'/x/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node\'');
  assert.match(noLib.reason, /^libtensorflow was not downloaded during install: the install could not reach its download host/);
  assert.match(noLib.fix, /npm rebuild @tensorflow\/tfjs-node /);

  const cuda = explainFailure('tensorflow-gpu', '@tensorflow/tfjs-node-gpu failed to load: libcudart.so.11.0: cannot open shared object file: No such file or directory');
  assert.equal(cuda.reason, 'libcudart.so.11.0 not found: tfjs-node-gpu 4.22 needs CUDA 11.2 and cuDNN 8.1');
  assert.match(cuda.fix, /CUDA 11\.2 and cuDNN 8\.1/);

  const cudnn = explainFailure('tensorflow-gpu', 'libcudnn.so.8: cannot open shared object file');
  assert.match(cudnn.reason, /^libcudnn\.so\.8 not found/);

  const missing = explainFailure('webgpu', '@tensorflow/tfjs-backend-webgpu, webgpu is not installed');
  assert.match(missing.reason, /is not installed/);
  assert.equal(missing.fix, 'npm install @tensorflow/tfjs-backend-webgpu@4.22.0 webgpu');

  const other = explainFailure('wasm', 'something odd\nsecond line');
  assert.equal(other.reason, 'something odd');
});

test('the chosen backend skips software adapters and what does not load', () => {
  const row = (backend: BackendDiagnosis['backend'], loads: boolean, software = false): BackendDiagnosis => ({
    backend, installed: true, loads, device: null, software, gflops: null, probeSize: null, reason: null, fix: null,
  });
  const saved = process.env.SNCA_BACKEND;
  delete process.env.SNCA_BACKEND;
  try {
    assert.equal(chosenBackend([row('tensorflow-gpu', false), row('webgpu', true, true), row('wasm', true), row('cpu', true)]), 'wasm');
    assert.equal(chosenBackend([row('webgpu', true, false), row('wasm', true)]), 'webgpu');
    assert.equal(chosenBackend([row('cpu', false)]), null);
    process.env.SNCA_BACKEND = 'webgpu';
    assert.equal(chosenBackend([row('webgpu', true, true), row('wasm', true)]), 'webgpu');
  } finally {
    if (saved === undefined) delete process.env.SNCA_BACKEND;
    else process.env.SNCA_BACKEND = saved;
  }
});
