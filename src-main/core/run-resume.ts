/**
 * Which checkpoint a resumed run continues from, checked before anything changes: the run's
 * `latest` checkpoint (or the one named), its file present with the sha256 recorded when it
 * was written, and its header matching the run's config. A run without any checkpoint
 * (stopped during its first epoch) restarts from the beginning.
 *
 * Metrics: the rows the aborted attempt wrote after the checkpoint's step are deleted when
 * the run is queued again (MetricsRepository.deleteAfterStep), so the resumed attempt's rows
 * replace them instead of duplicating them. Log lines are history and are kept.
 */
import { ApiError } from '../../shared/api-error.ts';
import { isResumableStatus, type Checkpoint } from '../../shared/domain.ts';
import { CheckpointError, fileSha256, readCheckpointHeader } from '../engine/checkpoint/checkpoint-reader.ts';
import type { Store } from '../store/store.ts';

export interface ResumePoint {
  /** Null: no checkpoint, the run starts over. */
  checkpoint: { id: number; path: string; sha256: string; epoch: number; step: number } | null;
}

/**
 * The checkpoint row a resume of `runId` would continue from (`checkpointId`, else the
 * latest), without reading its file; undefined when the run has no `latest` checkpoint.
 */
export function resumeCheckpointRow(store: Store, runId: string, checkpointId?: number): Checkpoint | undefined {
  const all = store.checkpoints.list(runId);
  if (checkpointId !== undefined) {
    const chosen = all.find((c) => c.id === checkpointId);
    if (!chosen) throw ApiError.notFound(`Checkpoint ${checkpointId} of run ${runId}`);
    return chosen;
  }
  // `latest` is written at every epoch end; without it there is nothing to continue from.
  return all.filter((c) => c.kind === 'latest').sort((a, b) => b.epoch - a.epoch || b.id - a.id)[0];
}

/**
 * A start epoch asked with a resume (the reference's --start-epoch) is accepted only when it is
 * the epoch the run continues at: that of the checkpoint it resumes from, 0 without one. The
 * epoch counter cannot be overridden: the step counter, the metric rows kept, the checkpoint
 * names and the bit-for-bit continuation all follow the checkpoint. A run that cannot be
 * resumed is left to planResume's own message.
 */
export function assertResumeStartEpoch(store: Store, runId: string, checkpointId: number | undefined, startEpoch: number): void {
  const run = store.runs.get(runId);
  if (!run || !isResumableStatus(run.status)) return;
  const row = resumeCheckpointRow(store, runId, checkpointId);
  const epoch = row?.epoch ?? 0;
  if (startEpoch === epoch) return;
  const from = row ? `its checkpoint ${row.path} was saved after epoch ${epoch}` : 'it has no checkpoint yet, so it starts over at epoch 0';
  const message =
    `startEpoch ${startEpoch}: this run continues at epoch ${epoch} (${from}); startEpoch is accepted only when it is that epoch. ` +
    'Overriding the epoch counter is not supported: the step counter, the metric rows kept, the checkpoint names and the ' +
    'bit-for-bit continuation all follow the checkpoint epoch (to go back, resume from an older epoch-NNNN checkpoint file, ' +
    'kept with checkpoint.keepEvery)';
  throw ApiError.invalidInput([{ path: 'startEpoch', message }], 'resume');
}

export function planResume(store: Store, runId: string, checkpointId?: number): ResumePoint {
  const run = store.runs.get(runId);
  if (!run) throw ApiError.notFound(`Run ${runId}`);
  if (!isResumableStatus(run.status)) {
    throw new ApiError('conflict', `Run ${runId} is ${run.status}; only an interrupted, failed or cancelled run can be resumed.`);
  }
  const chosen = resumeCheckpointRow(store, runId, checkpointId);
  if (!chosen) return { checkpoint: null };
  try {
    const sha256 = fileSha256(chosen.path, chosen.sha256);
    const header = readCheckpointHeader(chosen.path);
    const stored = store.runs.configJson(runId);
    const config = stored ? (JSON.parse(stored) as { arch?: unknown; seed?: unknown }) : {};
    if (header.config.arch !== config.arch || header.config.seed !== config.seed) {
      throw new CheckpointError(chosen.path, `belongs to a different run config (arch ${header.config.arch}, seed ${header.config.seed})`);
    }
    return { checkpoint: { id: chosen.id, path: chosen.path, sha256, epoch: header.epoch, step: header.step } };
  } catch (err) {
    if (err instanceof CheckpointError) {
      throw new ApiError('conflict', `Cannot resume run ${runId} from its ${chosen.kind} checkpoint (epoch ${chosen.epoch}): ${err.message}`);
    }
    throw err;
  }
}
