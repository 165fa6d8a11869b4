/// <reference lib="dom" />
/**
 * Compare benchmark, the four figures of the compare feature:
 * - runs-table query over 5,000 runs: median and p95 of several query shapes (sorts by a metric and a config
 *   field, config, tag, text and combined filters), one page of 50 rows with 4 extra columns;
 * - a two-checkpoint comparison of stored evaluations with 10,000 val images (K = 30): on the
 *   main side with the files read cold, and opened in the page (fetch and render apart);
 * - the hyperparameter view over 5,000 runs: open and draw, brush drag frames, brush release;
 * - 50 runs × 100,000 loss points: open the compare view from the idle runs table in headless
 *   Chromium against the real serve mode, fetch and first full draw (every run's curve drawn),
 *   with the stages timed in the page and compare.series timed in this process;
 * - hover readout per mouse move over that chart.
 * The data folder is seeded through the store's own repositories.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { MetricPoint } from '../../shared/domain.ts';
import { methods } from '../../shared/api.ts';
import { CheckpointCompareService } from '../../src-main/core/checkpoint-compare-service.ts';
import { CompareSeriesService } from '../../src-main/core/compare-series-service.ts';
import { samplesRelativePath } from '../../src-main/core/evaluation-samples-path.ts';
import { RunTableService } from '../../src-main/core/run-table-service.ts';
import { writePerSampleFile } from '../../src-main/engine/eval/per-sample-file.ts';
import { openStore, type Store } from '../../src-main/store/store.ts';
import { DatasetSpecSchema, effectiveSigma } from '../../shared/run-config.ts';
import { canonicalJson } from '../../src-main/core/evaluations-service.ts';
import { selectBackend } from '../../src-main/engine/backend.ts';
import { createModel } from '../../src-main/engine/models/model.ts';
import { MemoryBank } from '../../src-main/engine/nca/memory-bank.ts';
import { SGD } from '../../src-main/engine/optim/sgd.ts';
import { writeCheckpoint } from '../../src-main/engine/train/checkpoint-writer.ts';
import { demoConfig, newRun } from '../fixtures/run-records.ts';
import { makeTempDir } from '../fixtures/temp-home.ts';
import type { Page } from 'playwright-core';
import { e2eSkipReason, ensureRendererBuilt, launchChromium, openApp, startServeMode } from '../e2e/harness.ts';
import { CompareCheckpointsInputSchema } from '../../shared/checkpoint-compare.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;
const ms = (x: number) => Number(x.toFixed(2));
const load = () => Number(loadavg()[0]!.toFixed(2));

/** Query shapes of the runs table over 5,000 runs, a page as the table asks for it (runs.query, summaries included). */
function benchRunTable(store: Store): Record<string, unknown> {
  const table = new RunTableService({ store });
  const page = { columns: ['best.knn_top1', 'last.loss', 'lr', 'seed'], offset: 0, limit: 50 };
  const shapes: Record<string, { where: string; sort: { field: string; descending: boolean }[]; offset?: number }> = {
    newest_first: { where: '', sort: [] },
    sort_by_metric: { where: '', sort: [{ field: 'knn_top1', descending: true }] },
    sort_by_metric_page_60: { where: '', sort: [{ field: 'knn_top1', descending: true }], offset: 3000 },
    sort_by_config: { where: '', sort: [{ field: 'lr', descending: false }] },
    config_filter: { where: 'lr = 0.05 and seed < 3', sort: [] },
    tag_filter: { where: 'tag:baseline', sort: [{ field: 'last.loss', descending: false }] },
    text_filter: { where: 'name ~ t12', sort: [] },
    combined: { where: 'arch = resnet18 and knn_top1 > 0.9 and tag:baseline and created > 2026-11-01', sort: [{ field: 'knn_top1', descending: true }] },
  };
  const out: Record<string, unknown> = { page_rows: page.limit, load_at_start: load() };
  for (const [name, shape] of Object.entries(shapes)) {
    const times: number[] = [];
    let total = 0;
    for (let i = 0; i < 41; i++) {
      const t0 = performance.now();
      total = table.query({ ...page, ...shape }).total;
      if (i > 0) times.push(performance.now() - t0);
    }
    out[name] = { median: ms(median(times)), p95: ms(p95(times)), total };
  }
  out.load_at_end = load();
  out.target = 50;
  return out;
}

