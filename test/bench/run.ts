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
    const { benchEngineMath } = await import('./engine-math.ts');
    const { benchModelForward } = await import('./models.ts');
    return {
      math: await benchEngineMath(),
      train_step_small_convnet_b128: await benchModelForward('small-convnet', 128, 5),
      train_step_cifar_resnet18_b32: await benchModelForward('cifar-resnet18', 32, 2),
    };
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
