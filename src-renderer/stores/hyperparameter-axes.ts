/**
 * Pure pieces of the hyperparameter view: which config fields differ among runs (the axes of
 * the parallel coordinates), where a run sits on each axis (numbers on a linear or log scale,
 * booleans and text as evenly spaced categories), a colour scale for the chosen metric, and
 * the query clause a brushed range adds to the runs table.
 */
import { CONFIG_FIELDS } from '../../shared/run-query-fields.ts';
import type { CellValue } from '../../shared/run-table.ts';

export interface Axis {
  field: string;
  kind: 'number' | 'category';
  /** number: data range (log when all values are positive and span over a factor of 20). */
  min: number;
  max: number;
  log: boolean;
  /** category: the values in order. */
  categories: string[];
}

/** Fields with more than one distinct value among the rows (`values[r][f]` is row r's field f). */
export function differingAxes(fields: readonly string[], values: readonly (readonly CellValue[])[]): Axis[] {
  const axes: Axis[] = [];
  fields.forEach((field, f) => {
    const column = values.map((row) => row[f] ?? null);
    const distinct = new Set(column.map((v) => JSON.stringify(v)));
    if (distinct.size < 2) return;
    const nums = column.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (nums.length > 0 && nums.length === column.filter((v) => v !== null).length) {
      const min = Math.min(...nums);
      const max = Math.max(...nums);
      axes.push({ field, kind: 'number', min, max, log: min > 0 && max / min > 20, categories: [] });
    } else {
      const categories = [...new Set(column.map((v) => (v === null ? '—' : String(v))))].sort();
      axes.push({ field, kind: 'category', min: 0, max: Math.max(1, categories.length - 1), log: false, categories });
    }
  });
  return axes;
}

/** Where a value sits on an axis, 0 (bottom) … 1 (top); null when the run has none. */
export function axisPosition(axis: Axis, v: CellValue): number | null {
  if (axis.kind === 'category') {
    const i = axis.categories.indexOf(v === null ? '—' : String(v));
    return axis.categories.length <= 1 ? 0.5 : i / (axis.categories.length - 1);
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  if (axis.max === axis.min) return 0.5;
  if (axis.log) return (Math.log(v) - Math.log(axis.min)) / (Math.log(axis.max) - Math.log(axis.min));
  return (v - axis.min) / (axis.max - axis.min);
}

/** The value at a position of a number axis (the inverse of axisPosition). */
export function axisValue(axis: Axis, t: number): number {
  const u = Math.min(1, Math.max(0, t));
  if (axis.log) return Math.exp(Math.log(axis.min) + u * (Math.log(axis.max) - Math.log(axis.min)));
  return axis.min + u * (axis.max - axis.min);
}

/** Colour of a metric value between lo and hi (viridis-like: purple → teal → yellow); grey without one. */
export function metricColour(v: CellValue, lo: number, hi: number): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '#b0b0b0';
  const t = hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0.5;
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i]!.map((a, k) => Math.round(a + (stops[i + 1]![k]! - a) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** A brushed range of one field: `field >= lo and field <= hi` (or the categories, for text). */
export type Brush = { field: string; kind: 'number'; lo: number; hi: number } | { field: string; kind: 'category'; values: string[] };

function literal(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Six significant digits, rounded outwards so the rows at the ends of the brush stay in. */
function bound(v: number, dir: 'down' | 'up'): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const scale = 10 ** (Math.floor(Math.log10(Math.abs(v))) - 5);
  const units = v / scale;
  const near = Math.round(units);
  const whole = Math.abs(units - near) < 1e-6 ? near : dir === 'down' ? Math.floor(units) : Math.ceil(units);
  return String(Number((whole * scale).toPrecision(6)));
}

/** The clause of the runs query language that keeps the runs inside every brush ('' without brushes). */
export function brushQuery(brushes: readonly Brush[]): string {
  return brushes
    .map((b) => {
      if (b.kind === 'number') return `${b.field} >= ${bound(b.lo, 'down')} and ${b.field} <= ${bound(b.hi, 'up')}`;
      // Boolean config fields come back from runs.query as 1 and 0; the language spells them true and false.
      const boolean = (CONFIG_FIELDS as Readonly<Record<string, string>>)[b.field] === 'boolean';
      const parts = b.values.map((v) => (boolean ? `${b.field} = ${v === '1' || v === 'true' ? 'true' : 'false'}` : `${b.field} = ${literal(v)}`));
      return parts.length === 1 ? parts[0]! : `(${parts.join(' or ')})`;
    })
    .join(' and ');
}

/** A user's query and the brush clause together. */
export function withBrushes(where: string, brushes: readonly Brush[]): string {
  const extra = brushQuery(brushes);
  if (!extra) return where;
  return where.trim() ? `(${where}) and ${extra}` : extra;
}