export function seedTableRuns(store: Store, count: number): void {
  const archs = ['small-convnet', 'cifar-resnet18', 'resnet18', 'resnet50'];
  store.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = `t${i}`;
      const config = demoConfig({ name: id, lr: [0.1, 0.05, 0.01][i % 3]!, seed: i % 7 });
      store.runs.insert(newRun(id, { name: id, arch: archs[i % 4]!, configJson: JSON.stringify(config), createdAt: new Date(Date.UTC(2026, 9, 1) + i * 3_600_000).toISOString() }));
      // Ended runs: a queued one would be adopted and trained by the serve mode.
      store.runs.transition(id, ['queued'], 'completed');
      store.runs.updateDetails(id, { tags: i % 5 === 0 ? ['baseline'] : ['sweep'] });
      const pts: MetricPoint[] = [];
      for (let e = 1; e <= 20; e++) {
        pts.push({ key: 'knn_top1', step: e * 100, epoch: e, value: Math.min(0.99, 0.5 + (i % 50) / 100 + e / 200), wallTime: e });
        pts.push({ key: 'loss', step: e * 100, epoch: e, value: 3 / e + (i % 10) / 100, wallTime: e });
      }
      store.metrics.insert(id, pts);
    }
  });
}

function seedLongRuns(store: Store, runs: number, points: number): string[] {
  const ids: string[] = [];
  for (let r = 0; r < runs; r++) {
    const id = `long${r}`;
    ids.push(id);
    store.runs.insert(newRun(id, { name: `long ${r}`, configJson: JSON.stringify(demoConfig({ name: `long ${r}`, seed: r })) }));
    store.runs.transition(id, ['queued'], 'completed', { startedAt: new Date().toISOString(), endedAt: new Date().toISOString() });
    const batch: MetricPoint[] = [];
    for (let i = 0; i < points; i++) {
      batch.push({ key: 'loss', step: i, epoch: i / 1000, value: 3 * Math.exp(-i / 20_000) + 0.05 * Math.sin(i / 7 + r) + (i === 31_337 + r ? 5 : 0), wallTime: i });
      if (batch.length === 10_000) store.metrics.insert(id, batch.splice(0));
    }
    if (batch.length) store.metrics.insert(id, batch);
  }
  return ids;
}

/**
 * Two real (untrained) small-convnet checkpoints of one MNIST run, each with a stored
 * completed evaluation of `images` val images and its per-sample file, keyed exactly as the
 * evaluations service keys them, so compare.checkpoints reuses them in the serve mode too.
 */
