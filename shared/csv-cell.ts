/**
 * One CSV cell, quoted when it holds a separator, and never a live spreadsheet formula: text
 * that starts with `=`, `+`, `-`, `@`, a tab or a carriage return (what Excel, LibreOffice and
 * Sheets evaluate) gets a leading `'`. Plain numbers such as `-0.5` stay numbers.
 */

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export function csvCell(text: string): string {
  const safe = FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
