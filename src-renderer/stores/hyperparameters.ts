/**
 * The hyperparameter view's data: every run the runs table's query matches (brushes left
 * out, so brushed-away runs stay visible, dimmed), with every config field and the chosen
 * metric, through `runs.query`; the axes are the config fields that differ among them.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { ApiError } from '../../shared/api-error.ts';
import { CONFIG_FIELDS } from '../../shared/run-query-fields.ts';
import type { CellValue } from '../../shared/run-table.ts';
import { useApiClient } from '../api/client-holder.ts';
import { differingAxes } from './hyperparameter-axes.ts';

/** Runs drawn at most (runs.query's largest page). */
export const MAX_HYPERPARAMETER_RUNS = 5000;
const FIELDS = Object.keys(CONFIG_FIELDS).filter((f) => f !== 'dataset.root');

export interface HyperparameterRun {
  id: string;
  name: string;
  /** One value per FIELDS entry. */
  values: CellValue[];
  metric: CellValue;
}

export const useHyperparametersStore = defineStore('hyperparameters', () => {
  const api = useApiClient();
  const metric = ref('best.knn_top1');
  const runs = shallowRef<HyperparameterRun[]>([]);
  const total = ref(0);
  const error = ref<ApiError | null>(null);
  const loading = ref(false);
  let generation = 0;

  const axes = computed(() => {
    const all = differingAxes(FIELDS, runs.value.map((r) => r.values));
    return all.map((a) => ({ ...a, index: FIELDS.indexOf(a.field) }));
  });
  const metricRange = computed(() => {
    const vs = runs.value.map((r) => r.metric).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    return vs.length ? { lo: Math.min(...vs), hi: Math.max(...vs) } : { lo: 0, hi: 1 };
  });

  async function load(where: string) {
    const gen = ++generation;
    loading.value = true;
    try {
      const answer = await api.call('runs.query', { where, columns: [...FIELDS, metric.value], limit: MAX_HYPERPARAMETER_RUNS });
      if (gen !== generation) return;
      total.value = answer.total;
      runs.value = answer.rows.map((r) => ({ id: r.run.id, name: r.run.name, values: r.values.slice(0, FIELDS.length), metric: r.values[FIELDS.length] ?? null }));
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

  return { metric, runs, total, error, loading, axes, metricRange, fields: FIELDS, load, setMetric };
});
