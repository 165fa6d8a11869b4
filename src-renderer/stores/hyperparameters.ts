/**
 * The hyperparameter view's data: every run the runs table's query matches (brushes left
 * out, so brushed-away runs stay visible, dimmed), with the chosen metric and the config
 * fields that differ among them (`runs.values` leaves out the constant ones); those fields
 * are the axes.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { ApiError } from '../../shared/api-error.ts';
import { CONFIG_FIELDS } from '../../shared/run-query-fields.ts';
import { MAX_VALUE_RUNS, type CellValue } from '../../shared/run-table.ts';
import { useApiClient } from '../api/client-holder.ts';
import { differingAxes } from './hyperparameter-axes.ts';

/** Runs drawn at most (runs.values' largest answer). */
export const MAX_HYPERPARAMETER_RUNS = MAX_VALUE_RUNS;
const FIELDS = Object.keys(CONFIG_FIELDS).filter((f) => f !== 'dataset.root');

export interface HyperparameterRun {
  id: string;
  name: string;
  /** One value per entry of the store's `fields` (the config fields that vary). */
  values: CellValue[];
  metric: CellValue;
}

export const useHyperparametersStore = defineStore('hyperparameters', () => {
  const api = useApiClient();
  const metric = ref('best.knn_top1');
  const runs = shallowRef<HyperparameterRun[]>([]);
  /** The config fields that vary among the runs, in FIELDS order. */
  const fields = shallowRef<string[]>([]);
  const total = ref(0);
  const error = ref<ApiError | null>(null);
  const loading = ref(false);
  let generation = 0;

  const axes = computed(() => {
    const all = differingAxes(fields.value, runs.value.map((r) => r.values));
    return all.map((a) => ({ ...a, index: fields.value.indexOf(a.field) }));
  });
  const metricRange = computed(() => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of runs.value) {
      if (typeof r.metric !== 'number' || !Number.isFinite(r.metric)) continue;
      lo = Math.min(lo, r.metric);
      hi = Math.max(hi, r.metric);
    }
    return lo <= hi ? { lo, hi } : { lo: 0, hi: 1 };
  });

  async function load(where: string) {
    const gen = ++generation;
    loading.value = true;
    try {
      const answer = await api.call('runs.values', { where, columns: [metric.value], ifVarying: FIELDS, limit: MAX_HYPERPARAMETER_RUNS });
      if (gen !== generation) return;
      total.value = answer.total;
      fields.value = answer.columns.slice(1);
      runs.value = answer.runs.map((r) => ({ id: r.id, name: r.name, values: r.values.slice(1), metric: r.values[0] ?? null }));
      error.value = null;
    } catch (err) {
      if (gen === generation) error.value = ApiError.from(err);
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  function setMetric(next: string, where: string) {
    metric.value = next;
    return load(where);
  }

  return { metric, runs, total, error, loading, axes, metricRange, fields, load, setMetric };
});
