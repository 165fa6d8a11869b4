/** Every contract method answered by the real core (with a fake worker), outputs checked against the contract. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { METHOD_NAMES, type MethodName } from '../../../shared/api.ts';
import { dispatchCall } from '../../../src-main/core/call-dispatch.ts';
import { demoConfig } from '../../fixtures/run-records.ts';
import { startTestCore } from '../../fixtures/test-core.ts';

test('every contract method maps to the core and returns contract-valid results', { timeout: 60_000 }, async () => {
  const t = await startTestCore('completing');
  try {
    const created = await dispatchCall(t.core.handlers, 'runs.create', { config: demoConfig({ epochs: 1, batchSize: 20 }) });
    assert.ok(created.ok, JSON.stringify(created));
    const id = (created.result as { id: string }).id;
    await t.core.runs.whenEnded(id);
    const inputs: Record<MethodName, unknown> = {
      'system.info': {},
      'presets.list': {},
      'runs.list': {},
      'runs.get': { id },
      'runs.create': { config: demoConfig({ name: 'second' }) },
      'runs.cancel': { id },
      'runs.metrics': { id, maxPoints: 5 },
      'runs.logs': { id },
      'runs.checkpoints': { id },
    };
    const results: Partial<Record<MethodName, unknown>> = {};
    for (const m of METHOD_NAMES) {
      const r = await dispatchCall(t.core.handlers, m, inputs[m]);
      if (m === 'runs.cancel') {
        assert.ok(!r.ok && r.error.code === 'conflict', 'a completed run cannot be cancelled');
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
    assert.equal((results['runs.list'] as unknown[]).length, 1, 'listed before the second create');
    assert.equal((results['runs.get'] as { config: { epochs: number } }).config.epochs, 1);
    const series = results['runs.metrics'] as { key: string; value: number[] }[];
    assert.deepEqual(series.map((s) => s.key), ['loss', 'lr', 'knn_top1']);
    assert.ok(series[0]!.value.length <= 5);
    const missing = await dispatchCall(t.core.handlers, 'runs.get', { id: 'missing' });
    assert.ok(!missing.ok && missing.error.code === 'not_found');
    const badConfig = await dispatchCall(t.core.handlers, 'runs.create', { config: { ...demoConfig(), lr: -1 } });
    assert.ok(!badConfig.ok && badConfig.error.issues?.some((i) => i.path === 'config.lr'));
  } finally {
    await t.dispose();
  }
});
