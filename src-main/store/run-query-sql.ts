/**
 * Compiles a parsed runs query (shared/run-query.ts) into SQL over `runs AS r` joined with
 * `run_config_fields AS rc` (RUN_TABLE_FROM). Every value the user typed travels as a bound
 * parameter; the only text put into the SQL comes from the field registry (column names,
 * config paths, the best/last column of metric_summary).
 *
 * Shaped for the indexes: config fields are plain columns of rc (no JSON parsing per row),
 * a tag is a lookup in run_tags, and a metric condition that only has to be true (outside
 * any `not`) is `r.id IN (runs whose summary matches)`, answered by metric_summary's
 * (key, value) indexes instead of one summary lookup per run.
 */
import type { QueryExpr, QueryValue } from '../../shared/run-query.ts';
import { LOWER_IS_BETTER, type QueryField, type RunColumnField } from '../../shared/run-query-fields.ts';
import { RUN_CONFIG_FIELD_COLUMNS } from './migrations/0010-run-table-side-tables.ts';

/** The join that gives `runs AS r` its config fields (LEFT: SQLite leaves it out of statements that read none). */
export const CONFIG_FIELDS_JOIN = 'LEFT JOIN run_config_fields AS rc ON rc.run = r.id';
/** The FROM clause every compiled fragment is written against. */
export const RUN_TABLE_FROM = `runs AS r ${CONFIG_FIELDS_JOIN}`;
const CONFIG_COLUMNS = new Set(RUN_CONFIG_FIELD_COLUMNS);

export type SqlParam = string | number;

export interface SqlFragment {
  sql: string;
  params: SqlParam[];
}

const COLUMN_SQL: Record<RunColumnField, string> = {
  id: 'r.id',
  name: 'r.name',
  status: 'r.status',
  preset: 'r.preset',
  arch: 'r.arch',
  dataset: 'r.dataset_kind',
  backend: 'r.backend',
  device: 'r.device',
  created: 'r.created_at',
  started: 'r.started_at',
  ended: 'r.ended_at',
  epochs: 'r.epochs',
  epochs_done: 'r.epochs_done',
};

/** The metric_summary column holding a summary of a key. */
export function summaryColumn(key: string, aggregate: 'best' | 'last' | 'best_epoch'): string {
  if (aggregate === 'last') return 'last_value';
  const lower = LOWER_IS_BETTER.includes(key);
  if (aggregate === 'best') return lower ? 'min_value' : 'max_value';
  return lower ? 'min_epoch' : 'max_epoch';
}

/** The SQL expression of a field (a value per run row). */
export function fieldSql(field: QueryField): SqlFragment {
  switch (field.kind) {
    case 'column':
      return { sql: COLUMN_SQL[field.name], params: [] };
    case 'config':
      // Paths come from the registry (letters, digits and dots), never from the user.
      return CONFIG_COLUMNS.has(field.path) ? { sql: `rc."${field.path}"`, params: [] } : { sql: 'json_extract(r.config, ?)', params: [`$.${field.path}`] };
    case 'metric':
      return {
        sql: `(SELECT ms.${summaryColumn(field.key, field.aggregate)} FROM metric_summary AS ms WHERE ms.run = r.id AND ms.key = ?)`,
        params: [field.key],
      };
  }
}

function literal(v: QueryValue): SqlParam {
  switch (v.type) {
    case 'number':
      return v.value;
    case 'text':
      return v.value;
    case 'boolean':
      return v.value ? 1 : 0;
    case 'date':
      return v.from;
  }
}

/** `x ~ v`: case-insensitive substring, without LIKE's wildcards. */
function containsSql(expr: SqlFragment, v: string): SqlFragment {
  return { sql: `instr(lower(${expr.sql}), lower(?)) > 0`, params: [...expr.params, v] };
}

function dateSql(expr: SqlFragment, op: string, v: Extract<QueryValue, { type: 'date' }>): SqlFragment {
  // ISO-8601 UTC text sorts chronologically. A day is the range [from, to).
  const e = expr.sql;
  const p = expr.params;
  switch (op) {
    case '=':
      return v.from === v.to ? { sql: `${e} = ?`, params: [...p, v.from] } : { sql: `(${e} >= ? AND ${e} < ?)`, params: [...p, v.from, ...p, v.to] };
    case '!=':
      return v.from === v.to ? { sql: `${e} != ?`, params: [...p, v.from] } : { sql: `(${e} < ? OR ${e} >= ?)`, params: [...p, v.from, ...p, v.to] };
    case '<':
      return { sql: `${e} < ?`, params: [...p, v.from] };
    case '<=':
      return { sql: `${e} < ?`, params: [...p, v.from === v.to ? v.from : v.to] };
    case '>':
      return v.from === v.to ? { sql: `${e} > ?`, params: [...p, v.from] } : { sql: `${e} >= ?`, params: [...p, v.to] };
    default:
      return { sql: `${e} >= ?`, params: [...p, v.from] };
  }
}

/**
 * `truthOnly`: only whether the condition is true matters (the WHERE clause, through AND and
 * OR); under `not`, false and unknown (NULL, the run has no value) must stay apart.
 */
export function compileRunQuery(expr: QueryExpr, truthOnly = true): SqlFragment {
  switch (expr.kind) {
    case 'and':
    case 'or': {
      const l = compileRunQuery(expr.left, truthOnly);
      const r = compileRunQuery(expr.right, truthOnly);
      return { sql: `(${l.sql} ${expr.kind.toUpperCase()} ${r.sql})`, params: [...l.params, ...r.params] };
    }
    case 'not': {
      const e = compileRunQuery(expr.expr, false);
      // A run without the value (NULL) is neither matched by a condition nor by its negation.
      return { sql: `(NOT coalesce(${e.sql}, 1))`, params: e.params };
    }
    case 'tag': {
      // run_tags.tag is COLLATE NOCASE: the comparison and its index ignore case.
      const tagged = 'r.id IN (SELECT t.run FROM run_tags AS t WHERE t.tag = ?)';
      return { sql: expr.op === '=' ? tagged : `NOT ${tagged}`, params: [expr.tag] };
    }
    case 'compare': {
      const f = fieldSql(expr.field);
      const v = expr.value;
      if (v.type === 'date') return dateSql(f, expr.op, v);
      if (expr.op === '~') return containsSql(f, String(literal(v)));
      const collate = v.type === 'text' ? ' COLLATE NOCASE' : '';
      if (truthOnly && expr.field.kind === 'metric') {
        // True exactly when the correlated form is true; a run without the metric is simply not in the set.
        const col = summaryColumn(expr.field.key, expr.field.aggregate);
        return {
          sql: `r.id IN (SELECT ms.run FROM metric_summary AS ms WHERE ms.key = ? AND ms.${col} ${expr.op} ?${collate})`,
          params: [expr.field.key, literal(v)],
        };
      }
      return { sql: `${f.sql} ${expr.op} ?${collate}`, params: [...f.params, literal(v)] };
    }
  }
}
