import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PRESETS, RunConfigSchema } from '../../../shared/run-config.ts';
import {
  configFromValues,
  placeServerIssues,
  RUN_FORM_FIELDS,
  validateRunForm,
  valuesFromConfig,
} from '../../../src-renderer/forms/run-config-form.ts';

const base = RunConfigSchema.parse(PRESETS[0].config);

test('every form field is a real RunConfig path (a typo would silently drop the field)', () => {
  const values = valuesFromConfig(base);
  for (const f of RUN_FORM_FIELDS) {
    if (f.optional || f.datasetKinds?.length) continue;
    assert.notEqual(values[f.path], '', `${f.path} has no value in the MNIST preset`);
  }
});

test('an untouched preset is valid and round-trips to the same config', () => {
  const v = validateRunForm(base, valuesFromConfig(base));
  assert.deepEqual(v.fieldErrors, {});
  assert.deepEqual(v.otherErrors, []);
  assert.deepEqual(v.config, base);
});

test('edited values are converted to numbers and booleans', () => {
  const values = { ...valuesFromConfig(base), epochs: '1', 'dataset.trainSize': '500', lr: '0.03', nesterov: false, 'eval.k': '10' };
  const v = validateRunForm(base, values);
  assert.equal(v.config?.epochs, 1);
  assert.equal(v.config?.lr, 0.03);
  assert.equal(v.config?.nesterov, false);
  assert.equal(v.config?.eval.k, 10);
  assert.deepEqual(v.config?.dataset, { kind: 'mnist', trainSize: 500, valSize: 2000 });
});

test('messages sit on the field and name it', () => {
  const values = { ...valuesFromConfig(base), epochs: '0', batchSize: '1.5', lr: 'fast', weightDecay: '', name: '  ', 'eval.k': '5000' };
  const v = validateRunForm(base, values);
  assert.equal(v.config, null);
  assert.equal(v.fieldErrors.epochs, 'Epochs must be at least 1');
  assert.equal(v.fieldErrors.batchSize, 'Batch size must be a whole number');
  assert.equal(v.fieldErrors.lr, 'Learning rate must be a number');
  assert.equal(v.fieldErrors.weightDecay, 'Weight decay is required');
  assert.equal(v.fieldErrors.name, 'Name is required');
  assert.equal(v.fieldErrors['eval.k'], 'K (kNN neighbours) must be at most 1,000');
});

test('exclusive bounds read as such', () => {
  const v = validateRunForm(base, { ...valuesFromConfig(base), lr: '0' });
  assert.equal(v.fieldErrors.lr, 'Learning rate must be greater than 0');
});

test('the schema refinement on the split sizes lands on the validation-size field', () => {
  const v = validateRunForm(base, { ...valuesFromConfig(base), 'dataset.trainSize': '9000', 'dataset.valSize': '2000' });
  assert.match(v.fieldErrors['dataset.valSize'] ?? '', /^Validation images: .*10,000/);
});

test('switching the dataset kind asks for a folder instead of split sizes', () => {
  const values = { ...valuesFromConfig(base), 'dataset.kind': 'cifar10' };
  assert.deepEqual((configFromValues(base, values) as { dataset: unknown }).dataset, { kind: 'cifar10', root: '' });
  const v = validateRunForm(base, values);
  assert.equal(v.fieldErrors['dataset.root'], 'Dataset folder is required');
  assert.equal(v.fieldErrors['dataset.trainSize'], undefined);
  const ok = validateRunForm(base, { ...values, 'dataset.root': '/data/cifar' });
  assert.deepEqual(ok.config?.dataset, { kind: 'cifar10', root: '/data/cifar' });
});

test('an optional field left empty stays unset', () => {
  const v = validateRunForm(base, { ...valuesFromConfig(base), 'eval.sigma': '' });
  assert.equal(v.config?.eval.sigma, undefined);
  const w = validateRunForm(base, { ...valuesFromConfig(base), 'eval.sigma': '0.1' });
  assert.equal(w.config?.eval.sigma, 0.1);
});

test('server issues under config. go next to their field; unknown paths stay visible with their path', () => {
  const values = valuesFromConfig(base);
  const placed = placeServerIssues(
    [
      { path: 'config.name', message: 'a run with this name already exists' },
      { path: 'config.memoryMomentumSchedule[0].value', message: 'too big' },
      { path: '', message: 'the scheduler is full' },
    ],
    values,
  );
  assert.deepEqual(placed.fieldErrors, { name: 'Name: a run with this name already exists' });
  assert.deepEqual(placed.otherErrors, ['memoryMomentumSchedule[0].value: too big', 'the scheduler is full']);
});
