/**
 * The runs table on the SQL side: filter (a compiled runs query), sort by any field, and
 * read the chosen columns for one page of runs. Sorting and filtering happen in SQLite so
 * that 5,000 runs cost a few indexed statements, not a transfer of every run to the renderer.
 *
 * A page is read in two steps: the ordered ids of the page (only the sort keys are computed
 * for every matching run), then the chosen columns of those ids alone. Sorting by a metric
 * walks metric_summary's (key, value) index in order and stops after the page; the runs
 * without that metric follow, newest first.
 */
import type { QueryExpr } from '../../shared/run-query.ts';
import type { QueryField } from '../../shared/run-query-fields.ts';
import type { Db } from './migrator.ts';
import { compileRunQuery, CONFIG_FIELDS_JOIN, fieldSql, RUN_TABLE_FROM, summaryColumn, type SqlFragment, type SqlParam } from './run-query-sql.ts';

export interface RunTableSort {
  field: QueryField;
  descending: boolean;
}

export interface RunTableQuery {
  where: QueryExpr | null;
  sort: readonly RunTableSort[];
  columns: readonly QueryField[];
  offset: number;
  limit: number;
}

export type CellValue = string | number | null;

export interface RunTablePage {
  /** Runs matching the filter (all pages). */
  total: number;
  /** The page, in order: run id and one value per requested column. */
  rows: { id: string; values: CellValue[] }[];
}

/** The newest-first tie-break every order ends with (runs_by_created's order). */
const TIE_BREAK = ['r.created_at DESC', 'r.id DESC'];

function orderOf(sorts: readonly RunTableSort[]): SqlFragment {
  const keys = sorts.map((s) => ({ ...fieldSql(s.field), dir: s.descending ? 'DESC' : 'ASC' }));
  return { sql: [...keys.map((k) => `${k.sql} ${k.dir} NULLS LAST`), ...TIE_BREAK].join(', '), params: keys.flatMap((k) => k.params) };
}

/** `runs AS r`, joined with its config fields only when a fragment reads them. */
function fromFor(...fragments: SqlFragment[]): string {
  return fragments.some((f) => f.sql.includes('rc.')) ? RUN_TABLE_FROM : 'runs AS r';
}

/**
 * One page of all runs in order. Sorted by a metric: the runs with it walk metric_summary's
 * (key, value) index and stop after the page (its rows hold no NULLs), then the runs
 * without it follow.
 */
function unfilteredPage(db: Db, sorts: readonly RunTableSort[], page: { offset: number; limit: number; total: number }): string[] {
  const { offset, limit, total } = page;
  const [first, ...rest] = sorts;
  if (!first || first.field.kind !== 'metric') {
    const order = orderOf(sorts);
    return db
      .prepare(`SELECT r.id FROM ${fromFor(order)} ORDER BY ${order.sql} LIMIT ? OFFSET ?`)
      .pluck()
      .all(...order.params, limit, offset) as string[];
  }
  const col = `s.${summaryColumn(first.field.key, first.field.aggregate)}`;
  const restOrder = orderOf(rest);
  const from = fromFor(restOrder);
  const rcJoin = from === RUN_TABLE_FROM ? CONFIG_FIELDS_JOIN : '';
  const ids = db
    .prepare(
      `SELECT r.id FROM metric_summary AS s JOIN runs AS r ON r.id = s.run ${rcJoin} WHERE s.key = ?
       ORDER BY ${col} ${first.descending ? 'DESC' : 'ASC'}, ${restOrder.sql} LIMIT ? OFFSET ?`,
    )
    .pluck()
    .all(first.field.key, ...restOrder.params, limit, offset) as string[];
  if (ids.length === limit) return ids;
  // The page reached the end of the runs with the metric: their count is known unless the page started past it.
  const withCount =
    ids.length > 0 || offset === 0 ? offset + ids.length : (db.prepare('SELECT count(*) FROM metric_summary WHERE key = ?').pluck().get(first.field.key) as number);
  if (withCount >= total) return ids;
  const without = db
    .prepare(`SELECT r.id FROM ${from} WHERE r.id NOT IN (SELECT run FROM metric_summary WHERE key = ?) ORDER BY ${restOrder.sql} LIMIT ? OFFSET ?`)
    .pluck()
    .all(first.field.key, ...restOrder.params, limit - ids.length, Math.max(0, offset - withCount)) as string[];
  return [...ids, ...without];
}

