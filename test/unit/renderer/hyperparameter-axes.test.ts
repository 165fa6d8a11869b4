import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPinia, setActivePinia } from 'pinia';
import type { MethodInput } from '../../../shared/api.ts';
import { parseRunQuery } from '../../../shared/run-query.ts';
import { setApiClient } from '../../../src-renderer/api/client-holder.ts';
import { axisPosition, axisValue, brushQuery, differingAxes, metricColour, withBrushes } from '../../../src-renderer/stores/hyperparameter-axes.ts';
import { useRunTableStore } from '../../../src-renderer/stores/run-table.ts';
import { FakeClient } from './fake-client.ts';

test('axes are the fields that differ; numbers spanning over 20× go on a log scale, text becomes categories', () => {
  const fields = ['lr', 'seed', 'batchSize', 'eval.monitor', 'nesterov'];
  const rows = [
    [0.1, 0, 64, 'knn_top1', 1],
    [0.001, 1, 64, 'nn_top1', 1],
    [0.01, 2, 64, 'knn_top1', 1],
  ];
  const axes = differingAxes(fields, rows);
  assert.deepEqual(axes.map((a) => [a.field, a.kind, a.log]), [['lr', 'number', true], ['seed', 'number', false], ['eval.monitor', 'category', false]]);
  const lr = axes[0]!;
  assert.equal(axisPosition(lr, 0.001), 0);
  assert.equal(axisPosition(lr, 0.1), 1);
  assert.ok(Math.abs(axisPosition(lr, 0.01)! - 0.5) < 1e-12, 'log scale: 0.01 is halfway');
  assert.ok(Math.abs(axisValue(lr, 0.5) - 0.01) < 1e-12);
  assert.equal(axisPosition(lr, null), null);
  assert.deepEqual(axes[2]!.categories, ['knn_top1', 'nn_top1']);
  assert.equal(axisPosition(axes[2]!, 'nn_top1'), 1);
  assert.equal(metricColour(null, 0, 1), '#b0b0b0');
  assert.equal(metricColour(0, 0, 1), 'rgb(68, 1, 84)');
  assert.equal(metricColour(1, 0, 1), 'rgb(253, 231, 37)');
});

test('a brush becomes a clause of the runs query language that parses and keeps its end points', () => {
  const q = brushQuery([
    { field: 'lr', kind: 'number', lo: 0.0123456789, hi: 0.0987654321 },
    { field: 'eval.monitor', kind: 'category', values: ['knn_top1', 'nn "x"'] },
  ]);
  assert.equal(q, 'lr >= 0.0123456 and lr <= 0.0987655 and (eval.monitor = "knn_top1" or eval.monitor = "nn \\"x\\"")');
  assert.doesNotThrow(() => parseRunQuery(q));
  assert.equal(withBrushes('arch = resnet18 or seed = 1', []), 'arch = resnet18 or seed = 1');
  assert.equal(withBrushes('arch = resnet18 or seed = 1', [{ field: 'seed', kind: 'number', lo: 0, hi: 2 }]), '(arch = resnet18 or seed = 1) and seed >= 0 and seed <= 2');
  assert.equal(withBrushes('  ', [{ field: 'nesterov', kind: 'category', values: ['1'] }]), 'nesterov = true', 'booleans come as 1/0');
  assert.doesNotThrow(() => parseRunQuery(brushQuery([{ field: 'nesterov', kind: 'category', values: ['0', '1'] }])));
});

test('brushing filters the runs table through its query; clearing restores it', async () => {
  const client = new FakeClient();
  setApiClient(client);
  setActivePinia(createPinia());
  const wheres: string[] = [];
  client.respond('runs.query', (input: MethodInput<'runs.query'>) => {
    wheres.push(input.where ?? '');
    return { total: 0, columns: input.columns ?? [], rows: [] };
  });
  const t = useRunTableStore();
  await t.setWhere('arch = resnet18');
  await t.setBrush('lr', { field: 'lr', kind: 'number', lo: 0.01, hi: 0.1 });
  await t.setBrush('lr', { field: 'lr', kind: 'number', lo: 0.05, hi: 0.1 });
  await t.clearBrushes();
  assert.deepEqual(wheres, ['arch = resnet18', '(arch = resnet18) and lr >= 0.01 and lr <= 0.1', '(arch = resnet18) and lr >= 0.05 and lr <= 0.1', 'arch = resnet18']);
  assert.equal(t.where, 'arch = resnet18', 'the query box keeps what the user typed');
});
