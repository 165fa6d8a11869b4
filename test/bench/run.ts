/**
 * `npm run bench [-- SECTION...]`: prints one JSON object of benchmark figures.
 * Sections: demo (default), engine, data, store, checkpoint, all. Figures are printed, never asserted:
 * machines here are too noisy for timed tests.
 */
import { loadavg, cpus } from 'node:os';

type Section = 'demo' | 'engine' | 'data' | 'store' | 'checkpoint';
const ALL: Section[] = ['demo', 'engine', 'data', 'store', 'checkpoint'];

const args = process.argv.slice(2).filter((a) => a !== '--');
const unknown = args.filter((a) => a !== 'all' && !ALL.includes(a as Section));
if (unknown.length > 0) {
  console.error(`bench: unknown section ${unknown.join(', ')}; choose from ${ALL.join(', ')}, all`);
  process.exit(2);
}
const sections: Section[] = args.length === 0 ? ['demo'] : args.includes('all') ? ALL : (args as Section[]);

const runners: Record<Section, () => Promise<unknown>> = {
  demo: async () => (await import('./demo.ts')).benchDemo(),
  engine: async () => {
    const { selectBackend, listAvailableBackends } = await import('../../src-main/engine/backend.ts');
    const { benchEngineMath } = await import('./engine-math.ts');
    const { benchTrainStep } = await import('./train-step.ts');
    const { benchNcaMemory } = await import('./nca-memory.ts');
    const defaultBackend = await selectBackend();
    const math = await benchEngineMath();
    // Full training steps (trainer's trainStep + SGD, bank of 10k rows) on every backend.
    const configs = [
      { key: 'small_convnet_28x28x1_b128', arch: 'small-convnet', batch: 128, inputShape: [28, 28, 1], steps: 5, onCpu: true },
      { key: 'cifar_resnet18_32x32x3_b128', arch: 'cifar-resnet18', batch: 128, inputShape: [32, 32, 3], steps: 2, onCpu: false },
      { key: 'resnet18_224x224x3_b32', arch: 'resnet18', batch: 32, inputShape: [224, 224, 3], steps: 1, onCpu: false },
    ] as const;
    const trainStep: Record<string, Record<string, unknown>> = {};
    for (const name of await listAvailableBackends()) {
      const info = await selectBackend({ prefer: name });
      const perBackend: Record<string, unknown> = {};
      trainStep[name] = perBackend;
      if (info.name !== name) {
        perBackend.skipped = `selectBackend gave ${info.name} (SNCA_BACKEND set?)`;
        continue;
      }
      for (const c of configs) {
        if (name === 'cpu' && !c.onCpu) {
          perBackend[c.key] = { skipped: 'cpu backend: a ResNet step takes minutes there (~100x slower than wasm)' };
          continue;
        }
        try {
          perBackend[c.key] = await benchTrainStep(c.arch, c.batch, [...c.inputShape], name === 'cpu' ? Math.min(c.steps, 2) : c.steps);
        } catch (e) {
          perBackend[c.key] = { error: e instanceof Error ? e.message : String(e) };
        }
        console.error(`bench: engine train step ${name} ${c.key} done`);
      }
    }
    // Last: the unchunked 1.28M-row case is expected to run out of memory.
    await selectBackend({ prefer: defaultBackend.name });
    const ncaMemory = await benchNcaMemory();
    return { math, train_step: trainStep, nca_memory: ncaMemory };
  },
  data: async () => (await import('./data.ts')).benchData(),
  store: async () => (await import('./store.ts')).benchStore(),
  checkpoint: async () => (await import('./checkpoint.ts')).benchCheckpoint(),
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
