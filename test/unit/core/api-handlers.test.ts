/** Every contract method answered by the real core (with a fake worker), outputs checked against the contract. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { METHOD_NAMES, type MethodName } from '../../../shared/api.ts';
import { dispatchCall } from '../../../src-main/core/call-dispatch.ts';
import { demoConfig } from '../../fixtures/run-records.ts';
import { startTestCore } from '../../fixtures/test-core.ts';
import { fakeCifar, writeCifar } from '../engine/data/cifar-fixtures.ts';
import { join } from 'node:path';

test('every contract method maps to the core and returns contract-valid results', { timeout: 60_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    const created = await dispatchCall(t.core.handlers, 'runs.create', { config: demoConfig({ epochs: 1, batchSize: 20 }) });
    assert.ok(created.ok, JSON.stringify(created));
    const id = (created.result as { id: string }).id;
    await t.core.runs.whenEnded(id);
    const cifarRoot = join(t.home, 'cifar');
    writeCifar(cifarRoot, 'cifar10', 'binary', fakeCifar('cifar10', 1, 2));
    const inputs: Record<MethodName, unknown> = {
      'system.info': {},
      'presets.list': {},
      'runs.list': {},
      'runs.query': { where: 'status = completed', columns: ['best.loss', 'lr'], sort: [{ field: 'created', descending: true }] },
      'runs.values': { where: 'status = completed', columns: ['best.loss'], ifVarying: ['lr', 'seed'] },
      'runs.get': { id },
      'runs.create': { config: demoConfig({ name: 'second' }) },
      'runs.cancel': { id },
      'runs.metrics': { id, maxPoints: 5 },
      'runs.logs': { id },
      'runs.checkpoints': { id },
      // The run is completed, so queue methods refuse it; delete a run that does not exist
      // (deleting `id` would break the methods after it); the fake checkpoint is not a safetensors file.
      'runs.reorder': { ids: [id] },
      'runs.removeQueued': { id },
      'runs.update': { id, tags: ['a'] },
      'runs.delete': { id: 'no-such-run' },
      'runs.export': { id, format: 'json' },
      'runs.diskUsage': { ids: [] },
      'evaluations.create': { runId: id },
      'evaluations.list': { runId: id },
      'evaluations.cancel': { id: 999 },
      'system.hardware': {},
      // Checkpoints that do not exist, and an evaluation without per-sample results.
      'compare.series': { runIds: [id], x: 'wall' },
      'compare.checkpoints': { checkpointIds: [998, 999] },
      'compare.neighbours': { evaluationIds: [999], index: 0 },
      'system.doctor': {},
      'system.devices': {},
      'system.setDevices': { allowed: null },
      // The run completed: resuming it is a conflict (the resume tests cover the rest).
      'runs.resume': { id },
      'runs.locate': { ref: id },
      'datasets.validate': { spec: { kind: 'mnist' } },
      // Already there: the job ends without touching the network.
      'datasets.download': { kind: 'cifar10', root: cifarRoot },
      'datasets.import': { kind: 'cifar10', archivePath: join(t.home, 'missing.tar.gz'), root: join(t.home, 'imported') },
      'datasets.cancelDownload': { jobId: 'no-such-job' },
      'runs.submit': { config: demoConfig({ name: 'swept' }), sweep: [{ path: 'seed', values: [1, 2] }] },
      'runs.cluster': { id },
      'checkpoints.fetch': { id: 987654 },
      'checkpoints.export': { ref: 'no-such-run-or-file.safetensors', format: 'pth' },
      'clusters.list': {},
      'clusters.add': { name: 'c1', route: { kind: 'local' }, workDir: join(t.home, 'cluster-work'), defaults: {} },
      'clusters.remove': { name: 'no-such-cluster' },
      'clusters.check': { name: 'no-such-cluster' },
      // A checkpoint that does not exist (the gallery tests cover banks and searches).
      'gallery.sources': {},
      'gallery.search': { dataset: { kind: 'mnist' }, query: { split: 'val', index: 0 }, sources: [{ kind: 'checkpoint', checkpointId: 999 }] },
      'gallery.cancelBank': { jobId: 'no-such-job' },
      'gallery.export': { dataset: { kind: 'mnist' }, queries: [{ split: 'val', index: 0 }], sources: [{ kind: 'checkpoint', checkpointId: 999 }] },
      // Files that do not exist and a model that does not: the model tests cover the rest.
      'models.import': { path: join(t.home, 'missing.pth.tar') },
      'models.cancelImport': { jobId: 'no-such-job' },
      'models.list': {},
      'models.get': { id: 'abc' },
      'models.remove': { id: 'abc' },
      'models.update': { id: 'abc', trainFolder: null },
      'models.embed': { model: 'no-such-model', images: [join(t.home, 'missing.png')] },
      'uploads.limits': {},
    };
    const results: Partial<Record<MethodName, unknown>> = {};
    for (const m of METHOD_NAMES) {
      const r = await dispatchCall(t.core.handlers, m, inputs[m]);
      if (m === 'runs.cancel') {
        assert.ok(!r.ok && r.error.code === 'conflict', 'a completed run cannot be cancelled');
        continue;
      }
      const expectedError: Partial<Record<MethodName, string>> = {
        'runs.reorder': 'conflict',
        'runs.removeQueued': 'conflict',
        'runs.delete': 'not_found',
        'evaluations.create': 'invalid_input',
        'compare.checkpoints': 'not_found',
        'compare.neighbours': 'not_found',
        'evaluations.cancel': 'not_found',
        'checkpoints.fetch': 'not_found',
        'clusters.remove': 'not_found',
        'clusters.check': 'not_found',
        'gallery.search': 'not_found',
        'gallery.export': 'not_found',
        'models.import': 'not_found',
        'models.get': 'not_found',
        'models.remove': 'not_found',
        'models.update': 'not_found',
        'models.embed': 'not_found',
        'checkpoints.export': 'not_found',
      };
      if (expectedError[m]) {
        assert.ok(!r.ok && r.error.code === expectedError[m], `${m}: ${JSON.stringify(r)}`);
        continue;
      }
      if (m === 'runs.resume') {
        assert.ok(!r.ok && r.error.code === 'conflict' && /only an interrupted, failed or cancelled run/.test(r.error.message), JSON.stringify(r));
        continue;
      }
      assert.ok(r.ok, `${m}: ${JSON.stringify(r)}`);
      results[m] = r.result;
    }
    const info = results['system.info'] as { dataHome: string; shell: string; backends: string[]; backend: string; version: string };
    assert.equal(info.dataHome, t.home);
    assert.equal(info.shell, 'serve');
    assert.equal(info.version, '0.1.0');
    assert.ok(info.backends.includes(info.backend));
    assert.ok((results['presets.list'] as { id: string }[]).some((p) => p.id === 'mnist-demo'));
    assert.equal((results['runs.list'] as { runs: unknown[]; total: number }).runs.length, 1, 'listed before the second create');
    assert.equal((results['runs.get'] as { config: { epochs: number } }).config.epochs, 1);
    assert.deepEqual(results['runs.locate'], { runId: id, checkpointId: null });
    const series = results['runs.metrics'] as { key: string; value: number[] }[];
    assert.deepEqual(series.map((s) => s.key), ['loss', 'lr', 'knn_top1']);
    assert.ok(series[0]!.value.length <= 5);
    const swept = results['runs.submit'] as { sweep: string; runs: { name: string; tags: string[]; status: string }[] };
    assert.deepEqual(swept.runs.map((r) => r.name), ['swept [seed=1]', 'swept [seed=2]'], 'a local sweep queues one run per point');
    assert.ok(swept.runs.every((r) => r.tags.includes(`sweep:${swept.sweep}`)));
    assert.equal((results['clusters.add'] as { name: string }).name, 'c1');
    assert.equal(results['runs.cluster'], null, 'a run on this machine has no cluster side');
    assert.deepEqual(results['models.list'], []);
    assert.deepEqual(results['models.cancelImport'], { cancelled: false });
    const missing = await dispatchCall(t.core.handlers, 'runs.get', { id: 'missing' });
    assert.ok(!missing.ok && missing.error.code === 'not_found');
    const badConfig = await dispatchCall(t.core.handlers, 'runs.create', { config: { ...demoConfig(), lr: -1 } });
    assert.ok(!badConfig.ok && badConfig.error.issues?.some((i) => i.path === 'config.lr'));
  } finally {
    await t.dispose();
  }
});