export async function seedEvaluations(store: Store, home: string, images: number, k: number): Promise<number[]> {
  await selectBackend({ prefer: 'cpu' });
  const config = demoConfig({ name: 'ckpt-run', lowDim: 16, dataset: { kind: 'mnist', trainSize: 10, valSize: 9990 } });
  store.runs.insert(newRun('ckpt-run', { configJson: JSON.stringify(config) }));
  store.runs.transition('ckpt-run', ['queued'], 'completed');
  const datasetJson = canonicalJson(DatasetSpecSchema.parse(config.dataset));
  const ids: number[] = [];
  const classes = 10;
  for (const epoch of [1, 2]) {
    const model = createModel(config.arch, { lowDim: 16, seed: epoch });
    const bank = MemoryBank.initUniform(10, 16, new Int32Array(10), epoch);
    const sgd = new SGD({ lr: 0.1 });
    const [w] = await writeCheckpoint({ runDir: join(home, 'runs', 'ckpt-run'), config, epoch, step: epoch, model, bank, sgd, metrics: {}, kinds: ['epoch'] });
    model.dispose();
    bank.dispose();
    sgd.dispose();
    const c = store.checkpoints.record('ckpt-run', w!, new Date().toISOString());
    const e = store.evaluations.insert({
      checkpointSha256: c.sha256, datasetJson, datasetState: '', k, sigma: effectiveSigma(config), recomputeMemory: false,
      runId: 'ckpt-run', checkpointId: c.id, checkpointPath: c.path, checkpointEpoch: epoch, createdAt: 'x', ownerPid: process.pid,
    });
    const trueLabels = Int32Array.from({ length: images }, (_, i) => i % classes);
    const predicted = trueLabels.map((t, i) => ((i * 7919 + epoch * 31) % 100 < 90 + epoch ? t : (t + 1) % classes));
    const perClass = Array.from({ length: classes }, (_, cl) => ({ class: cl, name: String(cl), correct: 0, count: 0 }));
    trueLabels.forEach((t, i) => {
      perClass[t]!.count++;
      if (predicted[i] === t) perClass[t]!.correct++;
    });
    store.evaluations.complete(e.id, { top1: 0.9, top5: 0.99, nnTop1: 0.88, samples: images, perClass, confusion: [], wallSeconds: 1, backend: 'cpu' }, 'y');
    const rel = samplesRelativePath('ckpt-run', e.id);
    writePerSampleFile(join(home, rel), {
      classes, trainCount: 10, k, trueLabels, predicted,
      neighbourIndexes: Uint32Array.from({ length: images * k }, (_, i) => (i * 2654435761) % 10),
      neighbourSimilarities: Float32Array.from({ length: images * k }, (_, i) => 1 - (i % k) / 100),
      neighbourLabels: Int32Array.from({ length: images * k }, (_, i) => i % classes),
    });
    store.evaluations.setSamplesPath(e.id, rel);
    ids.push(c.id);
  }
  return ids;
}

/**
 * compare.series for the 50 long runs in this process, as serve mode answers it (maxPoints
 * 1280; the page asks for two per pixel of its chart's plot, 1,032 in the benchmark's browser): the reduction from the
 * roll-up, the contract's output check and the JSON text. The first call on a freshly opened
 * store, then the median of three more.
 */
function seriesMainSide(dbPath: string, runIds: string[]): Record<string, unknown> {
  const store = openStore(dbPath);
  try {
    const svc = new CompareSeriesService({ store });
    const rounds: { reduce: number; validate: number; serialise: number; bytes: number }[] = [];
    for (let i = 0; i < 4; i++) {
      let t = performance.now();
      const result = svc.series({ runIds, x: 'step', maxPoints: 1280 });
      const reduce = performance.now() - t;
      t = performance.now();
      const checked = methods['compare.series'].output.parse(result);
      const validate = performance.now() - t;
      t = performance.now();
      const text = JSON.stringify({ ok: true, result: checked });
      rounds.push({ reduce, validate, serialise: performance.now() - t, bytes: Buffer.byteLength(text) });
    }
    const [first, ...rest] = rounds;
    const med = (k: 'reduce' | 'validate' | 'serialise') => ms(median(rest.map((r) => r[k])));
    return {
      first: { reduce: ms(first!.reduce), validate: ms(first!.validate), serialise: ms(first!.serialise) },
      warm_median: { reduce: med('reduce'), validate: med('validate'), serialise: med('serialise') },
      answer_bytes: first!.bytes,
    };
  } finally {
    store.close();
  }
}

/**
 * The checkpoint comparison in the page, from setting the route until the per-class table,
 * the significance line and the first tiles are drawn; with its parts: the compare.checkpoints
 * answer as the page's fetch saw it (request to last byte), and the rest (parse, render).
 */
