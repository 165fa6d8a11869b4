/**
 * The runs list (landing screen) with more runs than one page, in headless Chromium against
 * the real serve mode: it draws the newest page and the old queued runs, counts all runs,
 * and "Show more" loads the rest.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RUNS_LIST_MAX } from '../../shared/runs-list.ts';
import { openStore } from '../../src-main/store/store.ts';
import { newRun } from '../fixtures/run-records.ts';
import { e2eSkipReason, useServeModePage } from './harness.ts';

const skip = e2eSkipReason() ?? false;
const ENDED = 300;

/** 300 ended runs, hourly, and two queued runs older than all of them. */
async function seedRuns(home: string): Promise<void> {
  const store = openStore(join(home, 'snca.db'));
  try {
    store.transaction(() => {
      for (let i = 0; i < ENDED; i++) {
        const id = `t${i}`;
        store.runs.insert(newRun(id, { name: id, createdAt: new Date(Date.UTC(2026, 9, 1) + i * 3_600_000).toISOString() }));
        store.runs.transition(id, ['queued'], 'completed');
      }
      for (const id of ['old-queued-1', 'old-queued-2']) store.runs.insert(newRun(id, { name: id, createdAt: '2026-01-01T00:00:00.000Z' }));
    });
    // The oldest ended run holds a file, so its disk-usage cell shows once Show more lists it.
    mkdirSync(join(home, 'runs', 't0'), { recursive: true });
    writeFileSync(join(home, 'runs', 't0', 'blob.bin'), Buffer.alloc(1000));
  } finally {
    store.close();
  }
}

describe('runs list with more runs than a page', { skip }, () => {
  // The waiting worker keeps the queued runs active (one running, one queued) until the test ends.
  const app = useServeModePage({ fakes: { worker: 'cancel-waiting' }, prepareHome: seedRuns });

  test('draws the newest page and the active runs; Show more loads the rest', { timeout: 60_000 }, async () => {
    const { page, context, errors } = await app.open();
    try {
      const rows = page.getByTestId('run-row');
      await rows.first().waitFor();
      assert.equal(await rows.count(), RUNS_LIST_MAX + 2);
      assert.equal(await rows.first().getAttribute('data-run-id'), `t${ENDED - 1}`);
      for (const id of ['old-queued-1', 'old-queued-2']) assert.equal(await page.locator(`[data-testid=run-row][data-run-id=${id}]`).count(), 1, id);
      assert.equal(await page.locator(`[data-testid=run-row][data-run-id=t${ENDED - RUNS_LIST_MAX - 1}]`).count(), 0, 'older runs wait for Show more');
      assert.equal(await page.getByTestId('runs-count').textContent(), `Showing ${RUNS_LIST_MAX + 2} of ${ENDED + 2} runs`);
      assert.equal(await page.getByTestId('runs-open-table').getAttribute('href'), '#/table');

      await page.getByTestId('runs-show-more').click();
      await page.locator('[data-testid=run-row][data-run-id=t0]').waitFor();
      assert.equal(await rows.count(), ENDED + 2);
      assert.equal(await page.getByTestId('runs-show-more').count(), 0, 'nothing more to show');
      // Disk usage is asked for the rows as they are listed, the later page included.
      await page.waitForFunction(() => document.querySelector('[data-testid=run-row][data-run-id=t0] [data-testid=run-disk]')?.textContent?.trim() === '1000 B');
      // Newest first: the old queued runs come after the oldest ended run.
      assert.deepEqual((await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-run-id')))).slice(-3), ['t0', 'old-queued-2', 'old-queued-1']);
      assert.deepEqual(errors.filter((e) => !/favicon/.test(e)), []);
    } finally {
      await context.close();
    }
  });
});
