/**
 * Compare in Chromium against the real serve mode. Three real (reduced) MNIST demo runs that
 * differ in lr and seed are trained by the server, then:
 * - picked in the runs table (query box, multi-select) and compared: the config diff lists
 *   exactly lr and seed, and each run's curve is drawn (also against wall time); the
 *   hyperparameter view has lr and seed as axes, and brushing one filters the table;
 * - the best checkpoints of two of them are compared: the per-class table, the significance
 *   line, a disagreement tile with its thumbnail loaded and its neighbour panel.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoConfig } from '../fixtures/run-records.ts';
import { artifactPath, useServeModePage } from './harness.ts';

const app = useServeModePage();
const { skip } = app;

let trained: Promise<string[]> | null = null;

/** The three demo runs, trained once for both tests. */
function trainRuns(): Promise<string[]> {
  trained ??= trainVariants();
  return trained;
}

async function trainVariants(): Promise<string[]> {
  const variants = [
    { name: 'cmp lr0.1 s0', lr: 0.1, seed: 0 },
    { name: 'cmp lr0.05 s0', lr: 0.05, seed: 0 },
    { name: 'cmp lr0.1 s1', lr: 0.1, seed: 1 },
  ];
  const ids: string[] = [];
  for (const v of variants) {
    const config = demoConfig({ ...v, epochs: 2, batchSize: 50, lowDim: 16, dataset: { kind: 'mnist', trainSize: 300, valSize: 100 } });
    ids.push((await app.call('runs.create', { config })).id);
  }
  const deadline = Date.now() + 300_000;
  for (;;) {
    const { runs } = await app.call('runs.list', {});
    const mine = runs.filter((r) => ids.includes(r.id));
    if (mine.every((r) => r.status === 'completed')) break;
    const bad = mine.find((r) => r.status === 'failed' || r.status === 'cancelled');
    if (bad) throw new Error(`run ${bad.name} ended ${bad.status}: ${bad.error}`);
    if (Date.now() > deadline) throw new Error(`runs did not complete: ${mine.map((r) => `${r.name}=${r.status}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  return ids;
}

test('compare 3 demo runs differing in lr and seed: the diff lists exactly lr and seed, every curve is drawn', { skip, timeout: 400_000 }, async () => {
  await trainRuns();
  const { page, errors, context } = await app.open();
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
    // Against wall time: the series are fetched again for that axis; every curve is still drawn.
    await page.getByTestId('grouping').uncheck();
    await page.getByTestId('x-axis').selectOption('wall');
    await page.locator('[data-testid=compare-chart][data-metric=loss][data-x=wall][data-drawn="3"]').waitFor();
    assert.equal(await page.locator('[data-testid=compare-chart][data-metric=knn_top1]').getAttribute('data-drawn'), '3');
    await page.screenshot({ path: artifactPath('compare-runs.png'), fullPage: true });

    // The hyperparameter view of the same three runs: axes lr and seed, then the metric.
    await page.getByTestId('nav-table').click();
    await page.getByTestId('run-total').filter({ hasText: /^3 runs$/ }).waitFor();
    await page.getByTestId('hyperparameters-toggle').click();
    await page.locator('[data-testid=hp-lines][data-drawn="3"]').waitFor();
    const axes = await page.getByTestId('parallel-axis').evaluateAll((els) => els.map((e) => e.getAttribute('data-field')));
    assert.deepEqual(axes, ['lr', 'seed', 'best.knn_top1']);
    assert.equal(await page.getByTestId('hp-lines').getAttribute('data-lines'), '3');
    await page.locator('[data-testid=hp-scatter-points][data-drawn="3"]').waitFor();
    // Brush the top half of the lr axis (0.05 … 0.1 on a linear scale): the table keeps the two lr 0.1 runs.
    const hit = page.locator('[data-testid=parallel-axis][data-field=lr] [data-testid=hp-axis-hit]');
    const box = (await hit.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.3, { steps: 4 });
    await page.mouse.up();
    await page.getByTestId('brush-filter').waitFor();
    await page.getByTestId('run-total').filter({ hasText: /^2 runs$/ }).waitFor();
    await page.locator('[data-testid=hp-lines][data-kept="2"]').waitFor();
    assert.equal(await page.getByTestId('run-query').inputValue(), 'name ~ "cmp" and knn_top1 >= 0', 'the brush does not rewrite the query box');
    await page.screenshot({ path: artifactPath('hyperparameters.png'), fullPage: true });
    await page.getByTestId('hp-clear').click();
    await page.getByTestId('run-total').filter({ hasText: /^3 runs$/ }).waitFor();
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await context.close();
  }
});

test('compare 2 checkpoints: per-class table, significance line, a disagreement tile with its thumbnail and its neighbour panel', { skip, timeout: 500_000 }, async () => {
  const ids = await trainRuns();
  const best: number[] = [];
  for (const id of [ids[1]!, ids[2]!]) {
    const list = await app.call('runs.checkpoints', { id });
    const pick = list.find((c) => c.kind === 'best') ?? list.find((c) => c.kind === 'latest');
    assert.ok(pick, `run ${id} has a checkpoint`);
    best.push(pick.id);
  }
  const { page, errors, context } = await app.open();
  try {
    await page.evaluate((hash) => {
      window.location.hash = hash;
    }, `#/compare-checkpoints?ids=${best.join(',')}`);
    await page.getByTestId('view-compare-checkpoints').waitFor();
    // Missing evaluations run as jobs first; the comparison opens when both are done.
    await page.getByTestId('per-class').waitFor({ timeout: 300_000 });
    assert.equal(await page.locator('[data-testid=per-class] tbody tr').count(), 10, 'one row per digit');
    assert.equal(await page.locator('[data-testid=per-class] tbody tr').first().locator('td').count(), 5, 'class, images, A, B, delta');
    const significance = await page.getByTestId('significance').allTextContents();
    assert.equal(significance.length, 1, 'one pair');
    assert.match(significance[0]!, /A vs B: \d+ images only A gets right, \d+ only B — (not )?significant \(p = [0-9.e-]+/);

    const tile = page.getByTestId('disagreement-tile').first();
    await tile.waitFor();
    const thumb = tile.getByTestId('tile-thumb');
    // Thumbnails load lazily, as they come into view.
    await tile.scrollIntoViewIfNeeded();
    await page.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, await thumb.elementHandle());
    assert.equal(await thumb.evaluate((el) => (el as HTMLImageElement).naturalWidth), 64, 'the 64 px thumbnail of the val digit');
    assert.match((await thumb.getAttribute('src')) ?? '', /\/thumbnails\/[0-9a-f]{16}\/val\/\d+\.png\?size=64&token=/);
    const index = await tile.getAttribute('data-index');
    await tile.click();

    const panel = page.getByTestId('neighbour-panel');
    await panel.waitFor();
    assert.match((await panel.locator('h2').textContent()) ?? '', new RegExp(`image #${index}$`));
    assert.equal(await panel.locator('.panel').count(), 2, 'one column per checkpoint');
    assert.equal(await panel.locator('.panel').first().getByTestId('neighbour').count(), 30, 'K = 30 neighbours');
    assert.ok((await panel.locator('[data-testid=neighbour][data-voted=true]').count()) > 0, 'the voters for the winning class are marked');
    const firstNeighbour = panel.getByTestId('neighbour').first().locator('img');
    await firstNeighbour.scrollIntoViewIfNeeded();
    await page.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, await firstNeighbour.elementHandle());
    assert.match((await firstNeighbour.getAttribute('src')) ?? '', /\/thumbnails\/[0-9a-f]{16}\/train\/\d+\.png/);
    await page.screenshot({ path: artifactPath('compare-checkpoints.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await context.close();
  }
});
