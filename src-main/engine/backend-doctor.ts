/**
 * `snca doctor`: every backend, whether its packages are installed, whether it starts, its
 * device and a short matmul probe, and when it is missing the reason and the fix. Loading
 * the native backends is for good (an addon cannot be unloaded), so this runs in its own
 * worker thread (workers/doctor-worker.ts), never in the app's main thread.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, BACKEND_PACKAGES, type BackendDiagnosis, type BackendName } from '../../shared/domain.ts';
import { activateForDiagnosis, forcedBackendFromEnv } from './backend.ts';
import { activeWebGpuAdapter, probeWebGpuAdapter, WebGpuUnavailableError } from './webgpu-device.ts';

const requireHere = createRequire(import.meta.url);

/** Reason and fix for a backend that did not start, from its load error. */
export function explainFailure(backend: BackendName, message: string): { reason: string; fix: string } {
  const pkg = BACKEND_PACKAGES[backend].join(' and ');
  if (/is not installed/.test(message)) {
    const native = backend === 'tensorflow' || backend === 'tensorflow-gpu';
    return {
      reason: `${pkg} is not installed (an optional dependency npm skipped${native ? ', usually because its install step failed' : ''})`,
      fix: `npm install ${BACKEND_PACKAGES[backend].map((p) => (p.startsWith('@tensorflow/') ? `${p}@4.22.0` : p)).join(' ')}`,
    };
  }
  const cuda = /lib(cudart|cublas|cublasLt|cufft|curand|cusolver|cusparse)[^\s:'"]*/.exec(message);
  if (cuda) {
    return {
      reason: `${cuda[0]} not found: tfjs-node-gpu 4.22 needs CUDA 11.2 and cuDNN 8.1`,
      fix: 'install CUDA 11.2 and cuDNN 8.1 (Linux or Windows, NVIDIA GPU) and put their libraries on LD_LIBRARY_PATH (PATH on Windows); on any other GPU use webgpu',
    };
  }
  const cudnn = /libcudnn[^\s:'"]*/.exec(message);
  if (cudnn) {
    return {
      reason: `${cudnn[0]} not found: tfjs-node-gpu 4.22 needs cuDNN 8.1 with CUDA 11.2`,
      fix: 'install cuDNN 8.1 for CUDA 11.2 and put it on LD_LIBRARY_PATH (PATH on Windows)',
    };
  }
  if (/libtensorflow|tensorflow\.dll|tfjs_binding\.node/.test(message)) {
    const name = BACKEND_PACKAGES[backend][0]!;
    return {
      reason: `libtensorflow was not downloaded during install: the install could not reach its download host (${firstLine(message)})`,
      fix: `on a machine with internet access run npm rebuild ${name} (its install script downloads libtensorflow 2.9.1); offline, use webgpu or wasm`,
    };
  }
  if (/already loaded in this process/.test(message)) {
    return { reason: message, fix: 'only one of tfjs-node and tfjs-node-gpu can run per process; the app uses the first that loads' };
  }
  return { reason: firstLine(message), fix: backend === 'wasm' || backend === 'cpu' ? 'reinstall with npm ci' : `reinstall ${pkg}` };
}

function firstLine(s: string): string {
  const line = s.split('\n')[0]!.trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function installed(backend: BackendName): boolean {
  return BACKEND_PACKAGES[backend].every((p) => {
    try {
      requireHere.resolve(p);
      return true;
    } catch {
      return false;
    }
  });
}

/** Matrix side of the probe: big enough to be compute-bound, short on slow devices. */
function probeSide(backend: BackendName, software: boolean): number {
  if (backend === 'cpu' || software) return 128;
  if (backend === 'wasm') return 256;
  return 1024;
}

/** 2n³ flops per n×n matmul, repeated for about `budgetMs` after one warm-up (shaders compile there). */
export async function measureMatmulGflops(n: number, budgetMs = 300): Promise<number> {
  const a = tf.randomUniform([n, n], -1, 1, 'float32', 1);
  const b = tf.randomUniform([n, n], -1, 1, 'float32', 2);
  try {
    const once = async () => {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    };
    await once();
    let iterations = 0;
    const t0 = performance.now();
    while (iterations < 2 || performance.now() - t0 < budgetMs) {
      await once();
      iterations++;
    }
    const seconds = (performance.now() - t0) / 1000;
    return (2 * n ** 3 * iterations) / seconds / 1e9;
  } finally {
    tf.dispose([a, b]);
  }
}

async function diagnoseOne(backend: BackendName): Promise<BackendDiagnosis> {
  const base = { backend, installed: installed(backend), loads: false, device: null, software: false, gflops: null, probeSize: null };
  if (!base.installed) return { ...base, ...explainFailure(backend, `${BACKEND_PACKAGES[backend].join(', ')} is not installed`) };
  if (backend === 'webgpu') {
    // Ask for the adapter first: its absence has a reason and a fix of its own.
    try {
      await probeWebGpuAdapter();
    } catch (e) {
      if (e instanceof WebGpuUnavailableError) return { ...base, reason: e.reason, fix: e.fix };
      return { ...base, ...explainFailure(backend, e instanceof Error ? e.message : String(e)) };
    }
  }
  const info = await activateForDiagnosis(backend);
  if (typeof info === 'string') return { ...base, ...explainFailure(backend, info) };
  const software = backend === 'webgpu' && (activeWebGpuAdapter()?.software ?? false);
  const n = probeSide(backend, software);
  let gflops: number | null = null;
  let probeError: string | null = null;
  try {
    gflops = await measureMatmulGflops(n);
  } catch (e) {
    probeError = e instanceof Error ? e.message : String(e);
  }
  const reason = probeError
    ? `it started but the matmul probe failed: ${firstLine(probeError)}`
    : software
      ? 'only a software adapter: correct but slow, so it is not chosen by default'
      : backend === 'cpu'
        ? 'the pure-JavaScript fallback: slowest of all'
        : null;
  const fix = probeError ? 'report this with the output of snca doctor' : software ? 'install the GPU vendor\'s Vulkan/Metal/D3D12 driver; SNCA_BACKEND=webgpu uses the software adapter anyway' : null;
  return { ...base, loads: true, device: info.device, software, gflops, probeSize: n, reason, fix };
}

/** Every backend in the default order; leaves the cpu backend active. */
export async function diagnoseBackends(): Promise<BackendDiagnosis[]> {
  const out: BackendDiagnosis[] = [];
  for (const backend of BACKEND_NAMES) out.push(await diagnoseOne(backend));
  await activateForDiagnosis('cpu');
  return out;
}

/** The backend a new run gets: SNCA_BACKEND, else the first in the default order that loads (hardware only for webgpu). */
export function chosenBackend(rows: readonly BackendDiagnosis[]): BackendName | null {
  const forced = forcedBackendFromEnv();
  if (forced) return rows.find((r) => r.backend === forced)?.loads ? forced : null;
  return rows.find((r) => r.loads && !r.software)?.backend ?? null;
}