/**
 * The fields whose value is not the same for every run `where` matches: a field varies when
 * its smallest and largest values differ, or when some runs have it and some do not (one
 * aggregate pass, however many fields).
 */
export function varyingFields(db: Db, where: QueryExpr | null, fields: readonly QueryField[]): QueryField[] {
  if (fields.length === 0) return [];
  const w = where ? compileRunQuery(where) : { sql: '1', params: [] };
  const exprs = fields.map(fieldSql);
  const aggregates = exprs.map((e) => `min(${e.sql}) IS NOT max(${e.sql}) OR count(${e.sql}) BETWEEN 1 AND count(*) - 1`);
  const params = [...exprs.flatMap((e) => [...e.params, ...e.params, ...e.params]), ...w.params];
  const row = db.prepare(`SELECT ${aggregates.join(', ')} FROM ${fromFor(w, ...exprs)} WHERE ${w.sql}`).raw().get(...params) as unknown[];
  return fields.filter((_, i) => row[i] === 1);
}

/** The first `limit` matching runs, newest first, with their columns: one statement, for a whole sweep. */
export function queryRunValues(db: Db, where: QueryExpr | null, columns: readonly QueryField[], limit: number): RunTablePage {
  const w = where ? compileRunQuery(where) : { sql: '1', params: [] };
  const cols = columns.map(fieldSql);
  const select = ['r.id', ...cols.map((c) => c.sql)].join(', ');
  const raw = db
    .prepare(`SELECT ${select} FROM ${fromFor(w, ...cols)} WHERE ${w.sql} ORDER BY ${TIE_BREAK.join(', ')} LIMIT ?`)
    .raw()
    .all(...cols.flatMap((c) => c.params), ...w.params, limit) as unknown[][];
  const total = raw.length < limit ? raw.length : (db.prepare(`SELECT count(*) FROM ${fromFor(w)} WHERE ${w.sql}`).pluck().get(...w.params) as number);
  return { total, rows: raw.map((row) => ({ id: String(row[0]), values: row.slice(1).map(cell) })) };
}

function cell(v: unknown): CellValue {
  return typeof v === 'number' || typeof v === 'string' ? v : typeof v === 'bigint' ? Number(v) : null;
}

/**
 * The ordered ids of the page and the total. Without a filter the total is a count of the
 * table and the page comes from an ordered, limited scan; with one, the filter is evaluated
 * once, for one statement giving every matching id in order (the total is their number).
 */
function idsAndTotal(db: Db, where: QueryExpr | null, sorts: readonly RunTableSort[], offset: number, limit: number): { ids: string[]; total: number } {
  if (!where) {
    const total = db.prepare('SELECT count(*) FROM runs').pluck().get() as number;
    return { ids: unfilteredPage(db, sorts, { offset, limit, total }), total };
  }
  const w = compileRunQuery(where);
  const order = orderOf(sorts);
  const all = db.prepare(`SELECT r.id FROM ${fromFor(w, order)} WHERE ${w.sql} ORDER BY ${order.sql}`).pluck().all(...w.params, ...order.params) as string[];
  return { ids: all.slice(offset, offset + limit), total: all.length };
}

export function queryRunTable(db: Db, q: RunTableQuery): RunTablePage {
  const { ids, total } = idsAndTotal(db, q.where, q.sort, q.offset, q.limit);
  if (q.columns.length === 0) return { total, rows: ids.map((id) => ({ id, values: [] })) };
  const cols = q.columns.map(fieldSql);
  const params: SqlParam[] = [...cols.flatMap((c) => c.params), JSON.stringify(ids)];
  const raw = db
    .prepare(`SELECT r.id, ${cols.map((c) => c.sql).join(', ')} FROM ${fromFor(...cols)} WHERE r.id IN (SELECT value FROM json_each(?))`)
    .raw()
    .all(...params) as unknown[][];
  const byId = new Map(raw.map((row) => [String(row[0]), row.slice(1).map(cell)]));
  // A run deleted between the statements is left out of the page.
  return { total, rows: ids.flatMap((id) => { const values = byId.get(id); return values ? [{ id, values }] : []; }) };
}
