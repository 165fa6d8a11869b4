/**
 * How a job is pinned to its device: variables in its environment, and whether it needs a
 * process of its own for them.
 * - cuda: libtensorflow (tfjs-node-gpu) reads CUDA_VISIBLE_DEVICES from the C environment
 *   once, when it loads. Worker threads share their process's C environment and its one
 *   copy of libtensorflow (a worker's `env` option only changes JavaScript's process.env),
 *   so two threads of one process cannot see different GPUs: a pinned CUDA job runs in a
 *   child process started with the variable set. CUDA_DEVICE_ORDER=PCI_BUS_ID makes CUDA
 *   number the GPUs as nvidia-smi does (its default puts the fastest first).
 * - webgpu: Dawn chooses the adapter when the job's thread asks for one, by the name our
 *   own code reads from process.env, which a worker's `env` option does set: the job stays
 *   a worker thread.
 */
import { deviceId, type ComputeDevice } from '../../../shared/compute-devices.ts';
import { WEBGPU_ADAPTER_ENV } from '../../engine/webgpu-device.ts';

export interface JobPinning {
  /** Variables added to the job's environment. */
  env: Record<string, string>;
  /** The job runs in a child process (its C environment must hold `env` before a native library loads). */
  ownProcess: boolean;
  /** "cuda:1 (NVIDIA A100-SXM4-80GB)", for the run's log. */
  label: string;
}

export function pinningFor(device: ComputeDevice): JobPinning {
  const label = `${deviceId(device)} (${device.name})`;
  if (device.route === 'cuda') {
    return { env: { CUDA_VISIBLE_DEVICES: String(device.index), CUDA_DEVICE_ORDER: 'PCI_BUS_ID' }, ownProcess: true, label };
  }
  return { env: { [WEBGPU_ADAPTER_ENV]: device.name }, ownProcess: false, label };
}
