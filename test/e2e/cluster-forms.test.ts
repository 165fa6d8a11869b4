/**
 * The GUI's cluster fields against the real serve mode and the real one-node Slurm
 * (test/cluster/slurm-one-node.sh start), with a cluster registered through the contract:
 * - New run: "Resubmit if interrupted" starts at the cluster's setting; the value typed there
 *   is what the page sends as runs.submit autoResubmit and what the submitted run keeps
 *   (runs.cluster), next to the Slurm resources of the form.
 * - Evaluate on that run's page once it completed: "Where" starts at the run's cluster; the
 *   page sends evaluations.create with the cluster and its resources, the evaluation runs as a
 *   Slurm job, and its Cancel button ends it cancelled.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { MethodInput } from '../../shared/api.ts';
import { clusterWorkFolder } from '../fixtures/cluster/cluster-run-kit.ts';
import type { TempDir } from '../fixtures/temp-home.ts';
import { waitFor } from '../fixtures/wait-for.ts';
import { artifactPath, useServeModePage } from './harness.ts';

const app = useServeModePage();
const { skip } = app;
const CLUSTER = 'one-node';
let tmp: TempDir | undefined;
/** The run test 1 submits from the form, evaluated by test 2. */
let clusterRun: string | undefined;
let registered: Promise<void> | undefined;

/** Registers the one-node cluster once (its work folder holds this checkout as the app). */
function registerCluster(): Promise<void> {
  registered ??= (async () => {
    const work = await clusterWorkFolder('snca-e2e-cluster-');
    tmp = work.tmp;
    await app.call('clusters.add', { name: CLUSTER, route: { kind: 'local' }, workDir: work.workDir, defaults: { partition: 'debug', gpus: 0, cpus: 1, time: '5' }, autoResubmit: 3 });
  })();
  return registered;
}
after(() => tmp?.cleanup());

/** The JSON bodies of the page's calls of `method`, as they leave the browser. */
function requestsOf<M extends 'runs.submit' | 'evaluations.create'>(page: Page, method: M): MethodInput<M>[] {
  const seen: MethodInput<M>[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === `/api/${method}`) seen.push(r.postDataJSON() as MethodInput<M>);
  });
  return seen;
}

