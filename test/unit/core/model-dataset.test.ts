/** Which dataset an imported model's bank can be evaluated on, and the defaults of its evaluation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../../shared/api-error.ts';
import type { Model } from '../../../shared/models.ts';
import { assertBankEvaluable, bankEvaluationProblem, modelDataset, modelEvaluationDefaults } from '../../../src-main/core/model-dataset.ts';

const base: Model = {
  id: 'm1', name: 'r50', fileName: 'r50.pth.tar', fileBytes: 10, sha256: 'a'.repeat(64), arch: 'resnet50', config: { lowDim: 128, width: 64 },
  layout: 'imagenet', format: 'legacy', epoch: 130, temperature: 0.05, momentum: 0.5, accuracy: 76.57, bankRows: 24, bankDim: 128,
  importedAt: 'x', trainFolder: '/data/imagenet/train', classNames: null, storedBytes: 0,
};
const imagenet = { kind: 'imagefolder' as const, root: '/data/imagenet', corruptThreshold: 0.001 };

test('an ImageNet model is evaluated on the ImageFolder dataset whose train/ is its train folder, with its temperature', () => {
  assert.equal(bankEvaluationProblem(base, imagenet), null);
  assert.equal(bankEvaluationProblem(base, { ...imagenet, root: '/data/imagenet/' }), null, 'the same folder written differently');
  assert.deepEqual(modelDataset(base), imagenet);
  assert.deepEqual(modelEvaluationDefaults(base, {}), { dataset: imagenet, sigma: 0.05 });
  assert.deepEqual(modelEvaluationDefaults(base, { sigma: 0.1 }), { dataset: imagenet, sigma: 0.1 });
});

test('refusals say why: no bank, no train folder, another folder, the wrong kind of network or dataset', () => {
  assert.match(bankEvaluationProblem({ ...base, bankRows: null, bankDim: null }, imagenet)!, /r50 was imported without a feature bank/);
  assert.match(
    bankEvaluationProblem({ ...base, trainFolder: null }, imagenet)!,
    /^r50 has no train folder: its 24 bank rows need labels from the train folder in ImageFolder order/,
  );
  assert.match(bankEvaluationProblem(base, { ...imagenet, root: '/data/other' })!, /r50's bank rows are the images of \/data\/imagenet\/train/);
  assert.match(bankEvaluationProblem(base, { kind: 'cifar10', root: '/c' })!, /ImageNet resnet50; evaluate it on an ImageFolder dataset/);
  assert.match(bankEvaluationProblem(base, { kind: 'mnist' })!, /cannot be evaluated on mnist/);
  const cifar = { ...base, arch: 'cifar-resnet18' as const, trainFolder: null };
  assert.equal(bankEvaluationProblem(cifar, { kind: 'cifar10', root: '/c' }), null, 'a CIFAR bank is the CIFAR train set in order');
  assert.match(bankEvaluationProblem(cifar, imagenet)!, /cifar-resnet18 network for 32×32 CIFAR images/);
  assert.throws(() => assertBankEvaluable({ ...base, trainFolder: null }, imagenet), (e: unknown) => e instanceof ApiError && e.code === 'invalid_input');
  assert.throws(() => modelEvaluationDefaults({ ...base, trainFolder: null }, {}), /r50 has no train folder.*give the dataset/);
  assert.throws(() => modelEvaluationDefaults({ ...base, temperature: null }, {}), /r50 records no temperature; give sigma/);
  assert.throws(() => modelEvaluationDefaults({ ...base, trainFolder: '/data/imagenet/images' }, {}), /train folder \/data\/imagenet\/images is not named train/);
});
