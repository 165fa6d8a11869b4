/**
 * The GPUs a machine offers its job queue: each is one slot, taken by one training run,
 * evaluation or embedding job at a time. A device is reached through one route:
 * - `cuda`: tfjs-node-gpu, pinned with CUDA_VISIBLE_DEVICES (its index is nvidia-smi's);
 * - `webgpu`: Dawn, pinned by adapter name (its index is the order Dawn lists adapters in).
 * A machine without devices keeps one unpinned training slot per process.
 */
import { z } from 'zod';

export const DEVICE_ROUTES = ['cuda', 'webgpu'] as const;
export const DeviceRouteSchema = z.enum(DEVICE_ROUTES);
export type DeviceRoute = z.infer<typeof DeviceRouteSchema>;

export const ComputeDeviceSchema = z.object({
  route: DeviceRouteSchema,
  /** What `--devices` and the settings name it by: nvidia-smi's index, or Dawn's adapter order. */
  index: z.int().min(0),
  /** "NVIDIA A100-SXM4-80GB"; for webgpu also what the adapter is chosen by. */
  name: z.string().min(1),
});
export type ComputeDevice = z.infer<typeof ComputeDeviceSchema>;

/** "cuda:1", "webgpu:0": how logs and the hardware panel name a device. */
export function deviceId(d: Pick<ComputeDevice, 'route' | 'index'>): string {
  return `${d.route}:${d.index}`;
}

/** The device indices the app may use; null: every device found. */
export const AllowedDevicesSchema = z.array(z.int().min(0)).nullable();
export type AllowedDevices = z.infer<typeof AllowedDevicesSchema>;

export const DevicesStateSchema = z.object({
  /** Every device found on this machine. */
  found: z.array(ComputeDeviceSchema),
  /** The indices allowed by the settings (null: all). */
  allowed: AllowedDevicesSchema,
  /** Set when `--devices` was given: it wins over the settings until the app restarts. */
  fromFlag: z.boolean(),
  /** The devices jobs run on now: `found` filtered by the allowed indices. */
  used: z.array(ComputeDeviceSchema),
  /** Devices discovery left out, or why none was looked for. */
  notes: z.array(z.string()),
  /** The device each running job holds. */
  busy: z.array(z.object({ device: z.string(), job: z.string() })),
});
export type DevicesState = z.infer<typeof DevicesStateSchema>;

export class DeviceListError extends Error {
  override readonly name = 'DeviceListError';
}

/**
 * Parses `--devices`: "all", or a comma-separated list of device indices ("1,3"). Throws a
 * DeviceListError naming the part that is not an index.
 */
export function parseDeviceList(text: string): AllowedDevices {
  const t = text.trim();
  if (t === 'all') return null;
  const parts = t.split(',').map((p) => p.trim());
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,4}$/.test(p)) throw new DeviceListError(`"${p}" is not a device index: give "all" or indices such as 0,2 (see snca doctor)`);
    const n = Number(p);
    if (!out.includes(n)) out.push(n);
  }
  return out.sort((a, b) => a - b);
}

/** The devices of `found` that `allowed` lets the app use. */
export function allowedDevicesOf(found: readonly ComputeDevice[], allowed: AllowedDevices): ComputeDevice[] {
  return allowed === null ? [...found] : found.filter((d) => allowed.includes(d.index));
}
