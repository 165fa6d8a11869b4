/**
 * The runs table: parses the query and the field names of sort and columns (errors name
 * the input field, the column of the query and the closest valid names), then filters,
 * sorts and pages in SQL and returns each run's summary with the chosen values.
 */
import { ApiError } from '../../shared/api-error.ts';
import { parseRunQuery, RunQueryError, type QueryExpr } from '../../shared/run-query.ts';
import { fieldName, resolveField, suggestFields, type QueryField } from '../../shared/run-query-fields.ts';
import type { RunsQueryResult, RunsValuesResult } from '../../shared/run-table.ts';
import type { FieldIssue } from '../../shared/validation.ts';
import { queryRunTable, queryRunValues, varyingFields } from '../store/run-table-query.ts';
import type { Store } from '../store/store.ts';
import { summarizeRuns } from './run-summaries.ts';

export interface RunTableRequest {
  where: string;
  sort: { field: string; descending: boolean }[];
  columns: string[];
  offset: number;
  limit: number;
}

function fieldOrIssue(name: string, path: string, issues: FieldIssue[]): QueryField | undefined {
  const f = resolveField(name);
  if (!f) {
    const near = suggestFields(name);
    issues.push({ path, message: `unknown field ${JSON.stringify(name)}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}` });
  }
  return f;
}

const NAME_FIELD: QueryField = { kind: 'column', name: 'name', type: 'text' };

export class RunTableService {
  constructor(private readonly deps: { store: Store }) {}

  /** Parses a query, throwing invalid_input naming `where` and the query column. */
  parseWhere(where: string): QueryExpr | null {
    try {
      return parseRunQuery(where);
    } catch (err) {
      if (err instanceof RunQueryError) throw ApiError.invalidInput([{ path: 'where', message: err.message }], 'query');
      throw err;
    }
  }

  query(req: RunTableRequest): RunsQueryResult {
    const issues: FieldIssue[] = [];
    const sort = req.sort.map((s, i) => ({ field: fieldOrIssue(s.field, `sort[${i}].field`, issues), descending: s.descending }));
    const resolvedColumns = this.resolveColumns(req.columns, issues);
    const page = queryRunTable(this.deps.store.db, {
      where: this.parseWhere(req.where),
      sort: sort.flatMap((s) => (s.field ? [{ field: s.field, descending: s.descending }] : [])),
      columns: resolvedColumns,
      offset: req.offset,
      limit: req.limit,
    });
    const runs = summarizeRuns(this.deps.store, page.rows.map((r) => r.id));
    const rows = page.rows.flatMap((r) => {
      // A run deleted between the statements is simply left out of the page.
      const run = runs.get(r.id);
      return run ? [{ run, values: r.values }] : [];
    });
    return { total: page.total, columns: resolvedColumns.map(fieldName), rows };
  }

  /** Every matching run's id, name and columns (no summaries), newest first; `ifVarying` columns only where they vary. */
  values(req: { where: string; columns: string[]; ifVarying: string[]; limit: number }): RunsValuesResult {
    const issues: FieldIssue[] = [];
    const candidates = req.ifVarying.map((c, i) => fieldOrIssue(c, `ifVarying[${i}]`, issues));
    const always = this.resolveColumns(req.columns, issues);
    const where = this.parseWhere(req.where);
    const maybe = candidates.filter((c): c is QueryField => c !== undefined);
    const columns = [...always, ...varyingFields(this.deps.store.db, where, maybe)];
    const page = queryRunValues(this.deps.store.db, where, [NAME_FIELD, ...columns], req.limit);
    return {
      total: page.total,
      columns: columns.map(fieldName),
      runs: page.rows.map((r) => ({ id: r.id, name: String(r.values[0]), values: r.values.slice(1) })),
    };
  }

  /** Resolves column names; unknown ones are invalid_input naming `columns[i]` (with the sort's issues, if any). */
  private resolveColumns(names: readonly string[], issues: FieldIssue[]): QueryField[] {
    const columns = names.map((c, i) => fieldOrIssue(c, `columns[${i}]`, issues));
    if (issues.length > 0) throw ApiError.invalidInput(issues, 'runs query');
    return columns.filter((c): c is QueryField => c !== undefined);
  }
}
