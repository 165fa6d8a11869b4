/**
 * Checkpoint evaluations per run: the list (newest first), kept current by
 * `evaluation.changed` events, and starting a new one. Events are subscribed once (attach).
 */
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import type { MethodInput } from '../../shared/api.ts';
import type { Evaluation } from '../../shared/domain.ts';
import { useApiClient } from '../api/client-holder.ts';

/** Inserts or replaces `e` by id; newest (largest id) first. */
export function upsertEvaluation(list: readonly Evaluation[], e: Evaluation): Evaluation[] {
  return [e, ...list.filter((x) => x.id !== e.id)].sort((a, b) => b.id - a.id);
}

/**
 * A list answer merged with rows already known (events that raced the call): an evaluation
 * only moves from running to an end, so an ended row wins over a running one of the same id.
 */
export function mergeEvaluations(fresh: readonly Evaluation[], known: readonly Evaluation[]): Evaluation[] {
  let list = fresh.slice();
  const freshById = new Map(fresh.map((e) => [e.id, e]));
  for (const e of known) {
    const f = freshById.get(e.id);
    if (!f || (f.status === 'running' && e.status !== 'running')) list = upsertEvaluation(list, e);
  }
  return list.sort((a, b) => b.id - a.id);
}

export const useEvaluationsStore = defineStore('evaluations', () => {
  const api = useApiClient();
  /** Evaluations of each run that was loaded. */
  const byRun = shallowRef<Record<string, Evaluation[]>>({});
  let attached = false;

  function apply(e: Evaluation) {
    if (e.runId === null) return;
    const current = byRun.value[e.runId];
    if (!current) return; // not loaded: fetched in full when the run is opened
    byRun.value = { ...byRun.value, [e.runId]: upsertEvaluation(current, e) };
  }

  function attach() {
    if (attached) return;
    attached = true;
    api.on('evaluation.changed', apply);
  }

  function listOf(runId: string): readonly Evaluation[] {
    return byRun.value[runId] ?? [];
  }

  async function load(runId: string) {
    attach();
    const fresh = await api.call('evaluations.list', { runId });
    byRun.value = { ...byRun.value, [runId]: mergeEvaluations(fresh, byRun.value[runId] ?? []) };
  }

  /** Starts an evaluation (or answers a stored identical one, `reused`). */
  async function evaluate(input: MethodInput<'evaluations.create'>): Promise<Evaluation> {
    attach();
    const e = await api.call('evaluations.create', input);
    if (e.runId !== null) byRun.value = { ...byRun.value, [e.runId]: upsertEvaluation(byRun.value[e.runId] ?? [], e) };
    return e;
  }

  /** Stops a running evaluation; it ends cancelled (the answer, then an evaluation.changed event). */
  async function cancel(id: number): Promise<Evaluation> {
    attach();
    const e = await api.call('evaluations.cancel', { id });
    apply(e);
    return e;
  }

  return { byRun, attach, listOf, load, evaluate, cancel };
});
