/**
 * Pure merging of what the main side sends: run summaries into the list, live metric points
 * into downsampled series, log lines into a tail. Returns new objects (copy on write) so the
 * stores can keep them in shallow refs.
 */
import type { LogEntry, MetricPoint, MetricSeries, RunSummary } from '../../shared/domain.ts';
import { compareRunsNewestFirst } from '../../shared/runs-list.ts';

export function upsertRun(list: readonly RunSummary[], run: RunSummary): RunSummary[] {
  const i = list.findIndex((r) => r.id === run.id);
  const next = i === -1 ? [...list, run] : list.map((r, j) => (j === i ? run : r));
  if (i === -1 || list[i].createdAt !== run.createdAt) next.sort(compareRunsNewestFirst);
  return next;
}

/**
 * Of two snapshots of one run (a call's answer and an event that raced it), the newer: the
 * one with the larger change version, which every stored change raises. Status order says
 * nothing here: resume moves an ended run back to queued and reclaim moves an interrupted run
 * back to running. On equal versions the `fresh` one (the call's answer) wins.
 */
export function laterSnapshot(fresh: RunSummary, seen: RunSummary): RunSummary {
  return seen.version > fresh.version ? seen : fresh;
}

/** Merges a list answer with rows already known (from events that raced the call). */
export function mergeRunList(fresh: readonly RunSummary[], known: readonly RunSummary[]): RunSummary[] {
  const byId = new Map(known.map((r) => [r.id, r]));
  const out: RunSummary[] = fresh.map((r) => {
    const k = byId.get(r.id);
    return k ? laterSnapshot(r, k) : r;
  });
  const freshIds = new Set(fresh.map((r) => r.id));
  for (const r of known) if (!freshIds.has(r.id)) out.push(r);
  return out.sort(compareRunsNewestFirst);
}

export function emptySeries(key: string): MetricSeries {
  return { key, step: [], epoch: [], value: [] };
}

/** Index of the first element >= step (arrays are sorted by step). */
function lowerBound(steps: readonly number[], step: number): number {
  let lo = 0;
  let hi = steps.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (steps[mid] < step) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Merges points of one key into a series. A point whose step is already present replaces
 * that point's value (the same measurement seen twice: by the fetch and by an event), so a
 * series never holds two points of one step. Points past the end are appended (the usual case).
 */
export function mergeIntoSeries(series: MetricSeries, points: readonly MetricPoint[], wallOf?: (p: MetricPoint) => number): MetricSeries {
  if (points.length === 0) return series;
  const step = series.step.slice();
  const epoch = series.epoch.slice();
  const value = series.value.slice();
  // Series that carry wall time (compare.series) keep it for new points too.
  const wall = series.wall && wallOf ? series.wall.slice() : undefined;
  for (const p of points) {
    const n = step.length;
    if (n === 0 || p.step > step[n - 1]) {
      step.push(p.step);
      epoch.push(p.epoch);
      value.push(p.value);
      wall?.push(wallOf!(p));
      continue;
    }
    const i = lowerBound(step, p.step);
    if (step[i] === p.step) {
      epoch[i] = p.epoch;
      value[i] = p.value;
      if (wall) wall[i] = wallOf!(p);
    } else {
      step.splice(i, 0, p.step);
      epoch.splice(i, 0, p.epoch);
      value.splice(i, 0, p.value);
      wall?.splice(i, 0, wallOf!(p));
    }
  }
  return wall ? { key: series.key, step, epoch, value, wall } : { key: series.key, step, epoch, value };
}

/**
 * Halves the density of a series until it fits `maxPoints`, keeping the first and last points;
 * long live runs stay cheap to draw. Series within the bound are returned as they are.
 */
export function thinSeries(series: MetricSeries, maxPoints: number): MetricSeries {
  let s = series;
  while (s.step.length > Math.max(2, maxPoints)) {
    const keep = (_: number, i: number, arr: readonly number[]) => i % 2 === 0 || i === arr.length - 1;
    const next: MetricSeries = { key: s.key, step: s.step.filter(keep), epoch: s.epoch.filter(keep), value: s.value.filter(keep) };
    if (s.wall) next.wall = s.wall.filter(keep);
    s = next;
  }
  return s;
}

export type SeriesByKey = Readonly<Record<string, MetricSeries>>;

/** Merges a batch of points of any keys; untouched series keep their identity. */
export function mergeMetricPoints(
  byKey: SeriesByKey,
  points: readonly MetricPoint[],
  maxPoints = Number.POSITIVE_INFINITY,
  wallOf?: (p: MetricPoint) => number,
): Record<string, MetricSeries> {
  const grouped = new Map<string, MetricPoint[]>();
  for (const p of points) {
    const g = grouped.get(p.key);
    if (g) g.push(p);
    else grouped.set(p.key, [p]);
  }
  const next: Record<string, MetricSeries> = { ...byKey };
  for (const [key, pts] of grouped) {
    next[key] = thinSeries(mergeIntoSeries(byKey[key] ?? (wallOf ? { ...emptySeries(key), wall: [] } : emptySeries(key)), pts, wallOf), maxPoints);
  }
  return next;
}

export function seriesFromList(list: readonly MetricSeries[]): Record<string, MetricSeries> {
  const out: Record<string, MetricSeries> = {};
  for (const s of list) out[s.key] = s;
  return out;
}

export function lastValue(series: MetricSeries | undefined): number | undefined {
  if (!series || series.value.length === 0) return undefined;
  return series.value[series.value.length - 1];
}

/** Adds log lines by id (duplicates dropped), keeps id order and at most `cap` of the newest. */
export function appendLogs(existing: readonly LogEntry[], incoming: readonly LogEntry[], cap: number): LogEntry[] {
  if (incoming.length === 0) return existing.slice(-cap);
  const seen = new Set(existing.map((e) => e.id));
  const merged = existing.slice();
  let sorted = true;
  for (const e of incoming) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    if (merged.length && e.id < merged[merged.length - 1].id) sorted = false;
    merged.push(e);
  }
  if (!sorted) merged.sort((a, b) => a.id - b.id);
  return merged.length > cap ? merged.slice(merged.length - cap) : merged;
}
