/**
 * Readers of what Slurm's commands print. Their output is outside input: every reader
 * bounds what it accepts and says which command printed what it could not read.
 */
import { mapSlurmState, type MappedState } from './slurm-state.ts';

export class SlurmOutputError extends Error {
  constructor(command: string, reason: string, text: string) {
    super(`${command}: ${reason} (it printed: ${JSON.stringify(text.slice(0, 200))})`);
    this.name = 'SlurmOutputError';
  }
}

/** A job id as sbatch prints it: the job, or one task of an array job (`123_4`). */
export interface SlurmJobRef {
  jobId: number;
  arrayTask: number | null;
}

/** `sbatch --parsable` prints `JOBID` or `JOBID;CLUSTER`. */
export function parseSbatchParsable(text: string): number {
  const line = text.trim().split(/\r?\n/).pop() ?? '';
  const m = /^(\d{1,12})(?:;[\w.-]+)?$/.exec(line);
  if (!m) throw new SlurmOutputError('sbatch --parsable', 'no job id', text);
  return Number(m[1]);
}

/** The squeue format the app asks for: job id (with array task), state, reason. */
export const SQUEUE_FORMAT = '%i|%T|%r';

export interface QueueEntry extends SlurmJobRef {
  state: string;
  mapped: MappedState | null;
  reason: string;
}

/**
 * Parses `squeue -h -o '%i|%T|%r'`. Pending array tasks may be folded into one line
 * (`123_[0-4]`, `123_[1,3]`): those are expanded so that every task gets its entry.
 */
export function parseSqueue(text: string): QueueEntry[] {
  const out: QueueEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const [id = '', state = '', reason = ''] = line.split('|');
    const mapped = mapSlurmState(state);
    for (const ref of parseJobIdField(id.trim(), line)) out.push({ ...ref, state: state.trim(), mapped, reason: reason.trim() });
  }
  return out;
}

const MAX_TASKS_IN_ONE_LINE = 100_000;

function parseJobIdField(id: string, line: string, command = 'squeue'): SlurmJobRef[] {
  let m = /^(\d{1,12})$/.exec(id);
  if (m) return [{ jobId: Number(m[1]), arrayTask: null }];
  m = /^(\d{1,12})_(\d{1,9})$/.exec(id);
  if (m) return [{ jobId: Number(m[1]), arrayTask: Number(m[2]) }];
  m = /^(\d{1,12})_\[([\d,\-%]+)\]$/.exec(id);
  if (!m) throw new SlurmOutputError(command, `unreadable job id "${id}"`, line);
  const jobId = Number(m[1]);
  const tasks: SlurmJobRef[] = [];
  // The "%N" suffix (at most N at once) does not change which tasks exist.
  for (const part of m[2]!.split('%')[0]!.split(',')) {
    const r = /^(\d{1,9})(?:-(\d{1,9}))?$/.exec(part);
    if (!r) throw new SlurmOutputError(command, `unreadable array range "${part}"`, line);
    const a = Number(r[1]);
    const b = r[2] === undefined ? a : Number(r[2]);
    if (b < a || b - a + tasks.length >= MAX_TASKS_IN_ONE_LINE) throw new SlurmOutputError(command, `array range "${part}" out of bounds`, line);
    for (let t = a; t <= b; t++) tasks.push({ jobId, arrayTask: t });
  }
  return tasks;
}

/**
 * Parses `scontrol show job -o ID` (one line of Key=Value pairs per job or array task).
 * Values never contain spaces except the last fields (Command, WorkDir, StdErr, …, which may):
 * a key is a word followed by "=" at the start or after a space.
 */
export function parseScontrolJobs(text: string): Array<Record<string, string>> {
  const jobs: Array<Record<string, string>> = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || !line.includes('JobId=')) continue;
    const job: Record<string, string> = {};
    const re = /(?:^|\s)([A-Za-z][A-Za-z0-9:/_]*)=/g;
    const keys: Array<{ key: string; valueStart: number; keyStart: number }> = [];
    for (let m = re.exec(line); m; m = re.exec(line)) keys.push({ key: m[1]!, valueStart: re.lastIndex, keyStart: m.index });
    keys.forEach((k, i) => {
      const end = i + 1 < keys.length ? keys[i + 1]!.keyStart : line.length;
      job[k.key] = line.slice(k.valueStart, end).trim();
    });
    jobs.push(job);
  }
  return jobs;
}

export interface ScontrolJobState extends SlurmJobRef {
  state: string;
  mapped: MappedState | null;
  reason: string;
  exitCode: string;
  stdErr: string | null;
}

/**
 * The fields the app needs from `scontrol show job -o`. The tasks of an array that never
 * started (pending, or cancelled while pending) share one record whose ArrayTaskId is a range
 * (`0-4`, `1,3`, `0-9%2`): it is expanded so that every task gets its state.
 */
export function scontrolJobStates(text: string): ScontrolJobState[] {
  return parseScontrolJobs(text).flatMap((j) => {
    const jobId = Number(j.ArrayJobId ?? j.JobId);
    if (!Number.isInteger(jobId)) throw new SlurmOutputError('scontrol show job', 'no JobId', JSON.stringify(j));
    const taskField = j.ArrayTaskId;
    const refs: SlurmJobRef[] =
      taskField === undefined || taskField === '' || taskField === '(null)'
        ? [{ jobId, arrayTask: null }]
        : parseJobIdField(/^\d+$/.test(taskField) ? `${jobId}_${taskField}` : `${jobId}_[${taskField}]`, JSON.stringify(j).slice(0, 200), 'scontrol show job');
    const state = j.JobState ?? '';
    return refs.map((ref) => ({
      ...ref,
      state,
      mapped: mapSlurmState(state),
      reason: j.Reason ?? '',
      exitCode: j.ExitCode ?? '',
      stdErr: j.StdErr ?? null,
    }));
  });
}
