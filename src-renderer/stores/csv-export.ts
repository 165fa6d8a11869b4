/** CSV text for the tables the renderer exports; cells are escaped by the shared rule (shared/csv-cell.ts). */
import { csvCell } from '../../shared/csv-cell.ts';

export type CsvCell = string | number | boolean | null | undefined;

function cellText(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return csvCell(String(value));
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map((r) => r.map(cellText).join(',')).join('\r\n') + '\r\n';
}
