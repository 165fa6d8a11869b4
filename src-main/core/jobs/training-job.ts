/**
 * The training kind of supervised job: the training worker's messages become the run's
 * backend, progress events, epochs done, checkpoint rows, and batched metric and log rows.
 * It never changes the run's status: the scheduler records the job's outcome.
 */
import type { MetricPoint } from '../../../shared/domain.ts';
import type { NewLogLine } from '../../store/logs-repository.ts';
import type { Store } from '../../store/store.ts';
import { FromWorkerSchema, type FromWorker, type TrainJob } from '../../workers/train-protocol.ts';
import type { WorkerEntry } from '../../workers/worker-entry.ts';
import type { EventBus } from '../event-bus.ts';
import { summarizeRun } from '../run-summaries.ts';
import type { JobPinning } from '../scheduling/device-pinning.ts';
import { superviseJob, type JobControl, type JobHandle, type SupervisorDeps } from './job-supervisor.ts';

export interface TrainingJobDeps extends SupervisorDeps {
  store: Store;
  bus: EventBus;
  entry: WorkerEntry;
}

type TrainingRow = { point: MetricPoint } | { log: NewLogLine };

/** Starts the run's training worker; `pin` pins it to a device (none: the unpinned CPU slot). */
export function startTrainingJob(deps: TrainingJobDeps, job: TrainJob, pin?: JobPinning): JobHandle {
  const { store, bus } = deps;
  const runId = job.runId;
  let epochsDone = 0;

  const emitChanged = () => {
    const summary = summarizeRun(store, runId);
    if (summary) bus.emit('run.changed', summary);
  };
  const raiseEpochsDone = (done: number): boolean => {
    if (done <= epochsDone) return false;
    epochsDone = done;
    if (!store.runs.raiseEpochsDone(runId, done)) return false;
    emitChanged();
    return true;
  };
  const log = (level: NewLogLine['level'], message: string): TrainingRow => ({ log: { level, message, wallTime: Date.now() } });

  const onMessage = (msg: FromWorker, control: JobControl<TrainingRow>): void => {
    switch (msg.type) {
      case 'started':
        if (pin) control.buffer(log('info', `Device slot: ${pin.label}`));
        store.runs.setBackend(runId, msg.backend, msg.device);
        emitChanged();
        return;
      case 'progress': {
        bus.emit('run.progress', { runId, ...msg.progress });
        // While training/evaluating epoch e (1-based) e-1 epochs are done; at its checkpoint, e are.
        raiseEpochsDone(msg.progress.phase === 'checkpoint' ? msg.progress.epoch : msg.progress.epoch - 1);
        return;
      }
      case 'metrics':
        control.buffer(...msg.points.map((point) => ({ point })));
        return;
      case 'log':
        control.buffer(log(msg.level, msg.message));
        return;
      case 'checkpoint':
        control.flush(); // metrics of the epoch land before its checkpoint row
        store.checkpoints.record(runId, msg.checkpoint, new Date().toISOString());
        if (!raiseEpochsDone(msg.checkpoint.epoch)) emitChanged();
        return;
      case 'done':
        control.report({ status: msg.status });
        return;
      case 'error':
        control.buffer(log('error', msg.detail ? `${msg.message}\n${msg.detail}` : msg.message));
        control.report({ error: msg.message });
        return;
    }
  };

  /** Metrics and log lines in one transaction, then published. */
  const persist = (rows: TrainingRow[]): void => {
    const points: MetricPoint[] = [];
    const lines: NewLogLine[] = [];
    for (const r of rows) {
      if ('point' in r) points.push(r.point);
      else lines.push(r.log);
    }
    const written = store.transaction(() => {
      store.metrics.insert(runId, points);
      return store.logs.append(runId, lines);
    });
    if (points.length > 0) bus.emit('run.metrics', { runId, points });
    for (const entry of written) bus.emit('run.log', entry);
    if (points.length > 0) emitChanged();
  };

  return superviseJob(deps, {
    workerNoun: 'training',
    jobNoun: 'run',
    subject: `run ${runId}`,
    entry: deps.entry,
    job,
    messages: FromWorkerSchema,
    onMessage,
    persist,
    noteRow: log,
    pin,
  });
}
