/**
 * The runs table on the SQL side: filter (a compiled runs query), sort by any field, and
 * read the chosen columns for one page of runs. Sorting and filtering happen in SQLite so
 * that 5,000 runs cost one indexed query, not a transfer of every run to the renderer.
 */
import type { QueryExpr } from '../../shared/run-query.ts';
import type { QueryField } from '../../shared/run-query-fields.ts';
import type { Db } from './migrator.ts';
import { compileRunQuery, fieldSql, type SqlParam } from './run-query-sql.ts';

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

export function queryRunTable(db: Db, q: RunTableQuery): RunTablePage {
  const where = q.where ? compileRunQuery(q.where) : { sql: '1', params: [] };
  const cols = q.columns.map(fieldSql);
  const sorts = q.sort.map((s) => ({ ...fieldSql(s.field), dir: s.descending ? 'DESC' : 'ASC' }));
  const select = ['r.id', ...cols.map((c, i) => `${c.sql} AS c${i}`)].join(', ');
  const order = [...sorts.map((s) => `${s.sql} ${s.dir} NULLS LAST`), 'r.created_at DESC', 'r.id DESC'].join(', ');
  const params: SqlParam[] = [...cols.flatMap((c) => c.params), ...where.params, ...sorts.flatMap((s) => s.params), q.limit, q.offset];
  const raw = db
    .prepare(`SELECT ${select} FROM runs AS r WHERE ${where.sql} ORDER BY ${order} LIMIT ? OFFSET ?`)
    .raw()
    .all(...params) as unknown[][];
  const total = db.prepare(`SELECT count(*) FROM runs AS r WHERE ${where.sql}`).pluck().get(...where.params) as number;
  return {
    total,
    rows: raw.map((row) => ({
      id: String(row[0]),
      values: row.slice(1).map((v) => (typeof v === 'number' || typeof v === 'string' ? v : typeof v === 'bigint' ? Number(v) : null)),
    })),
  };
}
