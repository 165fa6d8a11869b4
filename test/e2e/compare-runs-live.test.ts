/**
 * A running run in the compare view, in Chromium against the real serve mode: another
 * process (this test, as the CLI would) owns the run and writes its metric rows; the change
 * watcher turns them into events, and the curves grow from them with no second fetch.
 * One long key (3,000 points: reduced to the shared grid) and one short key (sent whole).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { MetricPoint } from '../../shared/domain.ts';
import { openStore, type Store } from '../../src-main/store/store.ts';
import { demoConfig, newRun } from '../fixtures/run-records.ts';
import { useServeModePage } from './harness.ts';

const T0 = Date.UTC(2026, 0, 1);

function points(from: number, to: number): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (let i = from; i < to; i++) {
    out.push({ key: 'loss', step: i, epoch: i / 1000, value: 2 - i / 5000, wallTime: T0 + i * 10 });
    if (i % 300 === 0) out.push({ key: 'knn_top1', step: i, epoch: i / 1000, value: i / 5000, wallTime: T0 + i * 10 });
  }
  return out;
}

function seed(store: Store): void {
  for (const [id, status] of [['live', 'running'], ['done', 'completed']] as const) {
    store.runs.insert(newRun(id, { name: `cmp ${id}`, configJson: JSON.stringify(demoConfig({ name: `cmp ${id}`, seed: id === 'live' ? 1 : 2 })) }));
    store.runs.transition(id, ['queued'], status, { startedAt: new Date(T0).toISOString() });
    store.metrics.insert(id, points(0, 3000));
  }
}

const app = useServeModePage({
  prepareHome: async (home) => {
    const store = openStore(join(home, 'snca.db'));
    try {
      seed(store);
    } finally {
      store.close();
    }
  },
});

test('a running run\'s new metric rows extend its curves in the compare view without fetching the series again', { skip: app.skip, timeout: 60_000 }, async () => {
  const { page, errors, context } = await app.open();
  const store = openStore(join(app.serve.home, 'snca.db'));
  try {
    let fetches = 0;
    page.on('request', (r) => {
      if (r.url().includes('/api/compare.series')) fetches++;
    });
    await page.evaluate(() => {
      window.location.hash = '#/compare?runs=live,done';
    });
    const loss = page.locator('[data-testid=compare-chart][data-metric=loss][data-drawn="2"][data-plotted=true]');
    const knn = page.locator('[data-testid=compare-chart][data-metric=knn_top1][data-drawn="2"][data-plotted=true]');
    await loss.waitFor({ timeout: 30_000 });
    await knn.waitFor();
    const lossX = Number(await loss.getAttribute('data-points'));
    const knnX = Number(await knn.getAttribute('data-points'));
    assert.equal(knnX, 10, 'the short key comes whole: every x value of it');
    assert.ok(lossX > 100 && lossX < 3000, `the long key is on the grid: ${lossX} x values`);
    assert.equal(fetches, 1);

    // The owner writes the next 600 steps (as a CLI training would), keeping its heartbeat.
    store.runs.heartbeat(['live'], process.pid, Date.now());
    store.metrics.insert('live', points(3000, 3600));
    await page.locator(`[data-testid=compare-chart][data-metric=knn_top1][data-points="${knnX + 2}"]`).waitFor({ timeout: 10_000 });
    await page.waitForFunction(
      (before) => Number(document.querySelector('[data-testid=compare-chart][data-metric=loss]')?.getAttribute('data-points')) > before,
      lossX,
      { timeout: 10_000 },
    );
    const grown = Number(await loss.getAttribute('data-points'));
    // Buckets of the grid's width past its end: 600 more steps of 3,000 add about a fifth.
    assert.ok(grown > lossX * 1.1 && grown < lossX * 1.3, `the loss grid grew from ${lossX} to ${grown} x values`);
    // Longer than the store's refetch delay: no fetch is merely postponed either.
    await page.waitForTimeout(1500);
    assert.equal(fetches, 1, 'the series were not fetched again');
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    store.close();
    await context.close();
  }
});
