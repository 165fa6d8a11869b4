/**
 * The UI against the real serve mode (a fresh SNCA_HOME, core, store and HTTP/WebSocket
 * transport as `snca serve` runs them; the fake "watchable" training worker stands in for the
 * trainer, whose real runs demo-run.test.ts covers): token handling, the form's validation,
 * live progress to completion, a reload, the event link coming back after every connection
 * through a tunnel is cut, and screenshots of every view in light and dark.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { demoConfig } from '../fixtures/run-records.ts';
import { startTestCore, type TestCore } from '../fixtures/test-core.ts';
import { waitFor } from '../fixtures/wait-for.ts';
import type { FakeWorker } from '../fixtures/workers/fake-workers.ts';
import { artifactPath, e2eSkipReason, useServeModePage } from './harness.ts';
import { startTcpForwarder, type TcpForwarder } from './tcp-forwarder.ts';

const skip = e2eSkipReason() ?? false;

/** The MNIST demo's 8,000 training digits in batches of 128: iterations per epoch of the watchable worker. */
const DEMO_ITERATIONS = Math.ceil(8000 / 128);

async function progressValue(page: Page): Promise<number> {
  return Number(await page.getAttribute('[data-testid=progress-bar]', 'aria-valuenow'));
}

function realErrors(errors: string[]): string[] {
  return errors.filter((e) => !/favicon/.test(e));
}

