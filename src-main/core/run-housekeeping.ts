/**
 * Run housekeeping: rename, tags and notes, delete (rows and the run's folder), export of
 * config + metrics (CSV or JSON) and disk usage per run. Status changes stay with the
 * scheduler: deleting is refused while a run is queued or running.
 */
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '../../shared/api-error.ts';
import type { RunSummary } from '../../shared/domain.ts';
import type { Store } from '../store/store.ts';
import type { DataPaths } from './data-home.ts';
import type { EventBus } from './event-bus.ts';
import { summarizeRun } from './run-summaries.ts';
import { csvCell } from '../../shared/csv-cell.ts';

export interface RunHousekeepingDeps {
  store: Store;
  bus: EventBus;
  paths: DataPaths;
}

export interface RunUpdate {
  id: string;
  name?: string;
  tags?: readonly string[];
  notes?: string;
}

export interface RunExport {
  filename: string;
  mediaType: string;
  content: string;
}

export class RunHousekeeping {
  constructor(private readonly deps: RunHousekeepingDeps) {}

  update(u: RunUpdate): RunSummary {
    const { store, bus } = this.deps;
    const tags = u.tags ? [...new Set(u.tags.map((t) => t.trim()).filter((t) => t.length > 0))] : undefined;
    const ok = store.runs.updateDetails(u.id, {
      ...(u.name !== undefined ? { name: u.name.trim() } : {}),
      ...(tags ? { tags } : {}),
      ...(u.notes !== undefined ? { notes: u.notes } : {}),
    });
    if (!ok) throw ApiError.notFound(`Run ${u.id}`);
    const s = this.summary(u.id);
    bus.emit('run.changed', s);
    return s;
  }

  /** Deletes an ended run's rows (cascading to metrics, logs, checkpoints, evaluations) and its folder. */
  delete(id: string): { id: string; deleted: boolean; bytesFreed: number } {
    const { store, bus, paths } = this.deps;
    const r = store.runs.get(id);
    if (!r) throw ApiError.notFound(`Run ${id}`);
    if (r.status === 'queued' || r.status === 'running') {
      throw new ApiError('conflict', `Run ${id} is ${r.status}; cancel it (or remove it from the queue) before deleting it.`);
    }
    if (!store.runs.deleteEnded(id)) throw new ApiError('conflict', `Run ${id} was restarted meanwhile; it was not deleted.`);
    const dir = paths.runDir(id);
    const bytesFreed = folderBytes(dir);
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      throw new ApiError('internal', `Run ${id} was deleted from the database but its folder ${dir} could not be removed: ${err instanceof Error ? err.message : String(err)}`);
    }
    bus.emit('run.removed', { id });
    return { id, deleted: true, bytesFreed };
  }

  export(id: string, format: 'csv' | 'json'): RunExport {
    const { store } = this.deps;
    const summary = this.summary(id);
    const configJson = store.runs.configJson(id) ?? '{}';
    const config = JSON.parse(configJson) as unknown;
    const rows = store.db
      .prepare('SELECT key, step, epoch, value, wall_time FROM metrics WHERE run = ? ORDER BY key, step, rowid')
      .raw()
      .all(id) as [string, number, number, number, number][];
    if (format === 'json') {
      const metrics = rows.map(([key, step, epoch, value, wallTime]) => ({ key, step, epoch, value, wallTime }));
      const { metrics: last, ...run } = summary;
      return {
        filename: `${id}.json`,
        mediaType: 'application/json',
        content: `${JSON.stringify({ run: { ...run, lastMetrics: last }, config, metrics }, null, 2)}\n`,
      };
    }
    const lines = ['kind,key,step,epoch,value,wall_time'];
    for (const [path, value] of flatten(config)) lines.push(['config', csvCell(path), '', '', csvCell(value), ''].join(','));
    for (const [key, step, epoch, value, wallTime] of rows) lines.push(['metric', csvCell(key), step, epoch, value, wallTime].join(','));
    return { filename: `${id}.csv`, mediaType: 'text/csv', content: `${lines.join('\n')}\n` };
  }

  /** Bytes on disk of each known run among `ids` (unknown ones are left out). */
  diskUsage(ids: readonly string[]): { id: string; bytes: number }[] {
    const { store, paths } = this.deps;
    return [...new Set(ids)].filter((id) => store.runs.get(id)).map((id) => ({ id, bytes: folderBytes(paths.runDir(id)) }));
  }

  private summary(id: string): RunSummary {
    const s = summarizeRun(this.deps.store, id);
    if (!s) throw ApiError.notFound(`Run ${id}`);
    return s;
  }
}

/** Bytes of regular files below `dir` (0 when it does not exist); symlinks are not followed. */
export function folderBytes(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += folderBytes(p);
    else if (e.isFile()) {
      try {
        total += lstatSync(p).size;
      } catch {
        // vanished meanwhile
      }
    }
  }
  return total;
}

/** Leaves of a JSON value as [dotted path, text] pairs. */
function flatten(value: unknown, prefix = ''): [string, string][] {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length === 0) return [[prefix, Array.isArray(value) ? '[]' : '{}']];
    return entries.flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
  }
  return [[prefix, value === null ? 'null' : String(value)]];
}
