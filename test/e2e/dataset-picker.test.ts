/**
 * New run with a preset that needs data, against the real serve mode (a fresh SNCA_HOME; the
 * CIFAR archive comes from a server on 127.0.0.1 instead of the official site, training is
 * the fake "watchable" worker): the folder field starts at the data folder's download place,
 * where the data library finds nothing yet; emptied it is required; a missing folder gets the
 * library's message next to the field; "Download CIFAR-10" shows a progress bar
 * fed by dataset.progress events and fills the field with the checked folder; a folder that
 * vanished after its check is refused by the server, whose message lands next to the field
 * until the field is edited.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { makeTempDir, type TempDir } from '../fixtures/temp-home.ts';
import { fakeCifar, tarGzOf, writeCifar } from '../unit/engine/data/cifar-fixtures.ts';
import { artifactPath, e2eSkipReason, useServeModePage } from './harness.ts';

const skip = e2eSkipReason() ?? false;
/** The fake CIFAR-10: 2 images per train batch (5 batches), 3 test images. */
const CIFAR = fakeCifar('cifar10', 2, 3);
const CHUNKS = 10;
const CHUNK_MS = 200;

function assertStartsWith(text: string, prefix: string): void {
  assert.ok(text.startsWith(prefix), `expected a message starting with ${JSON.stringify(prefix)}, got ${JSON.stringify(text)}`);
}

/** Serves one archive, trickled in CHUNKS pieces so that the download phase is seen. */
function archiveServer(archive: Buffer): Server {
  return createServer((req, res) => {
    if (req.url !== '/cifar-10-python.tar.gz') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': archive.length });
    const size = Math.ceil(archive.length / CHUNKS);
    let at = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      res.write(archive.subarray(at, at + size));
      at += size;
      if (at >= archive.length) {
        clearInterval(timer);
        res.end();
      }
    }, CHUNK_MS);
  });
}

