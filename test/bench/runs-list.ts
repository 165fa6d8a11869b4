/// <reference lib="dom" />
/**
 * Runs list benchmark (the landing screen) with 5,050 stored runs, in headless Chromium
 * against the real serve mode: opening the app until the list's rows are drawn, leaving it
 * for the run table, and coming back to it. The data folder is seeded through the store.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src-main/store/store.ts';
import { makeTempDir } from '../fixtures/temp-home.ts';
import { e2eSkipReason, ensureRendererBuilt, launchChromium, openApp, startServeMode } from '../e2e/harness.ts';
import { seedTableRuns } from './compare.ts';

const RUNS = 5050;
const load = () => Number(loadavg()[0]!.toFixed(2));

export async function benchRunsList(): Promise<Record<string, unknown>> {
  const skip = e2eSkipReason();
  if (skip) return { skipped: skip };
  const tmp = makeTempDir('snca-bench-runs-list-');
  try {
    const store = openStore(join(tmp.dir, 'snca.db'));
    try {
      seedTableRuns(store, RUNS);
    } finally {
      store.close();
    }
    ensureRendererBuilt();
    const serve = await startServeMode({ env: { SNCA_HOME: tmp.dir } });
    const browser = await launchChromium();
    try {
      const opens: number[] = [];
      const leaves: number[] = [];
      const returns: number[] = [];
      let rows = 0;
      for (let i = 0; i < 3; i++) {
        const { page, context } = await openApp(browser, 'about:blank');
        const t0 = Date.now();
        await page.goto(serve.appUrl);
        await page.locator('[data-testid=run-row]').first().waitFor({ timeout: 120_000 });
        // One more frame: the rows are painted.
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
        opens.push(Date.now() - t0);
        rows = await page.locator('[data-testid=run-row]').count();
        await page.waitForLoadState('networkidle');
        const t1 = Date.now();
        await page.evaluate(() => {
          window.location.hash = '#/table';
        });
        await page.getByTestId('view-runs').waitFor({ state: 'detached', timeout: 60_000 });
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
        leaves.push(Date.now() - t1);
        await page.waitForLoadState('networkidle');
        const t2 = Date.now();
        await page.evaluate(() => {
          window.location.hash = '#/';
        });
        await page.locator('[data-testid=run-row]').first().waitFor({ timeout: 60_000 });
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
        returns.push(Date.now() - t2);
        await context.close();
      }
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      return {
        runs: RUNS,
        rows_rendered: rows,
        open_app_until_rows_drawn_ms: { median: med(opens), all: opens },
        leave_for_run_table_ms: { median: med(leaves), all: leaves },
        back_to_runs_list_ms: { median: med(returns), all: returns },
        load_at_end: load(),
        note: 'open: page.goto of the app until the first run row is drawn and one more frame; leave: #/table until the runs list is gone; back: #/ until its rows are drawn again',
      };
    } finally {
      await browser.close();
      await serve.stop();
    }
  } finally {
    tmp.cleanup();
  }
}
