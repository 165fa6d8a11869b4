/**
 * Picking an imported model in the checkpoint comparison, against the real serve mode: a run
 * whose ResNet-18 checkpoint (24-row memory bank) was trained on a generated ImageFolder tree
 * of 3 classes × 8 train images, and the fixture ImageNet ResNet-18 (24 bank rows) pointed at
 * that tree's train folder. The comparison opened with the checkpoint alone is refused (two
 * sides at least); adding the model from the picker opens the comparison of both: the model
 * side is named, both evaluations run as jobs and the per-class table lists the 3 classes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { dataPaths } from '../../src-main/core/data-home.ts';
import { createModel } from '../../src-main/engine/models/model.ts';
import { MemoryBank } from '../../src-main/engine/nca/memory-bank.ts';
import { SGD } from '../../src-main/engine/optim/sgd.ts';
import { writeCheckpoint } from '../../src-main/engine/train/checkpoint-writer.ts';
import { openStore } from '../../src-main/store/store.ts';
import { writeImageFolderTree } from '../fixtures/image-folder-tree.ts';
import { demoConfig, newRun } from '../fixtures/run-records.ts';
import { waitFor } from '../fixtures/wait-for.ts';
import { fixturePath } from '../unit/acquire/torch-fixtures.ts';
import { useBackend } from '../unit/engine/use-backend.ts';
import { useServeModePage } from './harness.ts';

const ROWS = 24;
let checkpointId = 0;

const app = useServeModePage({
  prepareHome: async (home) => {
    await useBackend('cpu');
    const data = join(home, 'images');
    await writeImageFolderTree(data, ['ant', 'bee', 'cat'], { train: 8, val: 1 }, 8);
    const paths = dataPaths(home);
    const config = demoConfig({ arch: 'resnet18', lowDim: 8, dataset: { kind: 'imagefolder', root: data, corruptThreshold: 0.001 } });
    const store = openStore(paths.database);
    try {
      store.runs.insert(newRun('cmpmodelui', { configJson: JSON.stringify(config) }));
      store.runs.transition('cmpmodelui', ['queued'], 'completed');
      const net = createModel('resnet18', { lowDim: 8, seed: 5, inputShape: [224, 224, 3] });
      const bank = MemoryBank.initUniform(ROWS, 8, new Int32Array(ROWS), 5);
      const sgd = new SGD({ lr: 0.1 });
      const [written] = await writeCheckpoint({ runDir: paths.runDir('cmpmodelui'), config, epoch: 1, step: 1, model: net, bank, sgd, metrics: {}, kinds: ['best'] });
      net.dispose();
      bank.dispose();
      sgd.dispose();
      checkpointId = store.checkpoints.record('cmpmodelui', written!, new Date().toISOString()).id;
    } finally {
      store.close();
    }
  },
});
const { skip } = app;

test('Compare checkpoints: an imported model picked beside a run checkpoint is evaluated and compared', { skip, timeout: 240_000 }, async () => {
  const job = await app.call('models.import', { path: fixturePath('imagenet-resnet18-w4.legacy.pth.tar'), name: 'r18' });
  let modelId = '';
  await waitFor(
    async () => {
      modelId = (await app.call('models.list', {})).find((m) => m.name === job.name)?.id ?? '';
      return modelId !== '';
    },
    () => `model ${job.name} imported`,
    60_000,
    200,
  );
  await app.call('models.update', { id: modelId, trainFolder: join(app.serve.home, 'images', 'train') });

  const { page, errors, context } = await app.open();
  try {
    await page.evaluate((hash) => {
      window.location.hash = hash;
    }, `#/compare-checkpoints?ids=${checkpointId}`);
    await page.getByTestId('view-compare-checkpoints').waitFor();
    const picker = page.getByTestId('compare-sides');
    await picker.waitFor();
    assert.match(await picker.innerText(), /A run cmpmodelui|A checkpoint \d+/);
    // One side is not a comparison: refused, and the picker offers the imported model.
    await page.getByTestId('error-banner').waitFor();
    assert.match(await page.getByTestId('error-banner').innerText(), /sides/);
    const option = page.locator('[data-testid=add-model] option', { hasText: 'r18' });
    await option.waitFor({ state: 'attached' });
    assert.match(await option.innerText(), /r18 \(resnet18, 24 bank rows\)/);

    await page.getByTestId('add-model').selectOption(modelId);
    await page.waitForFunction((id) => window.location.hash.endsWith(`&models=${id}`), modelId);
    const accuracy = page.getByTestId('checkpoint-accuracy');
    await accuracy.locator('tbody tr', { hasText: 'model r18' }).waitFor();
    // Both evaluations run as jobs; the comparison opens when they are done.
    await page.getByTestId('per-class').waitFor({ timeout: 180_000 });
    assert.deepEqual(await page.locator('[data-testid=per-class] tbody tr td:first-child').allTextContents().then((t) => t.sort()), ['ant', 'bee', 'cat']);
    assert.equal(await page.getByTestId('significance').count(), 1, 'one pair: the checkpoint and the model');
    assert.equal(await page.locator('[data-testid=compare-sides] li[data-side=model]').count(), 1);
    assert.deepEqual(errors.filter((e) => !/status of 400/.test(e)), [], 'no errors but the refused one-side call');
  } finally {
    await context.close();
  }
});
