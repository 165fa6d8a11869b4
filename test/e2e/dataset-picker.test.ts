/**
 * New run with a preset that needs data, against the mock serve mode: the folder field starts
 * empty and required, a missing folder gets the library's message next to the field, and
 * "Download CIFAR-10" shows a progress bar fed by dataset.progress events and fills the field.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { artifactPath, e2eSkipReason, ensureRendererBuilt, launchChromium, openApp, RENDERER_DIST } from './harness.ts';
import { startMockServer, type MockServer } from './mock-server.ts';

const skip = e2eSkipReason() ?? false;

describe('dataset picker against the mock server', { skip }, () => {
  let browser: Browser;
  let mock: MockServer;

  before(async () => {
    ensureRendererBuilt();
    browser = await launchChromium();
    mock = await startMockServer({ staticDir: RENDERER_DIST, seed: 'empty', tickMs: 60, iterations: 20 });
  });
  after(async () => {
    await browser?.close();
    await mock?.close();
  });

  test('CIFAR-10 (paper): required folder → library message → download with progress → folder filled and checked', { timeout: 60_000 }, async () => {
    const { page, errors, context } = await openApp(browser, mock.appUrl);
    try {
      const failed: string[] = [];
      page.on('response', (r) => r.status() >= 500 && failed.push(new URL(r.url()).pathname));
      await page.getByTestId('empty-new-run').click();
      await page.getByTestId('run-form').waitFor();
      await page.locator('[data-testid=preset][data-preset-id=cifar10-paper]').click();
      const rootField = page.locator('[data-field="dataset.root"]');
      assert.equal(await rootField.locator('input').inputValue(), '');
      assert.equal(await rootField.locator('[data-testid=field-error]').innerText(), 'Dataset folder is required');
      assert.equal(await page.getByTestId('start-run').isDisabled(), true);

      await rootField.locator('input').fill('/data/missing');
      await rootField.locator('[data-testid=field-error]').filter({ hasText: 'folder does not exist' }).waitFor({ timeout: 5000 });
      assert.equal(await rootField.locator('[data-testid=field-error]').innerText(), '/data/missing: folder does not exist');
      assert.equal(await page.getByTestId('start-run').isDisabled(), true);

      await rootField.locator('input').fill('');
      await page.getByTestId('dataset-download').click();
      const job = page.getByTestId('dataset-job');
      await job.waitFor();
      await page.locator('[data-testid=dataset-job][data-phase=download]').waitFor({ timeout: 5000 });
      await page.screenshot({ path: artifactPath('mock-new-run-dataset-download-light.png'), fullPage: true });
      await page.locator('[data-testid=dataset-job][data-phase=done]').waitFor({ timeout: 10_000 });
      assert.equal(await rootField.locator('input').inputValue(), '/tmp/snca-mock/datasets/cifar10');
      await page.getByTestId('dataset-summary').waitFor({ timeout: 5000 });
      assert.match(await page.getByTestId('dataset-summary').innerText(), /10 classes, 50000 train \/ 10000 val images/);
      assert.equal(await page.getByTestId('start-run').isEnabled(), true);
      await page.screenshot({ path: artifactPath('mock-new-run-dataset-ready-light.png'), fullPage: true });
      // Other views' methods may be missing from the mock while they are built; the datasets ones must all answer.
      assert.deepEqual(failed.filter((p) => /datasets\.|presets\./.test(p)), []);
      assert.deepEqual(errors.filter((e) => !/favicon|Failed to load resource/.test(e)), []);
    } finally {
      await context.close();
    }
  });
});
