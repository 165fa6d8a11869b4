/** Turns schema failures into messages that name the field, for every transport and the CLI. */
import { z } from 'zod';

export interface FieldIssue {
  /** Dotted path of the field, e.g. `config.batchSize`; empty for the whole value. */
  path: string;
  message: string;
}

export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

export function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({ path: fieldPath(i.path), message: i.message }));
}

export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

export function safeParseWith<S extends z.ZodType>(schema: S, input: unknown, prefix?: string): Parsed<z.infer<S>> {
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  const issues = issuesOf(r.error).map((i) => ({
    path: prefix ? (i.path ? `${prefix}.${i.path}` : prefix) : i.path,
    message: i.message,
  }));
  return { ok: false, issues };
}
