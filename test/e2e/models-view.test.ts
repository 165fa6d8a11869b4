/**
 * The Models screen against the real serve mode (a fresh SNCA_HOME): a reference checkpoint
 * imported by its path on the server shows with its provenance; importing it again shows the
 * refusal naming the model; the train folder is saved and survives a reload; a file dropped
 * on the page that is not a checkpoint is sent and refused by the server, and says so; Remove deletes it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { writeImageFolderTree } from '../fixtures/image-folder-tree.ts';
import { expectedTorchFixtures, fixturePath } from '../unit/acquire/torch-fixtures.ts';
import { useServeModePage } from './harness.ts';

const app = useServeModePage();
const { skip } = app;
const FILE = 'imagenet-resnet18-w4.legacy.pth.tar';

test('Models: import by server path with provenance, refusal of a second import, train folder, refused drop, remove', { skip, timeout: 120_000 }, async () => {
  const x = expectedTorchFixtures().checkpoints[FILE]!;
  const { page, errors, context } = await app.open();
  try {
    await page.getByTestId('nav-models').click();
    await page.getByTestId('view-models').waitFor();
    await page.getByTestId('model-import-path').fill(fixturePath(FILE));
    await page.getByTestId('model-import-name').fill('r18');
    await page.getByTestId('model-import-start').click();
    const model = page.locator('[data-testid=model][data-model=r18]');
    await model.waitFor({ timeout: 60_000 });
    const facts = await model.innerText();
    for (const want of [x.arch, `width ${x.width}`, FILE, 'legacy', `${x.bankRows.toLocaleString('en-US')} × ${x.lowDim}`, `${x.bestPrec1.toFixed(2)}%`]) {
      assert.ok(facts.includes(want), `the model shows ${want}: ${facts}`);
    }
    assert.equal(await page.locator('[data-testid=model-import-job][data-phase=done]').count(), 1);

    await page.getByTestId('model-import-path').fill(fixturePath(FILE));
    await page.getByTestId('model-import-start').click();
    const refused = page.locator('[data-testid=model-import-job][data-phase=error]');
    await refused.waitFor({ timeout: 60_000 });
    assert.match(await refused.innerText(), /imported before, as model "r18"/);
    assert.equal(await page.getByTestId('model').count(), 1);

    // Bank row i is the i-th train image: the folder holds exactly bankRows images (3 × 8).
    const train = join((await writeImageFolderTree(join(app.serve.home, 'images'), ['ant', 'bee', 'cat'], { train: 8, val: 1 }, 8)).root, 'train');
    await model.getByTestId('model-train-folder').fill(train);
    await model.getByTestId('model-train-folder-save').click();
    await page.reload();
    await page.getByTestId('nav-models').click();
    await page.locator('[data-testid=model][data-model=r18]').waitFor();
    assert.equal(await page.locator('[data-testid=model][data-model=r18] [data-testid=model-train-folder]').inputValue(), train);

    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(8)], 'resnet50.pth.tar'));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, cancelable: true }));
    });
    await page.getByTestId('drop-message').waitFor();
    assert.match(await page.getByTestId('drop-message').innerText(), /resnet50\.pth\.tar was not imported: .*is not a PyTorch checkpoint: it is neither a zip archive nor a pickle/s);

    page.once('dialog', (d) => void d.accept());
    await page.locator('[data-testid=model][data-model=r18] [data-testid=model-remove]').click();
    await page.locator('[data-testid=model]').waitFor({ state: 'detached' });
    // The refused upload's 415 is logged by the browser itself; nothing else may be.
    assert.deepEqual(errors.filter((e) => !/status of 415 \(Unsupported Media Type\)/.test(e)), []);
  } finally {
    await context.close();
  }
});
