/**
 * The nearest-neighbour gallery on the real serve mode: a real 1-epoch MNIST run gives a
 * checkpoint; in Chromium its gallery is opened next to the raw-pixel baseline, the banks
 * are computed as jobs, and then: every row has 20 tiles, a train image used as query finds
 * itself first in each bank, the two sources render together beside the query column,
 * clicking / keyboard change the query and go back, the exported HTML opens offline
 * showing the same tiles, and a picked image file is searched as a query.
 * Then an imported model (test/fixtures/torch, a 24-row bank) pointed at a generated
 * 24-image train folder is shown next to raw pixels: 20 tiles a row, self first, side by side.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { findPreset, RunConfigSchema } from '../../shared/run-config.ts';
import { writeImageFolderTree } from '../fixtures/image-folder-tree.ts';
import { fixturePath } from '../unit/acquire/torch-fixtures.ts';
import { artifactPath, useServeModePage } from './harness.ts';

const app = useServeModePage();
const { skip } = app;
const DATASET = { kind: 'mnist' as const, trainSize: 300, valSize: 60 };
const QUERY = 7;

/** Every source row shows its hits (banks computed). */
async function rowsReady(page: Page, timeout: number): Promise<void> {
  await page.waitForFunction(
    () => Array.from(document.querySelectorAll('[data-testid=gallery-row]')).every((r) => r.getAttribute('data-status') === 'ready'),
    undefined,
    { timeout, polling: 250 },
  );
}

/** The query column left of the first two rows, which stand one under the other. */
async function assertSideBySide(page: Page): Promise<void> {
  const rows = page.getByTestId('gallery-row');
  const q = (await page.getByTestId('gallery-query').boundingBox())!;
  const a = (await rows.nth(0).boundingBox())!;
  const b = (await rows.nth(1).boundingBox())!;
  assert.ok(q.x + q.width <= a.x && q.x + q.width <= b.x, 'the query stands in the first column');
  assert.ok(a.y + a.height <= b.y + 1, 'one row per source');
}

async function tileIndexes(page: Page, row: number): Promise<string[]> {
  return page.getByTestId('gallery-row').nth(row).getByTestId('gallery-tile').evaluateAll((els) => els.map((e) => e.getAttribute('data-index') ?? ''));
}