test('New run on a cluster: "Resubmit if interrupted" starts at the cluster\'s setting; the typed value is submitted and kept by the run', { skip, timeout: 60_000 }, async () => {
  await registerCluster();
  const { page, errors, context } = await app.open();
  const submits = requestsOf(page, 'runs.submit');
  try {
    await page.getByTestId('empty-new-run').click();
    await page.getByTestId('run-form').waitFor();
    // the smallest run that leaves a checkpoint (on the cluster, for test 2)
    await page.locator('[data-field=name] input').fill('resubmit e2e');
    await page.locator('[data-field=epochs] input').fill('1');
    await page.locator('[data-field="dataset.trainSize"] input').fill('100');
    await page.locator('[data-field="dataset.valSize"] input').fill('50');
    await page.locator('[data-field=batchSize] input').fill('50');
    assert.equal(await page.getByTestId('placement-resubmit').count(), 0, 'no resubmit field for this machine');
    await page.getByTestId('placement-where').selectOption(CLUSTER);
    const resubmit = page.getByTestId('placement-resubmit');
    assert.equal(await resubmit.inputValue(), '3', "prefilled with the cluster's setting");
    assert.deepEqual(
      [await page.getByTestId('placement-partition').inputValue(), await page.getByTestId('placement-gpus').inputValue(), await page.getByTestId('placement-time').inputValue()],
      ['debug', '0', '5'],
      "the cluster's Slurm defaults",
    );
    await resubmit.fill('25');
    assert.equal(await page.getByTestId('start-run').isDisabled(), true, 'more than 20 resubmissions are refused');
    await resubmit.fill('7');
    await page.getByTestId('placement-time').fill('4');
    await page.screenshot({ path: artifactPath('new-run-cluster.png'), fullPage: true });
    await page.getByTestId('start-run').click();
    await page.getByTestId('view-run').waitFor({ timeout: 20_000 });

    assert.equal(submits.length, 1);
    const sent = submits[0]!;
    assert.deepEqual([sent.cluster, sent.resources, sent.autoResubmit], [CLUSTER, { partition: 'debug', gpus: 0, time: '4' }, 7]);
    const runId = /#\/runs\/([A-Za-z0-9_-]+)$/.exec(page.url())?.[1];
    assert.ok(runId, `no run id in ${page.url()}`);
    clusterRun = runId;
    const placed = await app.call('runs.cluster', { id: runId });
    assert.ok(placed, 'the run is a cluster run');
    assert.equal(placed.cluster, CLUSTER);
    assert.equal(placed.autoResubmit, 7, 'the run keeps the value typed in the form');
    assert.ok(placed.jobId !== null && placed.jobId > 0, 'Slurm took the job');
    await page.getByTestId('nav-clusters').click();
    await page.locator(`[data-cluster="${CLUSTER}"]`).waitFor();
    await page.screenshot({ path: artifactPath('clusters.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("Evaluate a cluster run: Where starts at its cluster, the request carries it with the resources, the Slurm evaluation is cancelled from the page", { skip, timeout: 90_000 }, async () => {
  const id = clusterRun;
  assert.ok(id, 'the run of the first test');
  const { page, errors, context } = await app.open();
  const creates = requestsOf(page, 'evaluations.create');
  try {
    await waitFor(async () => !['queued', 'running'].includes((await app.call('runs.get', { id })).status), `cluster run ${id} to end`, 60_000, 500);
    const run = await app.call('runs.get', { id });
    assert.equal(run.status, 'completed', run.error ?? '');
    await page.evaluate((hash) => {
      window.location.hash = hash;
    }, `#/runs/${id}`);
    const panel = page.getByTestId('evaluations-panel');
    await page.getByTestId('cluster-run').waitFor();
    const where = page.getByTestId('eval-where');
    await page.waitForFunction((el) => (el as HTMLSelectElement).value !== '', await where.elementHandle());
    assert.equal(await where.inputValue(), CLUSTER, "a cluster run is evaluated on its cluster at first");
    assert.equal(await page.getByTestId('eval-partition').inputValue(), 'debug', "the cluster's defaults");
    await page.getByTestId('eval-gpus').fill('many');
    assert.equal(await page.getByTestId('evaluate').isDisabled(), true, 'an invalid GPU count stops Evaluate');
    await page.getByTestId('eval-gpus').fill('0');
    await page.getByTestId('eval-time').fill('3');
    await page.getByTestId('eval-k').fill('5');
    await page.getByTestId('evaluate').click();

    const row = panel.getByTestId('evaluation-row');
    await row.getByTestId('eval-cancel').waitFor();
    assert.equal(creates.length, 1);
    const sent = creates[0]!;
    assert.deepEqual([sent.runId, sent.k, sent.cluster, sent.resources], [id, 5, CLUSTER, { partition: 'debug', gpus: 0, time: '3' }]);
    const [stored] = await app.call('evaluations.list', { runId: id });
    assert.ok(stored && stored.status === 'running', 'the evaluation runs as a Slurm job');
    await panel.screenshot({ path: artifactPath('evaluate-on-cluster.png') });

    await row.getByTestId('eval-cancel').click();
    await row.filter({ hasText: 'cancelled' }).waitFor({ timeout: 20_000 });
    const [ended] = await app.call('evaluations.list', { runId: id });
    assert.deepEqual([ended?.id, ended?.status, ended?.top1], [stored.id, 'cancelled', null]);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    const left = (await app.call('runs.get', { id })).status;
    if (left === 'queued' || left === 'running') await app.call('runs.cancel', { id });
  }
});
