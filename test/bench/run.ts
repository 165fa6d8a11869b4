/**
 * `npm run bench [-- SECTION...]`: prints one JSON object of benchmark figures.
 * Sections: demo (default), engine, data, store, checkpoint, compare, runs-list, gallery, cluster (needs the one-node Slurm cluster), all. Figures are printed, never asserted:
 * machines here are too noisy for timed tests. `gpu [--tiny]` is a section of its own
 * (test/bench/gpu.ts): one JSON line for a machine with a GPU.
 */
import { loadavg, cpus } from 'node:os';
import { provideThreadStarter } from '../../src-main/engine/engine-threads.ts';
import { startWorkerEntryThread } from '../../src-main/workers/worker-entry.ts';

// The engine runs in this process as it does in a job's worker thread: with its threads.
provideThreadStarter(startWorkerEntryThread);

type Section = 'demo' | 'engine' | 'data' | 'store' | 'checkpoint' | 'compare' | 'runs-list' | 'gallery' | 'cluster';
const ALL: Section[] = ['demo', 'engine', 'data', 'store', 'checkpoint', 'compare', 'runs-list', 'gallery', 'cluster'];

const args = process.argv.slice(2).filter((a) => a !== '--');
if (args[0] === 'gpu') {
  const extra = args.slice(1).filter((a) => a !== '--tiny');
  if (extra.length > 0) {
    console.error(`bench gpu: unknown argument ${extra.join(', ')}; usage: npm run bench -- gpu [--tiny]`);
    process.exit(2);
  }
  const result = await (await import('./gpu.ts')).benchGpu({ tiny: args.includes('--tiny') });
  console.log(JSON.stringify(result));
  process.exit('error' in result ? 1 : 0);
}
const unknown = args.filter((a) => a !== 'all' && !ALL.includes(a as Section));
if (unknown.length > 0) {
  console.error(`bench: unknown section ${unknown.join(', ')}; choose from ${ALL.join(', ')}, all`);
  process.exit(2);
}
const sections: Section[] = args.length === 0 ? ['demo'] : args.includes('all') ? ALL : (args as Section[]);

const runners: Record<Section, () => Promise<unknown>> = {
  demo: async () => (await import('./demo.ts')).benchDemo(),
  engine: async () => {
    // Every job in a child process: a wasm out-of-memory aborts the module for good.
    const { listAvailableBackends } = await import('../../src-main/engine/backend.ts');
    const { spawnSync } = await import('node:child_process');
    const runJob = (job: Record<string, unknown>, timeoutMs = 600_000): unknown => {
      const t = performance.now();
      // A software WebGPU adapter runs only when forced; every other job must not be.
      const env = { ...process.env };
      if (job.backend === 'webgpu') env.SNCA_BACKEND = 'webgpu';
      else delete env.SNCA_BACKEND;
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/bench/engine-job.ts', JSON.stringify(job)], {
        env,
        encoding: 'utf8',
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      });
      console.error(`bench: engine job ${JSON.stringify(job)} ${r.status === 0 ? 'done' : 'FAILED'} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      const line = r.stdout.trim().split('\n').pop() ?? '';
      if (r.status === 0 && line.startsWith('{')) return JSON.parse(line) as unknown;
      const reason = r.error?.message ?? (r.stderr.match(/^(?:\w*Error|Aborted)[^\n]*/gm) ?? []).slice(-2).join(' | ');
      return { failed: true, exit: r.status, signal: r.signal, error: reason.slice(0, 400) };
    };
    const math = runJob({ kind: 'math' });
    // Full training steps (the trainer's trainStep + SGD, bank of 10k rows) on every backend.
    const configs = [
      { key: 'small_convnet_28x28x1_b128', arch: 'small-convnet', batch: 128, inputShape: [28, 28, 1], steps: 10, onCpu: true },
      // The same with the bank streamed in two chunks, as a larger dataset's bank is.
      { key: 'small_convnet_28x28x1_b128_streamed', arch: 'small-convnet', batch: 128, inputShape: [28, 28, 1], steps: 10, onCpu: false, chunkSize: 8192 },
      { key: 'cifar_resnet18_32x32x3_b128', arch: 'cifar-resnet18', batch: 128, inputShape: [32, 32, 3], steps: 2, onCpu: false },
      { key: 'resnet18_224x224x3_b32', arch: 'resnet18', batch: 32, inputShape: [224, 224, 3], steps: 2, onCpu: false },
    ] as const;
    const trainStep: Record<string, Record<string, unknown>> = {};
    for (const name of await listAvailableBackends()) {
      const perBackend: Record<string, unknown> = {};
      trainStep[name] = perBackend;
      for (const c of configs) {
        if (name === 'cpu' && !c.onCpu) {
          perBackend[c.key] = { skipped: 'cpu backend: only the plain small-convnet step runs there (~100x slower than wasm; a ResNet step takes many minutes)' };
          continue;
        }
        // cpu: one timed step and no warm-up (a small-convnet B=128 step takes minutes there).
        const cpu = name === 'cpu';
        const r = runJob({
          kind: 'train-step', backend: name, arch: c.arch, batch: c.batch, inputShape: c.inputShape, steps: cpu ? 1 : c.steps, warmUp: !cpu,
          ...('chunkSize' in c ? { chunkSize: c.chunkSize } : {}),
        }) as Record<string, unknown>;
        // The target is stated against the same backend's matmul rate (math job, same machine).
        const m = math as { backend?: string; matmul1024Gflops?: number };
        if (m.backend === r.backend && typeof r.achievedGflops === 'number' && m.matmul1024Gflops) {
          r.fractionOfMatmul = Number((r.achievedGflops / m.matmul1024Gflops).toFixed(3));
        }
        if (name === 'webgpu' && typeof r.device === 'string' && /software WebGPU/.test(r.device)) {
          r.note = 'software adapter (forced with SNCA_BACKEND=webgpu): correctness only, not a GPU figure';
        }
        perBackend[c.key] = r;
      }
    }
    const ncaMemory = runJob({ kind: 'nca-memory', sizes: [10_000, 100_000, 1_280_000], chunked: true, unchunked: false }) as Record<string, unknown>;
    const unchunked = runJob({ kind: 'nca-memory', sizes: [10_000, 100_000], chunked: false, unchunked: true }) as Record<string, unknown>;
    // Expected not to fit (B×N logits alone are 1.25 GiB); alone so an abort takes nothing else with it.
    const unchunkedFull = runJob({ kind: 'nca-memory', sizes: [1_280_000], chunked: false, unchunked: true }) as Record<string, unknown>;
    return { math, train_step: trainStep, nca_memory: { chunked: ncaMemory, unchunked, unchunked_1_28M: unchunkedFull } };
  },
  data: async () => (await import('./data.ts')).benchData(),
  store: async () => (await import('./store.ts')).benchStore(),
  checkpoint: async () => (await import('./checkpoint.ts')).benchCheckpoint(),
  compare: async () => (await import('./compare.ts')).benchCompare(),
  'runs-list': async () => (await import('./runs-list.ts')).benchRunsList(),
  gallery: async () => (await import('./gallery.ts')).benchGallery(),
  cluster: async () => (await import('./cluster.ts')).benchCluster(),
};

const results: Record<string, unknown> = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg_at_start: loadavg().map((l) => Number(l.toFixed(2))), node: process.version },
};
for (const s of sections) {
  const t = performance.now();
  results[s] = await runners[s]();
  console.error(`bench: ${s} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
console.log(JSON.stringify(results, null, 2));
