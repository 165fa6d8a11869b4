/**
 * Serve mode's uploads from a browser (Chromium against the real `snca serve`): an image
 * dropped on the gallery is sent to the server and searched (20 tiles), and a checkpoint
 * chosen on the Models screen or dropped on the window is sent and imported. Each upload
 * lands under SNCA_HOME/cache/uploads; an imported one is deleted once its import ended.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { writeImageFolderTree } from '../fixtures/image-folder-tree.ts';
import { fixturePath } from '../unit/acquire/torch-fixtures.ts';
import { useServeModePage } from './harness.ts';

const app = useServeModePage();
const { skip } = app;

function uploadedNames(): string[] {
  const dir = join(app.serve.home, 'cache', 'uploads');
  return existsSync(dir) ? readdirSync(dir).flatMap((d) => readdirSync(join(dir, d))) : [];
}

test('an image dropped on the gallery in a browser is uploaded and searched: 20 tiles', { skip, timeout: 120_000 }, async () => {
  const data = mkdtempSync(join(tmpdir(), 'snca-e2e-upload-gallery-'));
  try {
    await writeImageFolderTree(data, ['ant', 'bee', 'cat'], { train: 8, val: 1 });
    const job = await app.call('models.import', { path: fixturePath('imagenet-resnet18-w4.legacy.pth.tar'), name: 'dropped r18' });
    let modelId: string | undefined;
    for (const deadline = Date.now() + 60_000; !modelId; await new Promise((r) => setTimeout(r, 200))) {
      modelId = (await app.call('models.list', {})).find((m) => m.name === job.name)?.id;
      assert.ok(modelId || Date.now() < deadline, 'the import completes within a minute');
    }
    await app.call('models.update', { id: modelId, trainFolder: join(data, 'train') });

    const { page, errors, context } = await app.open();
    try {
      await page.getByTestId('nav-gallery').click();
      await page.getByTestId('view-gallery').waitFor();
      await page.locator(`[data-testid=gallery-source][data-source="model:${modelId}"]`).waitFor();
      await page.getByTestId('gallery-dataset').selectOption(`imagefolder:${data}`);
      for (const box of await page.getByTestId('gallery-source').all()) {
        if ((await box.isChecked()) !== ((await box.getAttribute('data-source')) === `model:${modelId}`)) await box.click();
      }
      const png = await sharp({ create: { width: 50, height: 40, channels: 3, background: { r: 30, g: 160, b: 90 } } }).png().toBuffer();
      await page.getByTestId('view-gallery').evaluate((el, bytes) => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
        el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, [...png]);
      await page.waitForFunction(() => /dropped\.png/.test(document.querySelector('[data-testid=gallery-query]')?.textContent ?? ''));
      await page.waitForFunction(
        () => {
          const rows = Array.from(document.querySelectorAll('[data-testid=gallery-row]'));
          return rows.length === 1 && rows[0]!.getAttribute('data-status') === 'ready';
        },
        undefined,
        { timeout: 90_000, polling: 200 },
      );
      assert.equal(await page.getByTestId('gallery-row').first().getByTestId('gallery-tile').count(), 20);
      assert.ok(uploadedNames().includes('dropped.png'), `the image was sent to the server: ${uploadedNames().join(', ')}`);
      // The query column shows the dropped picture itself.
      assert.ok(await page.locator('[data-testid=gallery-query] img').evaluate((i) => (i as HTMLImageElement).src.startsWith('blob:') && (i as HTMLImageElement).naturalWidth === 50));
      assert.equal(await page.getByTestId('view-models').count(), 0, 'the drop stayed with the gallery');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test('a checkpoint chosen on the Models screen, and one dropped on the window, are uploaded and imported', { skip, timeout: 120_000 }, async () => {
  const { page, errors, context } = await app.open();
  try {
    await page.getByTestId('nav-models').click();
    await page.getByTestId('view-models').waitFor();
    await page.getByTestId('model-upload-file').setInputFiles({ name: 'cifar-resnet18-w4.zip.t7', mimeType: 'application/octet-stream', buffer: readFileSync(fixturePath('cifar-resnet18-w4.zip.t7')) });
    await page.locator('[data-testid=model][data-model="cifar-resnet18-w4.zip"]').waitFor({ timeout: 60_000 });
    assert.match(await page.locator('[data-testid=model][data-model="cifar-resnet18-w4.zip"]').innerText(), /cifar-resnet18-w4\.zip\.t7/);

    const bytes = [...readFileSync(fixturePath('cifar-resnet34-w2.legacy.t7'))];
    await page.evaluate((b) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(b)], 'c34.t7'));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, cancelable: true }));
    }, bytes);
    await page.locator('[data-testid=model][data-model=c34]').waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('[data-testid=model-import-job][data-phase=done]').count(), 2);
    assert.equal(await page.getByTestId('model-upload').count(), 0, 'no upload left in progress');
    // Refused before anything is sent: not a checkpoint.
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(8)], 'notes.txt'));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, cancelable: true }));
    });
    await page.getByTestId('drop-message').waitFor();
    assert.match(await page.getByTestId('drop-message').innerText(), /notes\.txt is not a PyTorch checkpoint/);
    const models = await app.call('models.list', {});
    assert.deepEqual(models.map((m) => m.fileName).filter((f) => f.endsWith('.t7')).sort(), ['c34.t7', 'cifar-resnet18-w4.zip.t7']);
    assert.deepEqual(uploadedNames().filter((n) => n.endsWith('.t7')), [], 'imported uploads are deleted');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
