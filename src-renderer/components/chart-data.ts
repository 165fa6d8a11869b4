/** Turns metric series into uPlot's aligned columns: one shared x, one y per series, null where absent. */
import type { MetricSeries } from '../../shared/domain.ts';

export type AlignedData = [number[], ...(number | null)[][]];

export function alignSeries(list: readonly (MetricSeries | undefined)[], x: 'step' | 'epoch' | 'wall'): AlignedData {
  const present = list.map((s) => s ?? { key: '', step: [], epoch: [], value: [] });
  const xOf = (s: MetricSeries): readonly number[] => (x === 'wall' ? (s.wall ?? []) : s[x]);
  const xs = new Set<number>();
  for (const s of present) for (const v of xOf(s)) xs.add(v);
  const xAxis = [...xs].sort((a, b) => a - b);
  const index = new Map(xAxis.map((v, i) => [v, i]));
  const ys = present.map((s) => {
    const col: (number | null)[] = new Array(xAxis.length).fill(null);
    xOf(s).forEach((xv, i) => {
      const j = index.get(xv);
      if (j !== undefined) col[j] = s.value[i];
    });
    return col;
  });
  return [xAxis, ...ys];
}

export function pointCount(data: AlignedData): number {
  return data[0].length;
}
