/**
 * worker_thread entry that lists the WebGPU adapters Dawn offers (loading Dawn for good,
 * which is why it is a thread of its own) and posts them once.
 */
import { parentPort } from 'node:worker_threads';
import { listWebGpuAdapters } from '../engine/webgpu-device.ts';

const port = parentPort;
if (!port) throw new Error('webgpu-adapters-worker must run inside a worker_thread');

try {
  port.postMessage({ type: 'adapters', adapters: await listWebGpuAdapters() });
} catch (err) {
  port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
}