export async function benchCheckpointPage(page: Page, ckpts: number[]): Promise<Record<string, unknown>> {
  const runs: Record<string, number>[] = [];
  for (let i = 0; i < 3; i++) {
    await page.evaluate(() => {
      window.location.hash = '#/models';
      performance.clearResourceTimings();
    });
    await page.getByTestId('view-models').waitFor();
    // Measured in the page, frame by frame: from setting the route until the per-class table,
    // the significance line and the first tile are there, and one more frame is drawn.
    const r = await page.evaluate(async (hash) => {
      const s = performance.now();
      window.location.hash = hash;
      let shownAt = NaN;
      while (performance.now() - s < 60_000 && Number.isNaN(shownAt)) {
        await new Promise((res) => requestAnimationFrame(() => res(null)));
        const ready =
          document.querySelector('[data-testid=significance]') &&
          document.querySelectorAll('[data-testid=per-class] tbody tr').length >= 10 &&
          document.querySelector('[data-testid=disagreement-tile]');
        if (ready) shownAt = performance.now() - s;
      }
      await new Promise((res) => requestAnimationFrame(() => res(null)));
      const e = performance.getEntriesByType('resource').find((x) => x.name.includes('compare.checkpoints')) as PerformanceResourceTiming | undefined;
      return {
        open: performance.now() - s,
        shownAt,
        requestAt: e ? e.startTime - s : NaN,
        answeredAt: e ? e.responseEnd - s : NaN,
        bytes: e?.encodedBodySize ?? NaN,
        tiles: document.querySelectorAll('[data-testid=disagreement-tile]').length,
      };
    }, `#/compare-checkpoints?ids=${ckpts.join(',')}`);
    runs.push({ open_ms: r.open, fetch_ms: r.answeredAt - r.requestAt, requested_at: r.requestAt, render_ms: r.open - r.answeredAt, answer_bytes: r.bytes, tiles_in_dom: r.tiles });
  }
  const med = (k: string) => ms(median(runs.map((r) => r[k]!)));
  return {
    each_open_ms: runs.map((r) => ms(r.open_ms!)),
    open_ms: med('open_ms'),
    request_sent_after_ms: med('requested_at'),
    fetch_ms: med('fetch_ms'),
    parse_and_render_after_answer_ms: med('render_ms'),
    answer_bytes: runs[0]!.answer_bytes,
    tiles_in_dom: runs[0]!.tiles_in_dom,
    opens: runs.length,
    load: load(),
    target_ms: 1000,
    note: 'in the page, median of 3 opens from setting #/compare-checkpoints until the per-class table, significance line and first tiles are drawn plus one frame (stored evaluations, serve mode); fetch = compare.checkpoints request to last byte',
  };
}

/**
 * The hyperparameter view over 5,000 runs: from opening it until every line is drawn; a
 * brush drag (time per pointer move until the next frame); and from releasing the brush
 * until the runs table has reloaded and the lines are redrawn with the kept ones.
 */
