/**
 * Slurm's commands over a cluster shell: submit a rendered script, read the state of many
 * jobs in one batched call, cancel. Job states come from `squeue` while a job is pending or
 * running, and from `scontrol show job` for jobs squeue no longer lists (the controller keeps
 * ended jobs for MinJobAge); a job neither knows has ended in a state the app can no longer learn.
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
   * States of the given jobs, keyed by `jobKey`: one squeue call for all, then one
   * `scontrol show job` call per job that squeue does not account for. A ref (job, or one task
   * of an array) is accounted for when squeue lists it; a bare job id asks for every task of
   * the job, so scontrol is always asked about it (squeue lists only an array's active tasks).
   * While every followed job is pending or running, a poll is one squeue call.
   */
  async states(jobs: readonly (number | SlurmJobRef)[]): Promise<Map<string, JobState>> {
    const out = new Map<string, JobState>();
    if (jobs.length === 0) return out;
    const refs = jobs.map((j) => (typeof j === 'number' ? { jobId: j, arrayTask: null, whole: true } : { ...j, whole: false }));
    const ids = [...new Set(refs.map((r) => r.jobId))];
    const res = await this.shell.run('squeue', ['-h', '-r', '-o', SQUEUE_FORMAT, '-j', ids.join(',')]);
    // squeue exits 1 with "Invalid job id specified" when every listed job has left the controller.
    if (res.code !== 0 && !/Invalid job id/i.test(res.stderr)) throw failed('squeue', res);
    if (res.code === 0) {
      for (const e of parseSqueue(res.stdout)) out.set(jobKey(e), { state: e.state, mapped: e.mapped, reason: e.reason, exitCode: null });
    }
    const unaccounted = new Set(refs.filter((r) => r.whole || !out.has(jobKey(r))).map((r) => r.jobId));
    for (const id of unaccounted) {
      const shown = await this.shell.run('scontrol', ['show', 'job', '-o', String(id)]);
      if (shown.code !== 0) {
        if (/Invalid job id/i.test(shown.stderr)) continue;
        throw failed('scontrol show job', shown);
      }
      for (const s of scontrolJobStates(shown.stdout)) {
        const key = jobKey(s);
        // squeue's view of a task it still lists is the newer one.
        if (out.has(key)) continue;
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
