/**
 * One job of the `engine` bench section in a process of its own (run.ts spawns it): on the
 * wasm backend running out of heap aborts the whole wasm module, which would take every
 * later figure with it. Usage: node --import tsx test/bench/engine-job.ts '<job JSON>'.
 * Prints the job's result as one JSON line on stdout.
 */
import { selectBackend } from '../../src-main/engine/backend.ts';
import type { BackendName } from '../../src-main/engine/backend.ts';
import type { ArchName } from '../../src-main/engine/models/model.ts';
import { provideThreadStarter } from '../../src-main/engine/engine-threads.ts';
import { startWorkerEntryThread } from '../../src-main/workers/worker-entry.ts';

export type EngineJob =
  | { kind: 'math'; backend?: BackendName }
  | { kind: 'train-step'; backend: BackendName; arch: ArchName; batch: number; inputShape: [number, number, number]; steps: number; warmUp: boolean; chunkSize?: number }
  | { kind: 'nca-memory'; backend?: BackendName; sizes: number[]; chunked: boolean; unchunked: boolean };

provideThreadStarter(startWorkerEntryThread);
const job = JSON.parse(process.argv[2] ?? '{}') as EngineJob;
const info = await selectBackend(job.backend ? { prefer: job.backend } : {});
if (job.backend && info.name !== job.backend) throw new Error(`wanted the ${job.backend} backend, got ${info.name} (SNCA_BACKEND set?)`);
let result: unknown;
if (job.kind === 'math') {
  result = await (await import('./engine-math.ts')).benchEngineMath();
} else if (job.kind === 'train-step') {
  result = await (await import('./train-step.ts')).benchTrainStep(job.arch, job.batch, job.inputShape, job.steps, { warmUp: job.warmUp, ...(job.chunkSize !== undefined ? { chunkSize: job.chunkSize } : {}) });
} else {
  result = await (await import('./nca-memory.ts')).benchNcaMemory(job.sizes, { chunked: job.chunked, unchunked: job.unchunked });
}
// Which build ran (e.g. "CPU (wasm, SIMD, 2 threads)"): the figures depend on it.
console.log(JSON.stringify({ device: info.device, ...(result as object) }));
