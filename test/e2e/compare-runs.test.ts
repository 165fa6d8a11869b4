/**
 * Compare runs in Chromium against the real serve mode: three real (reduced) MNIST demo
 * runs that differ in lr and seed are trained by the server, picked in the runs table
 * (query box, multi-select) and compared: the config diff lists exactly lr and seed, and
 * each run's curve is drawn in the charts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { demoConfig } from '../fixtures/run-records.ts';
import { artifactPath, callServeMode, e2eSkipReason, ensureRendererBuilt, launchChromium, openApp, startServeMode, type ServeMode } from './harness.ts';

const skip = e2eSkipReason() ?? false;
let browser: Browser | undefined;
let serve: ServeMode | undefined;

before(async () => {
  if (skip) return;
  ensureRendererBuilt();
  serve = await startServeMode();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await serve?.stop();
});

test('compare 3 demo runs differing in lr and seed: the diff lists exactly lr and seed, every curve is drawn', { skip, timeout: 400_000 }, async () => {
  const variants = [
    { name: 'cmp lr0.1 s0', lr: 0.1, seed: 0 },
    { name: 'cmp lr0.05 s0', lr: 0.05, seed: 0 },
    { name: 'cmp lr0.1 s1', lr: 0.1, seed: 1 },
  ];
  const ids: string[] = [];
  for (const v of variants) {
    const config = demoConfig({ ...v, epochs: 2, batchSize: 50, lowDim: 16, dataset: { kind: 'mnist', trainSize: 300, valSize: 100 } });
    ids.push((await callServeMode(serve!, 'runs.create', { config })).id);
  }
  const deadline = Date.now() + 300_000;
  for (;;) {
    const runs = await callServeMode(serve!, 'runs.list', {});
    const mine = runs.filter((r) => ids.includes(r.id));
    if (mine.every((r) => r.status === 'completed')) break;
    const bad = mine.find((r) => r.status === 'failed' || r.status === 'cancelled');
    if (bad) throw new Error(`run ${bad.name} ended ${bad.status}: ${bad.error}`);
    if (Date.now() > deadline) throw new Error(`runs did not complete: ${mine.map((r) => `${r.name}=${r.status}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 1000));
  }

  const { page, errors, context } = await openApp(browser!, serve!.appUrl);
  try {
    await page.getByTestId('nav-table').click();
    await page.getByTestId('run-query').fill('name ~ "cmp" and knn_top1 >= 0');
    await page.getByTestId('run-total').filter({ hasText: /^3 runs$/ }).waitFor();
    const boxes = page.getByTestId('select-run');
    assert.equal(await boxes.count(), 3);
    for (let i = 0; i < 3; i++) await boxes.nth(i).check();
    await page.getByTestId('compare-selected').click();

    await page.getByTestId('view-compare').waitFor();
    await page.getByTestId('diff-row').first().waitFor();
    const fields = await page.getByTestId('diff-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-field')));
    assert.deepEqual(fields, ['lr', 'seed']);

    const loss = page.locator('[data-testid=compare-chart][data-metric=loss]');
    await loss.waitFor();
    assert.equal(await loss.getAttribute('data-drawn'), '3', 'each run has a loss curve');
    const knn = page.locator('[data-testid=compare-chart][data-metric=knn_top1]');
    assert.equal(await knn.getAttribute('data-drawn'), '3', 'each run has a kNN top-1 curve');
    assert.equal(await page.locator('[data-testid=compare-metrics] tbody tr').count(), 3);
    // Grouping by everything but seed: lr 0.1 (2 runs) and lr 0.05 (1 run).
    await page.getByTestId('group-but-seed').click();
    await page.getByTestId('group-metrics').waitFor();
    assert.equal(await page.locator('[data-testid=group-metrics] tbody tr').count(), 2);
    await page.screenshot({ path: artifactPath('compare-runs.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await context.close();
  }
});