describe('UI against the real serve mode', { skip }, () => {
  const app = useServeModePage({ fakes: { worker: 'watchable' } });
  let tunnel: TcpForwarder;

  before(async () => {
    tunnel = await startTcpForwarder(Number(new URL(app.serve.appUrl).port));
  });
  after(async () => {
    await tunnel?.close();
  });

  test('empty list → new run (validation) → live run to completion → reload → link cut and back', { timeout: 90_000 }, async () => {
    // through the tunnel, as a browser on another machine reaches serve mode
    const viaTunnel = new URL(app.serve.appUrl);
    viaTunnel.port = String(tunnel.port);
    const { page, errors, context } = await app.open({ url: viaTunnel.href });
    try {
      await page.getByTestId('empty-state').waitFor();
      assert.ok(!page.url().includes('token='), `token left in the address bar: ${page.url()}`);
      await page.getByTestId('connection').and(page.locator('[data-state=open]')).waitFor();
      await page.screenshot({ path: artifactPath('runs-empty-light.png') });

      await page.getByTestId('empty-new-run').click();
      await page.getByTestId('run-form').waitFor();
      const first = page.getByTestId('preset').first();
      assert.match(await first.locator('.preset-title').innerText(), /^MNIST demo \(offline\)/);
      assert.equal(await first.getAttribute('aria-checked'), 'true');
      const start = page.getByTestId('start-run');
      assert.equal(await start.isEnabled(), true);

      // client-side validation: message next to the field, naming it; Start disabled
      await page.locator('[data-field=epochs] input').fill('0');
      await page.locator('[data-field="dataset.valSize"] input').fill('abc');
      assert.equal(await page.locator('[data-field=epochs] [data-testid=field-error]').innerText(), 'Epochs must be at least 1');
      assert.equal(await page.locator('[data-field="dataset.valSize"] [data-testid=field-error]').innerText(), 'Validation images must be a number');
      assert.equal(await page.locator('[data-field=epochs] input').getAttribute('aria-invalid'), 'true');
      assert.equal(await start.isDisabled(), true);
      assert.equal(await page.getByTestId('form-invalid').innerText(), '2 fields need attention');
      await page.screenshot({ path: artifactPath('new-run-invalid-light.png'), fullPage: true });
      await page.locator('[data-field=epochs] input').fill('2');
      await page.locator('[data-field="dataset.valSize"] input').fill('500');
      assert.equal(await start.isEnabled(), true);
      assert.equal(await page.getByTestId('field-error').count(), 0);

      await page.locator('[data-field=name] input').fill('E2E run');
      await start.click();
      await page.getByTestId('view-run').waitFor();
      const id = /#\/runs\/([A-Za-z0-9_-]+)$/.exec(page.url())?.[1];
      assert.ok(id, `no run id in ${page.url()}`);
      assert.equal(await page.getByTestId('run-name').innerText(), 'E2E run');
      const stored = await app.call('runs.get', { id });
      assert.deepEqual([stored.name, stored.epochs, stored.config.dataset], ['E2E run', 2, { kind: 'mnist', trainSize: 8000, valSize: 500 }], 'the server stored what the form sent');

      // the bar moves while the run trains
      const seen = new Set<number>();
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        seen.add(await progressValue(page));
        if ((await page.getByTestId('run-status').getAttribute('data-status')) === 'completed') break;
        await page.waitForTimeout(100);
      }
      const values = [...seen].sort((a, b) => a - b);
      // inside epoch 1 of 2 only run.progress events move the bar (the run's summary counts whole epochs)
      assert.ok(values.some((v) => v > 0 && v < 50), `no progress within the first epoch seen: ${values.join(', ')}`);
      assert.equal(await page.getByTestId('run-status').getAttribute('data-status'), 'completed', `server output:\n${app.serve.output().slice(-2000)}`);
      assert.equal(await progressValue(page), 100);
      // the worker's kNN top-1 after epoch 2: 0.985 - 0.2·e^(-2.2) = 96.28 %
      assert.equal(await page.getByTestId('metric-knn-top1').getByTestId('metric-value').innerText(), '96.28%');
      const lossRows = 2 * DEMO_ITERATIONS;
      await page.getByTestId('chart-loss').and(page.locator(`[data-points="${lossRows}"]`)).waitFor({ timeout: 5000 });
      assert.equal(Number(await page.getByTestId('chart-accuracy').getAttribute('data-points')), 2);
      await page.getByTestId('log-tail').getByText('Epoch 2/2: kNN top-1 96.28%').waitFor();
      await page.screenshot({ path: artifactPath('run-detail-light.png'), fullPage: true });

      // a reload keeps working with the token kept in sessionStorage, and shows the stored series
      await page.reload();
      await page.getByTestId('view-run').waitFor();
      await page.getByTestId('chart-loss').and(page.locator(`[data-points="${lossRows}"]`)).waitFor();
      assert.equal(await page.getByTestId('run-status').getAttribute('data-status'), 'completed');
      await page.getByTestId('connection').and(page.locator('[data-state=open]')).waitFor();

      // every connection through the tunnel is cut: the event link comes back and carries events again
      tunnel.cutAll();
      await page.getByTestId('connection').and(page.locator('[data-state=reconnecting]')).waitFor();
      await page.getByTestId('connection').and(page.locator('[data-state=open]')).waitFor({ timeout: 15_000 });
      await app.call('runs.update', { id, name: 'E2E run, renamed' });
      await page.getByTestId('run-name').filter({ hasText: 'E2E run, renamed' }).waitFor({ timeout: 10_000 });

      // back to the list: the row shows the result
      await page.getByRole('link', { name: 'Runs', exact: true }).first().click();
      const row = page.getByTestId('run-row').first();
      await row.waitFor();
      assert.equal(await row.getByTestId('run-knn-top1').innerText(), '96.28%');
      assert.deepEqual(realErrors(errors), []);
    } finally {
      await context.close();
    }
  });

  test('a page without a token says so instead of failing silently', { timeout: 30_000 }, async () => {
    const { page, context } = await app.open({ url: new URL(app.serve.appUrl).origin });
    try {
      const banner = page.getByTestId('error-banner');
      await banner.waitFor();
      assert.equal(await banner.getAttribute('data-code'), 'unauthorized');
    } finally {
      await context.close();
    }
  });
});

