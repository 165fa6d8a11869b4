/**
 * Slurm's commands over a cluster shell: submit a rendered script, read the state of many
 * jobs in one batched call, cancel. Job states come from `squeue` while a job is known to the
 * controller, and from `scontrol show job` for jobs squeue no longer lists (it keeps ended
 * jobs for MinJobAge); a job neither knows has ended in a state the app can no longer learn.
 */
import type { ClusterShell, CommandResult } from './cluster-shell.ts';
import { ClusterCommandError } from './cluster-shell.ts';
import { shellQuote } from './shell-quote.ts';
import { parseSbatchParsable, parseSqueue, scontrolJobStates, SQUEUE_FORMAT, type SlurmJobRef } from './slurm-output.ts';
import type { MappedState } from './slurm-state.ts';

export interface JobState {
  state: string;
  mapped: MappedState | null;
  reason: string;
  exitCode: string | null;
}

export function jobKey(ref: SlurmJobRef): string {
  return ref.arrayTask === null ? String(ref.jobId) : `${ref.jobId}_${ref.arrayTask}`;
}

function failed(what: string, res: CommandResult): ClusterCommandError {
  return new ClusterCommandError(what, res, res.stderr.trim() || res.stdout.trim() || `exit code ${res.code}`);
}

export class SlurmClient {
  constructor(private readonly shell: ClusterShell) {}

  /** Writes the script to `scriptPath` on the cluster and submits it; returns the job id. */
  async submit(scriptPath: string, script: string): Promise<number> {
    const write = await this.shell.run('sh', ['-c', `umask 077 && cat > ${shellQuote(scriptPath)}`], { input: script });
    if (write.code !== 0) throw failed(`writing ${scriptPath}`, write);
    const res = await this.shell.run('sbatch', ['--parsable', scriptPath]);
    if (res.code !== 0) throw failed('sbatch', res);
    return parseSbatchParsable(res.stdout);
  }

  /**
   * States of the given jobs (array jobs expand to their tasks), keyed by `jobKey`.
   * One squeue call for all; one scontrol call per job that squeue no longer lists.
   */
  async states(jobIds: readonly number[]): Promise<Map<string, JobState>> {
    const out = new Map<string, JobState>();
    if (jobIds.length === 0) return out;
    const ids = [...new Set(jobIds)];
    const res = await this.shell.run('squeue', ['-h', '-r', '-o', SQUEUE_FORMAT, '-j', ids.join(',')]);
    // squeue exits 1 with "Invalid job id specified" when every listed job has left the controller.
    if (res.code !== 0 && !/Invalid job id/i.test(res.stderr)) throw failed('squeue', res);
    const listed = new Set<number>();
    if (res.code === 0) {
      for (const e of parseSqueue(res.stdout)) {
        listed.add(e.jobId);
        out.set(jobKey(e), { state: e.state, mapped: e.mapped, reason: e.reason, exitCode: null });
      }
    }
    for (const id of ids) {
      // squeue lists only active tasks of an array: ended tasks are read from scontrol.
      const shown = await this.shell.run('scontrol', ['show', 'job', '-o', String(id)]);
      if (shown.code !== 0) {
        if (/Invalid job id/i.test(shown.stderr)) continue;
        throw failed('scontrol show job', shown);
      }
      for (const s of scontrolJobStates(shown.stdout)) {
        const key = jobKey(s);
        if (listed.has(id) && out.has(key)) continue;
        out.set(key, { state: s.state, mapped: s.mapped, reason: s.reason, exitCode: s.exitCode });
      }
    }
    return out;
  }

  async cancel(target: SlurmJobRef): Promise<void> {
    const res = await this.shell.run('scancel', [jobKey(target)]);
    if (res.code !== 0) throw failed('scancel', res);
  }

  /** Names of the cluster's partitions (to refuse an unknown one before submitting). */
  async partitions(): Promise<string[]> {
    const res = await this.shell.run('sinfo', ['-h', '-o', '%R']);
    if (res.code !== 0) throw failed('sinfo', res);
    return [...new Set(res.stdout.split(/\r?\n/).map((l) => l.trim()).filter(Boolean))];
  }
}