export async function benchHyperparameterPage(page: Page): Promise<Record<string, unknown>> {
  await page.evaluate(() => {
    window.location.hash = '#/table';
  });
  // From the runs table, loaded and idle (as the compare chart above starts).
  await page.getByTestId('run-total').filter({ hasText: /^\d+ runs$/ }).waitFor();
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(1000);
  // Measured in the page, frame by frame: from the click until both canvases are drawn.
  const opened = await page.evaluate(async () => {
    performance.clearResourceTimings();
    const s = performance.now();
    (document.querySelector('[data-testid=hyperparameters-toggle]') as HTMLElement).click();
    let drawnAt = NaN;
    while (performance.now() - s < 60_000 && Number.isNaN(drawnAt)) {
      await new Promise((r) => requestAnimationFrame(() => r(null)));
      const lines = document.querySelector('[data-testid=hp-lines]');
      const points = document.querySelector('[data-testid=hp-scatter-points]');
      if (lines?.getAttribute('data-drawn') === '5000' && points && points.getAttribute('data-drawn') !== '0') drawnAt = performance.now() - s;
    }
    const e = performance.getEntriesByType('resource').find((x) => x.name.includes('runs.values')) as PerformanceResourceTiming | undefined;
    return { drawnAt, requestAt: e ? e.startTime - s : NaN, answeredAt: e ? e.responseEnd - s : NaN, drawMs: Number(document.querySelector('[data-testid=hp-lines]')?.getAttribute('data-draw-ms')) };
  });
  const axes = await page.getByTestId('parallel-axis').evaluateAll((els) => els.map((e) => e.getAttribute('data-field')));
  const brushed = axes.includes('lr') ? 'lr' : axes[0];
  const hit = page.locator(`[data-testid=parallel-axis][data-field="${brushed}"] [data-testid=hp-axis-hit]`);
  const box = (await hit.boundingBox())!;
  const keptBefore = await page.getByTestId('hp-lines').getAttribute('data-kept');
  const totalBefore = (await page.getByTestId('run-total').textContent()) ?? '';
  // A drag down the top 40% of the first axis, one pointer move per frame.
  const drag = await page.evaluate(
    async ({ x, top, height, keptBefore, totalBefore }) => {
      const target = document.elementFromPoint(x, top + 2)!;
      const svg = target.closest('svg')!;
      // (No helper functions in here: the bench's TypeScript loader would name them with a helper the page lacks.)
      const base = { clientX: x, bubbles: true, pointerId: 1, isPrimary: true, button: 0, buttons: 1 };
      target.dispatchEvent(new PointerEvent('pointerdown', { ...base, clientY: top + 2 }));
      const per: number[] = [];
      for (let i = 1; i <= 30; i++) {
        const s = performance.now();
        svg.dispatchEvent(new PointerEvent('pointermove', { ...base, clientY: top + 2 + (i * height * 0.4) / 30 }));
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        per.push(performance.now() - s);
      }
      const released = performance.now();
      svg.dispatchEvent(new PointerEvent('pointerup', { ...base, clientY: top + 2 + height * 0.4 }));
      // Frame by frame until the lines are redrawn with the kept runs, then until the table shows its new total.
      const lines = document.querySelector('[data-testid=hp-lines]')!;
      const total = document.querySelector('[data-testid=run-total]')!;
      let linesAt = NaN;
      let tableAt = NaN;
      while (performance.now() - released < 30_000 && Number.isNaN(tableAt)) {
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        if (Number.isNaN(linesAt) && lines.getAttribute('data-kept') !== keptBefore) linesAt = performance.now() - released;
        if (!Number.isNaN(linesAt) && total.textContent !== totalBefore) tableAt = performance.now() - released;
      }
      per.sort((a, b) => a - b);
      const queries = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter((e) => e.name.includes('runs.query') && e.startTime >= released);
      const query = queries.map((e) => ({ requestedAt: e.startTime - released, answeredAt: e.responseEnd - released }));
      return { median: per[15]!, p95: per[28]!, max: per[29]!, linesAt, tableAt, query };
    },
    { x: box.x + box.width / 2, top: box.y, height: box.height, keptBefore, totalBefore },
  );
  const kept = await page.getByTestId('hp-lines').getAttribute('data-kept');
  const tableAfter = await page.getByTestId('run-total').textContent();
  await page.getByTestId('hp-clear').click();
  await page.getByTestId('run-total').filter({ hasText: new RegExp(`^${totalBefore}$`) }).waitFor();
  await page.waitForTimeout(500);
  // The same brush with the real mouse; the page notes when the button is released and when
  // the lines and the table's total change (observers, no polling).
  await page.evaluate(() => {
    const w = window as unknown as { brushTimes: Record<string, number> };
    w.brushTimes = {};
    document.addEventListener('pointerup', () => (w.brushTimes.up ??= performance.now()), { capture: true, once: true });
    const lines = document.querySelector('[data-testid=hp-lines]')!;
    new MutationObserver(() => (w.brushTimes.lines ??= performance.now())).observe(lines, { attributeFilter: ['data-kept'] });
    new MutationObserver(() => (w.brushTimes.table ??= performance.now())).observe(document.querySelector('[data-testid=run-total]')!, { childList: true, characterData: true, subtree: true });
  });
  await page.mouse.move(box.x + box.width / 2, box.y + 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.4, { steps: 8 });
  await page.mouse.up();
  await page.getByTestId('run-total').filter({ hasNotText: new RegExp(`^${totalBefore}$`) }).waitFor({ timeout: 30_000 });
  const mouse = await page.evaluate(
    () =>
      new Promise<Record<string, number>>((r) =>
        requestAnimationFrame(() => {
          const t = (window as unknown as { brushTimes: Record<string, number> }).brushTimes;
          r({ lines: t.lines! - t.up!, table: t.table! - t.up! });
        }),
      ),
  );
  await page.getByTestId('hp-clear').click();
  return {
    open_and_draw_ms: ms(opened.drawnAt),
    runs_values_requested_at_ms: ms(opened.requestAt),
    runs_values_answered_at_ms: ms(opened.answeredAt),
    canvas_draw_ms: opened.drawMs,
    brush_drag_frame_ms: { median: ms(drag.median), p95: ms(drag.p95), max: ms(drag.max) },
    brush_release_to_lines_redrawn_ms: ms(drag.linesAt),
    brush_release_to_table_reloaded_ms: ms(drag.tableAt),
    real_mouse_release_to_lines_ms: ms(mouse.lines!),
    real_mouse_release_to_table_ms: ms(mouse.table!),
    table_runs_query_after_release_ms: drag.query.map((q) => ({ requested: ms(q.requestedAt), answered: ms(q.answeredAt) })),
    axes,
    brushed_axis: brushed,
    kept_after_brush: Number(kept),
    table_after_brush: tableAfter,
    load: load(),
    target_ms: 200,
    note: 'open: in the page, from clicking Hyperparameters until all 5,000 lines and the scatter are drawn (runs.values request and answer times from the click; canvas_draw_ms: drawing both canvases); drag: pointer move to next frame; release (synthetic pointer events, polled each frame; and the same brush with the real mouse, seen by observers): until the lines are redrawn with the kept runs, and until the runs table shows its new total',
  };
}