test('gallery of a trained checkpoint next to raw pixels: 20 tiles per row, self first, navigation, offline HTML export', { skip, timeout: 480_000 }, async (t) => {
  const config = RunConfigSchema.parse({ ...findPreset('mnist-demo')!.config, name: 'gallery e2e', epochs: 1, batchSize: 50, dataset: DATASET });
  const run = await app.call('runs.create', { config });
  const deadline = Date.now() + 240_000;
  for (;;) {
    const r = await app.call('runs.get', { id: run.id });
    if (r.status === 'completed') break;
    assert.ok(!['failed', 'cancelled', 'interrupted'].includes(r.status), `the run ended ${r.status}: ${r.error ?? ''}`);
    assert.ok(Date.now() < deadline, 'the run completes within 4 minutes');
    await new Promise((res) => setTimeout(res, 500));
  }

  const { page, errors, context } = await app.open();
  try {
    await page.getByTestId('nav-gallery').click();
    await page.getByTestId('view-gallery').waitFor();
    const boxes = page.getByTestId('gallery-source');
    await boxes.nth(1).waitFor();
    // Defaults: the run's newest checkpoint (the run records a latest and a best one) and the raw baseline.
    const checked = await boxes.evaluateAll((els) => els.filter((e) => (e as HTMLInputElement).checked).map((e) => e.getAttribute('data-source')));
    assert.equal(checked.length, 2, JSON.stringify(checked));
    assert.match(checked[0] ?? '', /^checkpoint:\d+$/);
    assert.equal(checked[1], 'raw');
    await page.getByTestId('gallery-split').selectOption('train');
    await page.getByTestId('gallery-index').fill(String(QUERY));
    await page.getByTestId('gallery-show').click();

    const rows = page.getByTestId('gallery-row');
    await rows.nth(1).waitFor();
    await rowsReady(page, 240_000);
    assert.equal(await rows.count(), 2);
    const shown: string[][] = [];
    for (let r = 0; r < 2; r++) {
      const idx = await tileIndexes(page, r);
      assert.equal(idx.length, 20, `row ${r} has 20 tiles`);
      assert.equal(idx[0], String(QUERY), `row ${r}: the query finds itself first in its own bank`);
      shown.push(idx);
    }
    assert.notDeepEqual(shown[0], shown[1], 'the two sources rank differently');
    // Thumbnails load through the authenticated route.
    await page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('[data-testid=gallery-tile] img')).every((i) => i.complete && i.naturalWidth > 0));
    // Side by side: the query column left of both rows, the rows one under the other, all in view.
    await assertSideBySide(page);
    assert.equal(await page.getByTestId('gallery-query').getAttribute('data-index'), String(QUERY));
    await page.screenshot({ path: artifactPath('gallery.png'), fullPage: true });

    // Keyboard: focus the first tile, move right, open it; Backspace returns to the query.
    await rows.nth(0).getByTestId('gallery-tile').first().focus();
    await page.keyboard.press('ArrowRight');
    const second = shown[0]![1]!;
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-index')), second);
    await page.keyboard.press('Enter');
    await page.waitForFunction((want) => document.querySelector('[data-testid=gallery-query]')?.getAttribute('data-index') === want, second);
    assert.equal((await tileIndexes(page, 0))[0], second, 'the clicked retrieval is the new query and finds itself first');
    await page.keyboard.press('Backspace');
    await page.waitForFunction((want) => document.querySelector('[data-testid=gallery-query]')?.getAttribute('data-index') === want, String(QUERY));
    // Clicking a retrieval of the second row.
    const third = shown[1]![2]!;
    await rows.nth(1).getByTestId('gallery-tile').nth(2).click();
    await page.waitForFunction((want) => document.querySelector('[data-testid=gallery-query]')?.getAttribute('data-index') === want, third);
    await page.keyboard.press('Alt+ArrowLeft');
    await page.waitForFunction((want) => document.querySelector('[data-testid=gallery-query]')?.getAttribute('data-index') === want, String(QUERY));

    // Export: history (7, the second tile, the third) — 3 query blocks × 2 sources.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('gallery-export').click()]);
    const file = await download.path();
    const html = readFileSync(file, 'utf8');
    const offline = await context.newPage();
    await context.setOffline(true);
    await offline.setContent(html, { waitUntil: 'load' });
    const blocks = offline.locator('section.query-block');
    assert.equal(await blocks.count(), 3);
    const first = blocks.filter({ has: offline.locator(`text=Query: train image ${QUERY} `) });
    assert.equal(await first.count(), 1);
    const exportedRows = await first.locator('tr.source-row').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('figure.tile')).map((f) => f.getAttribute('data-index') ?? '')));
    assert.deepEqual(exportedRows, shown, 'the exported page shows the same tiles in the same order');
    const images = await offline.locator('img').evaluateAll((imgs) => imgs.map((i) => ({ src: (i as HTMLImageElement).src.slice(0, 22), ok: (i as HTMLImageElement).naturalWidth > 0 })));
    assert.equal(images.length, 3 * (1 + 2 * 20));
    assert.ok(images.every((i) => i.src === 'data:image/png;base64,' && i.ok), 'every image is inlined and renders offline');
    await offline.screenshot({ path: artifactPath('gallery-export.png'), fullPage: true });
    await context.setOffline(false);
    t.diagnostic(`exported ${html.length} bytes`);

    // A picked image file is a query too: embedded by each source, 20 tiles per row, no class known.
    const noise = await sharp(Buffer.from(Array.from({ length: 28 * 28 }, (_, i) => (i * 37) % 256)), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
    await page.getByTestId('gallery-file').setInputFiles({ name: 'scribble.png', mimeType: 'image/png', buffer: noise });
    await page.waitForFunction(() => /scribble\.png/.test(document.querySelector('[data-testid=gallery-query]')?.textContent ?? ''));
    await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-testid=gallery-row]')).every((r) => r.getAttribute('data-status') === 'ready'));
    for (let r = 0; r < 2; r++) assert.equal((await tileIndexes(page, r)).length, 20);
    assert.equal(await page.locator('[data-testid=gallery-tile][data-same=true]').count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('gallery of an imported model next to raw pixels: its bank row i is train image i, 20 tiles per row', { skip, timeout: 300_000 }, async () => {
  const data = mkdtempSync(join(tmpdir(), 'snca-e2e-gallery-model-'));
  try {
    const tree = await writeImageFolderTree(data, ['ant', 'bee', 'cat'], { train: 8, val: 2 });
    const job = await app.call('models.import', { path: fixturePath('imagenet-resnet18-w4.legacy.pth.tar'), name: 'gallery r18' });
    const deadline = Date.now() + 60_000;
    let modelId: string | null = null;
    while (!modelId) {
      modelId = (await app.call('models.list', {})).find((m) => m.name === job.name)?.id ?? null;
      assert.ok(modelId || Date.now() < deadline, 'the import completes within a minute');
      if (!modelId) await new Promise((res) => setTimeout(res, 250));
    }
    const model = await app.call('models.update', { id: modelId, trainFolder: join(data, 'train') });
    assert.equal(model.bankRows, tree.trainImages.length);

    const { page, errors, context } = await app.open();
    try {
      await page.getByTestId('nav-gallery').click();
      await page.getByTestId('view-gallery').waitFor();
      const modelBox = page.locator(`[data-testid=gallery-source][data-source="model:${modelId}"]`);
      await modelBox.waitFor();
      await page.getByTestId('gallery-dataset').selectOption(`imagefolder:${data}`);
      // Exactly the model and the raw baseline.
      for (const box of await page.getByTestId('gallery-source').all()) {
        const key = await box.getAttribute('data-source');
        if ((await box.isChecked()) !== (key === 'raw' || key === `model:${modelId}`)) await box.click();
      }
      const query = 13;
      await page.getByTestId('gallery-split').selectOption('train');
      await page.getByTestId('gallery-index').fill(String(query));
      await page.getByTestId('gallery-show').click();
      const rows = page.getByTestId('gallery-row');
      await rows.nth(1).waitFor();
      await rowsReady(page, 180_000);
      assert.deepEqual((await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-source')))).sort(), [`model:${modelId}`, 'raw'].sort());
      const modelRow = page.locator(`[data-testid=gallery-row][data-source="model:${modelId}"]`);
      const rawRow = page.locator('[data-testid=gallery-row][data-source=raw]');
      for (const row of [modelRow, rawRow]) {
        const idx = await row.getByTestId('gallery-tile').evaluateAll((els) => els.map((e) => e.getAttribute('data-index')));
        assert.equal(idx.length, 20, 'every row has 20 tiles');
        assert.equal(idx[0], String(query), 'the train image finds itself first in its own bank');
      }
      // Bank row 13 is the 6th image of the second class folder: its hit is labelled so.
      assert.match((await modelRow.getByTestId('gallery-tile').first().getAttribute('title')) ?? '', /, bee \(same class as the query\)$/);
      await page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('[data-testid=gallery-tile] img')).every((i) => i.complete && i.naturalWidth > 0));
      await assertSideBySide(page);
      await page.screenshot({ path: artifactPath('gallery-model.png'), fullPage: true });

      // A picked file is embedded with the imported weights.
      await page.getByTestId('gallery-file').setInputFiles({ name: 'val-bee.png', mimeType: 'image/png', buffer: readFileSync(tree.valImages[2]!) });
      await page.waitForFunction(() => /val-bee\.png/.test(document.querySelector('[data-testid=gallery-query]')?.textContent ?? ''));
      await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-testid=gallery-row]')).every((r) => r.getAttribute('data-status') === 'ready'));
      assert.equal(await modelRow.getByTestId('gallery-tile').count(), 20);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});
