/**
 * Reordering and removing queued runs, whichever process owns them: the checks, and the
 * store calls that change queue positions or delete a queued row (no run changes state).
 */
import { ApiError } from '../../../shared/api-error.ts';
import type { Store } from '../../store/store.ts';

/** The listed queued runs take the places they held, in the order given. */
export function reorderQueuedRuns(store: Store, ids: readonly string[]): void {
  for (const id of ids) {
    const r = store.runs.get(id);
    if (!r) throw ApiError.notFound(`Run ${id}`);
    if (r.status !== 'queued') throw new ApiError('conflict', `Run ${id} is ${r.status}; only queued runs can be reordered.`);
  }
  if (new Set(ids).size !== ids.length) throw new ApiError('invalid_input', 'A run is listed twice in the new queue order.');
  if (!store.runs.reorderQueued(ids)) throw new ApiError('conflict', 'A run left the queue meanwhile; reload and try again.');
}

/** Deletes a queued run that never started (its owner drops it when it finds the row gone). */
export function removeQueuedRun(store: Store, id: string): void {
  const r = store.runs.get(id);
  if (!r) throw ApiError.notFound(`Run ${id}`);
  if (r.status !== 'queued' || !store.runs.deleteQueued(id)) {
    throw new ApiError('conflict', `Run ${id} is ${store.runs.get(id)?.status ?? r.status}; only a queued run can be removed (cancel it instead).`);
  }
}
