/**
 * The core options of a command that trains here: the GPUs are discovered (one job per
 * device, see core/device-discovery.ts) unless the context injects its own, and `--devices`
 * narrows them for this process.
 */
import type { AllowedDevices } from '../../shared/compute-devices.ts';
import type { CoreOptions } from '../core/core.ts';
import type { CliContext } from './cli-context.ts';

export function deviceCoreOptions(ctx: CliContext, devices: AllowedDevices | undefined): Pick<CoreOptions, 'devices' | 'allowedDevices'> {
  return { devices: ctx.coreOptions.devices ?? 'discover', ...(devices !== undefined ? { allowedDevices: devices } : {}) };
}
