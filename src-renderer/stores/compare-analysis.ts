/**
 * Pure pieces of comparing runs: the config fields that differ, EMA smoothing, grouping
 * runs by config fields into mean and min–max / ±std bands, and one colour per run.
 */
export type ConfigValue = string | number | boolean | null;

/** Flattens a config to dotted scalar paths (arrays as JSON text, so they compare by value). */
export function flattenConfig(value: unknown, prefix = '', out: Record<string, ConfigValue> = {}): Record<string, ConfigValue> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(value)) {
    out[prefix] = JSON.stringify(value);
  } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    out[prefix] = value;
  } else {
    out[prefix] = null;
  }
  return out;
}

/** Fields whose values are not the same in every config, with each config's value (absent → null). */
export function configDiff(configs: readonly unknown[], ignore: readonly string[] = ['name']): { field: string; values: ConfigValue[] }[] {
  const flat = configs.map((c) => flattenConfig(c));
  const fields = [...new Set(flat.flatMap((f) => Object.keys(f)))].filter((f) => !ignore.includes(f)).sort();
  const out: { field: string; values: ConfigValue[] }[] = [];
  for (const field of fields) {
    const values = flat.map((f) => (Object.hasOwn(f, field) ? f[field]! : null));
    if (new Set(values.map((v) => JSON.stringify(v))).size > 1) out.push({ field, values });
  }
  return out;
}

/**
 * Exponential moving average with the debiasing TensorBoard uses, so the first points are
 * not pulled towards 0. weight 0 returns the values unchanged; nulls are carried through.
 */
export function emaSmooth(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return [...values];
  const w = Math.min(weight, 0.999);
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    n++;
    return last / (1 - w ** n);
  });
}

export interface GroupBand {
  key: string;
  /** Runs in the group. */
  runIds: string[];
  x: number[];
  mean: (number | null)[];
  min: (number | null)[];
  max: (number | null)[];
  std: (number | null)[];
}

/** Group key of a config: the values of `by` fields (every field when `by` is empty gives one group per config). */
export function groupKey(config: unknown, by: readonly string[]): string {
  const flat = flattenConfig(config);
  return by.map((f) => `${f}=${JSON.stringify(flat[f] ?? null)}`).join(', ') || 'all runs';
}

/** Per x, mean / min / max / population std over the runs of one group that have a value there (columns share x). */
export function groupBand(key: string, runIds: readonly string[], x: readonly number[], ys: readonly (readonly (number | null)[])[]): GroupBand {
  const n = x.length;
  const mean: (number | null)[] = new Array(n).fill(null);
  const min: (number | null)[] = new Array(n).fill(null);
  const max: (number | null)[] = new Array(n).fill(null);
  const std: (number | null)[] = new Array(n).fill(null);
  for (let i = 0; i < n; i++) {
    let count = 0;
    let sum = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const col of ys) {
      const v = col[i];
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      count++;
      sum += v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    if (count === 0) continue;
    const m = sum / count;
    let sq = 0;
    for (const col of ys) {
      const v = col[i];
      if (v !== null && v !== undefined && Number.isFinite(v)) sq += (v - m) ** 2;
    }
    mean[i] = m;
    min[i] = lo;
    max[i] = hi;
    std[i] = Math.sqrt(sq / count);
  }
  return { key, runIds: [...runIds], x: [...x], mean, min, max, std };
}

/** Mean and population std of numbers (nulls skipped); null when there are none. */
export function meanStd(values: readonly (number | null | undefined)[]): { mean: number; std: number } | null {
  const vs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (vs.length === 0) return null;
  const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
  return { mean, std: Math.sqrt(vs.reduce((a, b) => a + (b - mean) ** 2, 0) / vs.length) };
}

/** 50 distinguishable colours: golden-angle hues at two lightness levels. */
export function runColour(index: number): string {
  const hue = Math.round((index * 137.508) % 360);
  const light = index % 2 === 0 ? 45 : 60;
  return `hsl(${hue} 70% ${light}%)`;
}
