/**
 * worker_thread entry of `system.doctor`: probes every backend (loading native addons and
 * Dawn for good, which is why it is a thread of its own) and posts one report.
 */
import { parentPort } from 'node:worker_threads';
import { chosenBackend, diagnoseBackends } from '../engine/backend-doctor.ts';
import type { DoctorReport } from '../../shared/domain.ts';

const port = parentPort;
if (!port) throw new Error('doctor-worker must run inside a worker_thread');

try {
  const backends = await diagnoseBackends();
  const report: DoctorReport = { backends, chosen: chosenBackend(backends), measuredAt: Date.now(), platform: `${process.platform}-${process.arch}` };
  port.postMessage({ type: 'report', report });
} catch (err) {
  port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
}
