/**
 * The fields of the runs query language and of the runs table's column chooser: run
 * columns, config fields (dotted paths into the stored RunConfig) and metric summaries
 * (best, last and epoch of best of every metric key). Declared once here so the parser,
 * the SQL compiler on the main side, the CLI and the renderer agree on every name.
 */
import { METRIC_KEYS } from './domain.ts';

export type FieldType = 'text' | 'number' | 'date' | 'boolean';

/** Columns of the runs table itself. */
export const RUN_COLUMN_FIELDS = {
  id: 'text',
  name: 'text',
  status: 'text',
  preset: 'text',
  arch: 'text',
  dataset: 'text',
  backend: 'text',
  device: 'text',
  created: 'date',
  started: 'date',
  ended: 'date',
  epochs: 'number',
  epochs_done: 'number',
} as const satisfies Record<string, FieldType>;
export type RunColumnField = keyof typeof RUN_COLUMN_FIELDS;

/** Scalar leaves of RunConfig, by dotted path (what `json_extract(config, '$.<path>')` reads). */
export const CONFIG_FIELDS = {
  lowDim: 'number',
  startEpoch: 'number',
  batchSize: 'number',
  iterSize: 'number',
  lr: 'number',
  'lrSchedule.stepEpochs': 'number',
  'lrSchedule.gamma': 'number',
  momentum: 'number',
  nesterov: 'boolean',
  weightDecay: 'number',
  temperature: 'number',
  margin: 'number',
  memoryMomentum: 'number',
  'eval.k': 'number',
  'eval.sigma': 'number',
  'eval.everyEpochs': 'number',
  'eval.monitor': 'text',
  'eval.recomputeMemory': 'boolean',
  'checkpoint.keepEvery': 'number',
  workers: 'number',
  seed: 'number',
  'dataset.kind': 'text',
  'dataset.root': 'text',
  'dataset.trainSize': 'number',
  'dataset.valSize': 'number',
} as const satisfies Record<string, FieldType>;
export type ConfigField = keyof typeof CONFIG_FIELDS;

/** Metrics whose best value is the smallest; every other metric is best when largest. */
export const LOWER_IS_BETTER: readonly string[] = ['loss', 'train_loss', 'epoch_seconds'];

export const METRIC_AGGREGATES = ['best', 'last', 'best_epoch'] as const;
export type MetricAggregate = (typeof METRIC_AGGREGATES)[number];

export type QueryField =
  | { kind: 'column'; name: RunColumnField; type: FieldType }
  | { kind: 'config'; path: ConfigField; type: FieldType }
  | { kind: 'metric'; key: string; aggregate: MetricAggregate; type: 'number' };

const METRIC_KEY_RE = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Resolves a field name. Run columns come first, then config paths (bare `lr` is the
 * configured learning rate), then metrics: a bare metric key means its best value;
 * `best.K`, `last.K` and `best_epoch.K` name one summary explicitly (`last.lr` is the lr
 * metric). Any key of the metric_summary table is accepted with a prefix; bare keys must
 * be one the engine writes.
 */
export function resolveField(name: string): QueryField | undefined {
  if (Object.hasOwn(RUN_COLUMN_FIELDS, name)) {
    const n = name as RunColumnField;
    return { kind: 'column', name: n, type: RUN_COLUMN_FIELDS[n] };
  }
  if (Object.hasOwn(CONFIG_FIELDS, name)) {
    const p = name as ConfigField;
    return { kind: 'config', path: p, type: CONFIG_FIELDS[p] };
  }
  if ((METRIC_KEYS as readonly string[]).includes(name)) return { kind: 'metric', key: name, aggregate: 'best', type: 'number' };
  const dot = name.indexOf('.');
  if (dot > 0) {
    const aggregate = name.slice(0, dot);
    const key = name.slice(dot + 1);
    if ((METRIC_AGGREGATES as readonly string[]).includes(aggregate) && METRIC_KEY_RE.test(key)) {
      return { kind: 'metric', key, aggregate: aggregate as MetricAggregate, type: 'number' };
    }
  }
  return undefined;
}

/** The canonical name of a resolved field (what column choosers store and the table shows). */
export function fieldName(field: QueryField): string {
  if (field.kind === 'column') return field.name;
  if (field.kind === 'config') return field.path;
  return `${field.aggregate}.${field.key}`;
}

/** Every name the query box offers: columns, config paths, bare metrics and their summaries. */
export function queryFieldNames(): string[] {
  return [
    ...Object.keys(RUN_COLUMN_FIELDS),
    'tag',
    ...Object.keys(CONFIG_FIELDS),
    ...METRIC_KEYS.filter((k) => !Object.hasOwn(CONFIG_FIELDS, k)),
    ...METRIC_AGGREGATES.flatMap((a) => METRIC_KEYS.map((k) => `${a}.${k}`)),
  ];
}

/** Levenshtein distance, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** Up to `max` known field names closest to `name` (case-insensitive), best first. */
export function suggestFields(name: string, max = 3): string[] {
  const lower = name.toLowerCase();
  const scored = queryFieldNames().map((f) => {
    const fl = f.toLowerCase();
    const d = fl.startsWith(lower) || fl.endsWith(`.${lower}`) ? 0.5 : editDistance(lower, fl);
    return { f, d };
  });
  const limit = Math.max(2, Math.ceil(name.length / 3));
  return scored
    .filter((s) => s.d <= limit)
    .sort((x, y) => x.d - y.d || x.f.localeCompare(y.f))
    .slice(0, max)
    .map((s) => s.f);
}
