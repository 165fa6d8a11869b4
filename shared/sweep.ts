/**
 * Sweeps: `--sweep lr=0.1,0.05 --sweep temperature=0.05,0.1` (or the form's sweep editor)
 * becomes one run config per combination, in a stable order (the first axis varies slowest).
 * Values are parsed as JSON scalars where they can be (numbers, true/false), else strings.
 */
import { z } from 'zod';

export type SweepValue = number | boolean | string;

export interface SweepAxis {
  /** A dotted config path, e.g. `lr` or `eval.k`. */
  path: string;
  values: SweepValue[];
}

export class SweepError extends Error {}

export const SweepAxisSchema = z.object({
  path: z.string().regex(/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/, 'a config field path (letters and digits, dotted)'),
  values: z.array(z.union([z.number(), z.boolean(), z.string().max(200)])).min(1).max(1000),
});

const PATH = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/;
/** Bounds a sweep so that a typo cannot queue thousands of runs. */
export const MAX_SWEEP_RUNS = 1000;

function parseValue(text: string): SweepValue {
  const t = text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t !== '' && Number.isFinite(Number(t))) return Number(t);
  return t;
}

/** Parses one `path=v1,v2,…` argument. */
export function parseSweepAxis(arg: string): SweepAxis {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new SweepError(`--sweep ${arg}: expected PATH=V1,V2,… (e.g. lr=0.1,0.05)`);
  const path = arg.slice(0, eq).trim();
  if (!PATH.test(path)) throw new SweepError(`--sweep ${arg}: "${path}" is not a config field path (letters and digits, dotted)`);
  const parts = arg.slice(eq + 1).split(',');
  if (parts.some((p) => p.trim() === '')) throw new SweepError(`--sweep ${arg}: empty value in the list`);
  const values = parts.map(parseValue);
  if (new Set(values.map((v) => JSON.stringify(v))).size !== values.length) {
    throw new SweepError(`--sweep ${arg}: a value is listed twice`);
  }
  return { path, values };
}

/** Every combination of the axes as a list of (path, value) assignments. */
export function expandSweep(axes: readonly SweepAxis[]): Array<Array<[string, SweepValue]>> {
  const seen = new Set<string>();
  for (const a of axes) {
    if (seen.has(a.path)) throw new SweepError(`--sweep ${a.path}: the field is swept twice`);
    seen.add(a.path);
  }
  const total = axes.reduce((n, a) => n * a.values.length, 1);
  if (total > MAX_SWEEP_RUNS) throw new SweepError(`the sweep makes ${total} runs; at most ${MAX_SWEEP_RUNS} are allowed`);
  let combos: Array<Array<[string, SweepValue]>> = [[]];
  for (const axis of axes) {
    combos = combos.flatMap((c) => axis.values.map((v): Array<[string, SweepValue]> => [...c, [axis.path, v]]));
  }
  return combos;
}

/** A copy of `config` with `path` set to `value`; the path's parents must exist as objects. */
export function withConfigValue(config: Record<string, unknown>, path: string, value: SweepValue): Record<string, unknown> {
  const [head, ...rest] = path.split('.');
  if (head === undefined) return config;
  if (rest.length === 0) return { ...config, [head]: value };
  const child = config[head];
  if (child === null || typeof child !== 'object' || Array.isArray(child)) {
    throw new SweepError(`--sweep ${path}: "${head}" is not a group of config fields`);
  }
  return { ...config, [head]: withConfigValue(child as Record<string, unknown>, rest.join('.'), value) };
}

/** A short label of one combination, e.g. `lr=0.1 temperature=0.05`. */
export function describeCombination(combo: ReadonlyArray<readonly [string, SweepValue]>): string {
  return combo.map(([p, v]) => `${p}=${String(v)}`).join(' ');
}
