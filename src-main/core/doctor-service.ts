/**
 * `system.doctor`: the backend table of `snca doctor` and the hardware panel. The probe
 * runs once in a worker thread (workers/doctor-worker.ts: native addons and Dawn load
 * there, never in this thread) and its report is kept until a caller asks for a refresh.
 */
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { DoctorReportSchema, type DoctorReport } from '../../shared/domain.ts';
import { describeIssues, issuesOf } from '../../shared/validation.ts';
import { resolveWorkerEntry, type WorkerEntry } from '../workers/worker-entry.ts';

const FromDoctorWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('report'), report: DoctorReportSchema }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);

export class DoctorError extends Error {
  override readonly name = 'DoctorError';
}

export class DoctorService {
  private cached: Promise<DoctorReport> | null = null;

  constructor(private readonly entry?: () => WorkerEntry) {}

  /** The cached report, or a fresh probe when there is none or `refresh` is set. */
  report(refresh = false): Promise<DoctorReport> {
    if (refresh || !this.cached) {
      const probe = this.probe();
      this.cached = probe;
      // A failed probe is not cached: the next call tries again.
      probe.catch(() => {
        if (this.cached === probe) this.cached = null;
      });
    }
    return this.cached;
  }

  private probe(): Promise<DoctorReport> {
    return new Promise<DoctorReport>((resolve, reject) => {
      let worker: Worker;
      try {
        const entry = this.entry ? this.entry() : resolveWorkerEntry('doctor-worker');
        worker = new Worker(entry.url, { execArgv: entry.execArgv, name: 'doctor' });
      } catch (err) {
        reject(new DoctorError(`Could not start the doctor worker: ${err instanceof Error ? err.message : String(err)}`));
        return;
      }
      let settled = false;
      let crash: string | null = null;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
        void worker.terminate();
      };
      worker.on('message', (raw: unknown) => {
        const m = FromDoctorWorkerSchema.safeParse(raw);
        if (!m.success) {
          const why = describeIssues(issuesOf(m.error));
          settle(() => reject(new DoctorError(`The doctor worker sent an invalid message: ${why}`)));
          return;
        }
        const msg = m.data;
        if (msg.type === 'report') settle(() => resolve(msg.report));
        else settle(() => reject(new DoctorError(`The backend probe failed: ${msg.message}`)));
      });
      worker.on('error', (err) => (crash = err.message));
      worker.on('exit', (code) =>
        settle(() => reject(new DoctorError(crash ? `The doctor worker crashed: ${crash}` : `The doctor worker stopped (code ${code}) without a report.`))));
    });
  }
}
