/**
 * Finds the GPUs the job queue can pin runs to (see scheduling/device-slots.ts):
 * - with tfjs-node-gpu installed, the GPUs nvidia-smi lists (route `cuda`, nvidia-smi's index);
 * - otherwise, with the webgpu package installed, the hardware adapters Dawn lists (route
 *   `webgpu`, in Dawn's order). Software adapters (SwiftShader, llvmpipe) are no device: they
 *   run only when forced, unpinned. dawn.node picks an adapter by the first name containing
 *   the given text, so an adapter whose name is contained in an earlier one's (two identical
 *   GPUs, say) cannot be chosen and is left out, with a note saying so.
 * Nothing found: the machine keeps one unpinned training slot per process.
 */
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import type { ComputeDevice } from '../../shared/compute-devices.ts';
import { isSoftwareAdapter, packageInstalled } from '../engine/webgpu-device.ts';
import { resolveWorkerEntry } from '../workers/worker-entry.ts';
import { queryGpus, runCommand, type CommandRunner } from './hardware.ts';

export interface DiscoveryDeps {
  run?: CommandRunner;
  /** Dawn's adapters in its order; default: listed in a worker thread. */
  listWebGpuAdapters?: () => Promise<{ backend: string; name: string }[]>;
  installed?: (pkg: string) => boolean;
}

export interface Discovery {
  devices: ComputeDevice[];
  /** Why a device was left out, or why none was looked for. */
  notes: string[];
}

export async function discoverDevices(deps: DiscoveryDeps = {}): Promise<Discovery> {
  const installed = deps.installed ?? packageInstalled;
  const notes: string[] = [];
  if (installed('@tensorflow/tfjs-node-gpu')) {
    const q = await queryGpus(deps.run ?? runCommand);
    if (q.ok) return { devices: q.gpus.map((g) => ({ route: 'cuda', index: g.index, name: g.name })), notes };
    notes.push(`cuda: ${q.reason}`);
  }
  if (!installed('webgpu') || !installed('@tensorflow/tfjs-backend-webgpu')) {
    notes.push('webgpu: the optional webgpu packages are not installed');
    return { devices: [], notes };
  }
  let adapters: { backend: string; name: string }[];
  try {
    adapters = await (deps.listWebGpuAdapters ?? listAdaptersInWorker)();
  } catch (err) {
    notes.push(`webgpu: the adapters could not be listed: ${err instanceof Error ? err.message : String(err)}`);
    return { devices: [], notes };
  }
  return { devices: webgpuDevices(adapters, notes), notes };
}

/** Hardware adapters that `adapter=<name>` selects unambiguously, indexed in Dawn's order. */
export function webgpuDevices(adapters: readonly { name: string }[], notes: string[]): ComputeDevice[] {
  const out: ComputeDevice[] = [];
  adapters.forEach((a, index) => {
    if (isSoftwareAdapter({ vendor: '', architecture: '', device: a.name, description: '' })) {
      notes.push(`webgpu:${index} ${a.name}: a software adapter, used only when forced (SNCA_BACKEND=webgpu)`);
      return;
    }
    const shadow = adapters.slice(0, index).find((b) => b.name.includes(a.name));
    if (shadow) {
      notes.push(`webgpu:${index} ${a.name}: Dawn selects adapters by name and "${shadow.name}" comes first, so this one cannot be chosen`);
      return;
    }
    out.push({ route: 'webgpu', index, name: a.name });
  });
  return out;
}

const AdaptersMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('adapters'), adapters: z.array(z.object({ backend: z.string(), name: z.string() })) }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);

const LIST_TIMEOUT_MS = 20_000;

function listAdaptersInWorker(): Promise<{ backend: string; name: string }[]> {
  return new Promise((resolve, reject) => {
    const entry = resolveWorkerEntry('webgpu-adapters-worker');
    const worker = new Worker(entry.url, { execArgv: entry.execArgv, name: 'webgpu adapters' });
    const timer = setTimeout(() => finish(() => reject(new Error(`Dawn did not answer within ${LIST_TIMEOUT_MS / 1000} s`))), LIST_TIMEOUT_MS);
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      fn();
      void worker.terminate();
    };
    worker.on('message', (raw: unknown) => {
      const m = AdaptersMessageSchema.safeParse(raw);
      if (!m.success) return finish(() => reject(new Error('the adapter list worker sent an invalid message')));
      const msg = m.data;
      if (msg.type === 'adapters') finish(() => resolve(msg.adapters));
      else finish(() => reject(new Error(msg.message)));
    });
    worker.on('error', (err) => finish(() => reject(err)));
    worker.on('exit', (code) => finish(() => reject(new Error(`the adapter list worker stopped (code ${code})`))));
  });
}