export async function benchCompare(): Promise<Record<string, unknown>> {
  const tmp = makeTempDir('snca-bench-compare-');
  const out: Record<string, unknown> = {};
  try {
    const store = openStore(join(tmp.dir, 'snca.db'));
    let longIds: string[];
    let ckpts: number[];
    try {
      let t = performance.now();
      seedTableRuns(store, 5000);
      console.error(`bench: seeded 5,000 runs in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      out.runs_table_query_5000_runs_ms = benchRunTable(store);

      ckpts = await seedEvaluations(store, tmp.dir, 10_000, 30);
      const cmpTimes: number[] = [];
      for (let i = 0; i < 3; i++) {
        // A new service each time: the per-sample files are read cold (no parse cache).
        const svc = new CheckpointCompareService({ store, home: tmp.dir, datasetIdOf: () => '00112233445566ff', evaluate: async (req) => store.evaluations.get(store.evaluations.listByRun('ckpt-run').find((e) => e.checkpointId === req.checkpointId)!.id)! });
        const c0 = performance.now();
        const r = await svc.compare(CompareCheckpointsInputSchema.parse({ checkpointIds: ckpts, k: 30 }));
        cmpTimes.push(performance.now() - c0);
        if (!r.ready) throw new Error(`bench comparison not ready: ${r.problem}`);
      }
      out.checkpoint_comparison_10000_images_ms = { median: ms(median(cmpTimes)), target: 1000, note: 'main side, compare.checkpoints on stored evaluations, files read cold' };

      t = performance.now();
      longIds = seedLongRuns(store, 50, 100_000);
      console.error(`bench: seeded 50 × 100,000 points in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    } finally {
      store.close();
    }
    out.compare_series_main_side_ms = seriesMainSide(join(tmp.dir, 'snca.db'), longIds);

    const skip = e2eSkipReason();
    if (skip) {
      out.chromium = { skipped: skip };
      return out;
    }
    ensureRendererBuilt();
    const serve = await startServeMode({ env: { SNCA_HOME: tmp.dir } });
    const browser = await launchChromium();
    try {
      const { page, context } = await openApp(browser, serve.appUrl);
      await page.getByTestId('view-runs').waitFor({ timeout: 60_000 });
      // Compare starts from the runs table (where runs are picked), loaded and idle: the runs
      // list of 5,050 runs, still loading or being torn down, would otherwise hold the server
      // and the page for seconds, which is that view's cost, not the comparison's.
      await page.waitForLoadState('networkidle');
      await page.evaluate(() => {
        window.location.hash = '#/table';
      });
      await page.getByTestId('run-total').waitFor({ timeout: 60_000 });
      await page.waitForTimeout(1000);
      // The bench runs under tsx, whose transform wraps named functions in __name(...); functions
      // handed to page.evaluate carry that call into the page, which has no such helper.
      await page.evaluate('globalThis.__name = (fn) => fn');
      const t0 = Date.now();
      await page.evaluate((hash) => {
        performance.mark('compare:hash-set');
        window.location.hash = hash;
      }, `#/compare?runs=${longIds.join(',')}`);
      await page.locator('[data-testid=compare-chart][data-metric=loss][data-drawn="50"][data-plotted=true]').waitFor({ timeout: 60_000 });
      // The canvas is drawn in the frame after the data lands.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
      const firstDraw = Date.now() - t0;
      const points = Number(await page.locator('[data-testid=compare-chart][data-metric=loss]').getAttribute('data-points'));
      // The page's own marks (compare-runs store, CompareChart) and the request's resource timing, from the request on.
      // (No helper functions in here: the bundler would wrap them with a helper the page lacks.)
      const stages = await page.evaluate(() => {
        const marks: Record<string, number> = {};
        for (const m of performance.getEntriesByType('mark')) marks[m.name] ??= m.startTime;
        const start = marks['compare:series-request'] ?? Number.NaN;
        const res = performance.getEntriesByType('resource').find((r) => r.name.includes('/api/compare.series')) as PerformanceResourceTiming | undefined;
        return {
          in_page_route_to_drawn: Math.round((marks['compare:drawn:loss'] ?? Number.NaN) - (marks['compare:hash-set'] ?? Number.NaN)),
          hash_to_request: Math.round(start - (marks['compare:hash-set'] ?? Number.NaN)),
          server_answer_starts: res ? Math.round(res.responseStart - start) : null,
          answer_received: res ? Math.round(res.responseEnd - start) : null,
          answer_parsed_and_checked: Math.round((marks['compare:series-answer'] ?? Number.NaN) - start),
          chart_columns_ready: Math.round((marks['compare:series-columns'] ?? Number.NaN) - start),
          chart_drawn: Math.round((marks['compare:drawn:loss'] ?? Number.NaN) - start),
          answer_bytes_on_wire: res?.encodedBodySize ?? null,
        };
      });
      const hover = await page.evaluate(() => {
        const over = document.querySelector('[data-metric=loss] .u-over') as HTMLElement;
        const box = over.getBoundingClientRect();
        const per: number[] = [];
        for (let i = 0; i < 60; i++) {
          const x = box.left + ((i * 37) % Math.floor(box.width));
          const s = performance.now();
          over.dispatchEvent(new MouseEvent('mousemove', { clientX: x, clientY: box.top + box.height / 2, bubbles: true }));
          // The legend (every run's value at x) is updated synchronously by uPlot; force layout to count rendering.
          void document.querySelector('[data-metric=loss] .u-legend')!.getBoundingClientRect();
          per.push(performance.now() - s);
        }
        per.sort((a, b) => a - b);
        return { median: per[30]!, p95: per[57]!, max: per[59]! };
      });
      out.compare_50_runs_x_100000_points = {
        fetch_and_first_draw_ms: firstDraw,
        target_ms: 500,
        x_values_drawn: points,
        note: 'from setting #/compare in the idle runs table until the test sees the loss chart with all 50 curves, and one more frame (includes the harness noticing it: compare stages.in_page_route_to_drawn, timed in the page)',
        stages_ms_from_request: stages,
      };
      out.hover_readout_ms_per_move = { median: ms(hover.median), p95: ms(hover.p95), max: ms(hover.max), target: 16 };

      out.checkpoint_comparison_10000_images_in_browser_ms = await benchCheckpointPage(page, ckpts);
      out.hyperparameters_5000_runs_in_browser_ms = await benchHyperparameterPage(page);
      await context.close();
    } finally {
      await browser.close();
      await serve.stop();
    }
    return out;
  } finally {
    tmp.cleanup();
  }
}
