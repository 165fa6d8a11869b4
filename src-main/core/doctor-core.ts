/**
 * The part of the core that `snca doctor` needs: `system.doctor` through the same dispatch as
 * every other call (input and output checked against the contract), without opening the
 * database — so that it runs as is on a cluster's compute node, where the app's database
 * never is (`snca cluster check` runs it there as a short job).
 */
import type { MethodInput, MethodOutput } from '../../shared/api.ts';
import { ApiError } from '../../shared/api-error.ts';
import type { WorkerEntry } from '../workers/worker-entry.ts';
import { dispatchCall, type Diagnostics } from './call-dispatch.ts';
import { DoctorService } from './doctor-service.ts';

export interface DoctorCore {
  call(method: 'system.doctor', input: MethodInput<'system.doctor'>): Promise<MethodOutput<'system.doctor'>>;
}

export function createDoctorCore(options: { doctorWorkerEntry?: WorkerEntry | undefined; diagnostics?: Diagnostics | undefined } = {}): DoctorCore {
  const entry = options.doctorWorkerEntry;
  const doctor = new DoctorService(entry ? () => entry : undefined);
  const handlers = { 'system.doctor': ({ refresh }: { refresh?: boolean | undefined }) => doctor.report(refresh ?? false) };
  return {
    call: async (method, input) => {
      const answer = await dispatchCall(handlers, method, input, options.diagnostics);
      if (!answer.ok) throw ApiError.fromPayload(answer.error);
      // dispatchCall checked the result against the method's output schema.
      return answer.result as MethodOutput<'system.doctor'>;
    },
  };
}