describe('dataset picker against the real serve mode', { skip }, () => {
  let files: Server;
  let src: TempDir;

  const app = useServeModePage(async () => {
    src = makeTempDir('snca-e2e-cifar-');
    writeCifar(src.dir, 'cifar10', 'python', CIFAR);
    const archive = tarGzOf(src.dir, join(src.dir, 'cifar-10-batches-py'));
    files = archiveServer(archive);
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(files.address() as AddressInfo).port}/cifar-10-python.tar.gz`;
    return { fakes: { worker: 'watchable', cifar: { url, md5: createHash('md5').update(archive).digest('hex') } } };
  });
  after(async () => {
    files?.closeAllConnections();
    await new Promise((r) => (files ? files.close(r) : r(undefined)));
    src?.cleanup();
  });

  test('CIFAR-10 (paper): required folder → library message → download with progress → folder filled and checked → server refuses a vanished folder', { timeout: 90_000 }, async () => {
    const { page, errors, context } = await app.open();
    try {
      const failed: string[] = [];
      page.on('response', (r) => r.status() >= 500 && failed.push(new URL(r.url()).pathname));
      await page.getByTestId('empty-new-run').click();
      await page.getByTestId('run-form').waitFor();
      await page.locator('[data-testid=preset][data-preset-id=cifar10-paper]').click();
      const rootField = page.locator('[data-field="dataset.root"]');
      const rootError = rootField.locator('[data-testid=field-error]');
      const start = page.getByTestId('start-run');
      // the preset comes with the data folder's download place, where nothing is yet
      const root = join(app.serve.home, 'datasets', 'cifar10');
      assert.equal(await rootField.locator('input').inputValue(), root);
      await rootError.filter({ hasText: 'no CIFAR-10 dataset here' }).waitFor({ timeout: 10_000 });
      assertStartsWith(await rootError.innerText(), `${root}: no CIFAR-10 dataset here (the path is missing`);
      assert.equal(await start.isDisabled(), true);
      await rootField.locator('input').fill('');
      assert.equal(await rootError.innerText(), 'Dataset folder is required');
      assert.equal(await start.isDisabled(), true);

      // the data library's verdict on a path that does not exist, from datasets.validate
      const missing = join(app.serve.home, 'missing');
      await rootField.locator('input').fill(missing);
      await rootError.filter({ hasText: 'no CIFAR-10 dataset here' }).waitFor({ timeout: 10_000 });
      assertStartsWith(await rootError.innerText(), `${missing}: no CIFAR-10 dataset here (the path is missing`);
      assert.equal(await start.isDisabled(), true);

      // an empty field downloads into the data folder's default place
      await rootField.locator('input').fill('');
      await page.getByTestId('dataset-download').click();
      const job = page.getByTestId('dataset-job');
      await job.waitFor();
      const bar = job.getByRole('progressbar');
      const seen = new Set<number>();
      let shot = false;
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && (await job.getAttribute('data-phase')) === 'download') {
        const v = Number(await bar.getAttribute('aria-valuenow'));
        seen.add(v);
        if (!shot && v > 0 && v < 100) {
          shot = true;
          await page.screenshot({ path: artifactPath('new-run-dataset-download-light.png'), fullPage: true });
        }
        await page.waitForTimeout(50);
      }
      assert.ok([...seen].some((x) => x > 0 && x < 100), `no partial download progress seen: ${[...seen].join(', ')}`);
      await page.locator('[data-testid=dataset-job][data-phase=done]').waitFor({ timeout: 20_000 });
      assert.equal(await job.locator('.job-text').innerText(), `CIFAR-10 is ready in ${root}`);
      assert.equal(await rootField.locator('input').inputValue(), root);
      await page.getByTestId('dataset-summary').waitFor({ timeout: 10_000 });
      assert.equal(
        (await page.getByTestId('dataset-summary').innerText()).replace(/\s+/g, ' ').trim(),
        `✓ ${join(root, 'cifar-10-batches-py')}: 10 classes, ${CIFAR.train.labels.length} train / ${CIFAR.test.labels.length} val images`,
      );
      assert.equal(await rootError.count(), 0);
      assert.equal(await start.isEnabled(), true);
      await page.screenshot({ path: artifactPath('new-run-dataset-ready-light.png'), fullPage: true });

      // the folder goes away after its check: the server's own check refuses the run, next to the field
      rmSync(root, { recursive: true, force: true });
      await start.click();
      await rootError.waitFor();
      assertStartsWith(await rootError.innerText(), `Dataset folder: ${root}: no CIFAR-10 dataset here`);
      assert.equal(await page.getByTestId('view-new-run').count(), 1, 'still on the form');
      assert.equal(await start.isDisabled(), true);

      // another good folder: the server's message goes with the edit, and the run starts
      const other = join(app.serve.home, 'elsewhere');
      mkdirSync(other);
      writeCifar(other, 'cifar10', 'python', CIFAR);
      await rootField.locator('input').fill(other);
      assert.equal(await rootField.locator('[data-testid=field-error]').filter({ hasText: 'Dataset folder:' }).count(), 0, 'editing the field clears the server message');
      await page.getByTestId('dataset-summary').waitFor({ timeout: 10_000 });
      await start.click();
      await page.getByTestId('view-run').waitFor();
      await page.getByTestId('run-status').and(page.locator('[data-status=running]')).waitFor({ timeout: 15_000 });
      await page.getByTestId('cancel-run').click();
      await page.getByTestId('run-status').and(page.locator('[data-status=cancelled]')).waitFor({ timeout: 15_000 });

      assert.deepEqual(failed.filter((p) => /datasets\.|presets\.|runs\./.test(p)), []);
      // the one 400 is the refused run above, which Chromium logs as a failed resource
      assert.deepEqual(errors.filter((e) => !/favicon/.test(e) && !/status of 400/.test(e)), []);
    } finally {
      await context.close();
    }
  });
});
