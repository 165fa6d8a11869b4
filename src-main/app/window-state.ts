/**
 * The window's size and position, remembered between launches in `window-state.json` of the
 * data folder. What is read back is validated and must still fit on a connected display (a
 * monitor may be gone); otherwise the window opens at its default size.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const WINDOW_STATE_FILE = 'window-state.json';

const BoundsSchema = z.object({
  x: z.int().min(-100_000).max(100_000),
  y: z.int().min(-100_000).max(100_000),
  width: z.int().min(400).max(20_000),
  height: z.int().min(300).max(20_000),
});
const WindowStateSchema = BoundsSchema.extend({ maximized: z.boolean() });

export type Bounds = z.infer<typeof BoundsSchema>;
export type WindowState = z.infer<typeof WindowStateSchema>;

/** Whether at least a 100×50 piece of the window's top (where the title bar is) lies on a display. */
function reachable(b: Bounds, displays: readonly Bounds[]): boolean {
  return displays.some((d) => {
    const w = Math.min(b.x + b.width, d.x + d.width) - Math.max(b.x, d.x);
    const h = Math.min(b.y + 50, d.y + d.height) - Math.max(b.y, d.y);
    return w >= 100 && h >= 50;
  });
}

/** The remembered state if the file holds a valid one that is reachable on `displays` (their work areas). */
export function loadWindowState(home: string, displays: readonly Bounds[]): WindowState | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(home, WINDOW_STATE_FILE), 'utf8'));
  } catch {
    return null;
  }
  const parsed = WindowStateSchema.safeParse(raw);
  if (!parsed.success || !reachable(parsed.data, displays)) return null;
  return parsed.data;
}

export function saveWindowState(home: string, state: WindowState): void {
  const parsed = WindowStateSchema.safeParse({ ...state, x: Math.round(state.x), y: Math.round(state.y), width: Math.round(state.width), height: Math.round(state.height) });
  if (!parsed.success) return;
  const file = join(home, WINDOW_STATE_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(parsed.data)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}