/** Runs an earlier session left in the data folder: one completed, one failed, one cancelled. */
async function leaveEarlierRuns(home: string): Promise<void> {
  const session = async (worker: FakeWorker, config: Parameters<typeof demoConfig>[0], end: (id: string, t: TestCore) => Promise<void>) => {
    const t = await startTestCore(worker, { home });
    try {
      const { id } = await t.core.call('runs.create', { config: demoConfig(config) });
      await end(id, t);
    } finally {
      await t.dispose();
    }
  };
  const ended = async (id: string, t: TestCore) => void (await t.core.runs.whenEnded(id));
  await session('completing', { name: 'MNIST demo — baseline', epochs: 5, batchSize: 40 }, ended);
  await session('error-reporting', { name: 'MNIST τ=0.02', temperature: 0.02, epochs: 3 }, ended);
  await session('cancel-waiting', { name: 'MNIST, K=200', eval: { k: 200, everyEpochs: 1, monitor: 'knn_top1', recomputeMemory: false }, epochs: 8 }, async (id, t) => {
    await waitFor(() => t.events.some((e) => e.event === 'run.metrics' && e.payload.runId === id), `first metrics of ${id}`, 30_000);
    await t.core.call('runs.cancel', { id });
    await t.core.runs.whenEnded(id);
  });
}

describe('screenshots of every view', { skip }, () => {
  const app = useServeModePage({ fakes: { worker: 'watchable' }, prepareHome: leaveEarlierRuns });

  for (const scheme of ['light', 'dark'] as const) {
    test(`${scheme}: list, new run, running and failed run`, { timeout: 60_000 }, async () => {
      const { page, errors, context } = await app.open({ colorScheme: scheme });
      try {
        await page.getByTestId('runs-table').waitFor();
        const rows = page.getByTestId('run-row');
        assert.ok((await rows.count()) >= 3);
        for (const [name, status] of [['MNIST demo — baseline', 'completed'], ['MNIST τ=0.02', 'failed'], ['MNIST, K=200', 'cancelled']]) {
          assert.equal(await rows.filter({ hasText: name }).getByTestId('run-status').getAttribute('data-status'), status, name);
        }
        await page.screenshot({ path: artifactPath(`runs-list-${scheme}.png`) });

        await page.getByTestId('new-run').click();
        await page.getByTestId('run-form').waitFor();
        await page.screenshot({ path: artifactPath(`new-run-${scheme}.png`), fullPage: true });

        // a run in progress (the whole demo recipe, about 19 s with the watchable worker), cancelled
        await page.locator('[data-field=name] input').fill(`Live ${scheme}`);
        await page.getByTestId('start-run').click();
        await page.getByTestId('view-run').waitFor();
        await page.getByTestId('run-status').and(page.locator('[data-status=running]')).waitFor();
        // (no waitForFunction: the page's CSP forbids evaluating strings, as it should)
        for (let i = 0; i < 200 && (await progressValue(page)) <= 3; i++) await page.waitForTimeout(100);
        assert.ok((await progressValue(page)) > 3);
        await page.screenshot({ path: artifactPath(`run-running-${scheme}.png`), fullPage: true });
        await page.getByTestId('cancel-run').click();
        await page.getByTestId('run-status').and(page.locator('[data-status=cancelled]')).waitFor();
        assert.equal(await page.getByTestId('cancel-run').count(), 0);

        await page.getByRole('link', { name: 'Runs', exact: true }).first().click();
        await page.getByTestId('run-row').filter({ hasText: 'MNIST τ=0.02' }).click();
        await page.getByTestId('run-error').waitFor();
        assert.match(await page.getByTestId('run-error').innerText(), /The loss became NaN; lower the learning rate/);
        await page.screenshot({ path: artifactPath(`run-failed-${scheme}.png`), fullPage: true });
        assert.deepEqual(realErrors(errors), []);
      } finally {
        await context.close();
      }
    });
  }
});
