/**
 * Which devices (GPUs) the app's jobs may use: every device found by default; the settings
 * (saved in the data folder's settings.json, changed from the hardware panel through
 * `system.setDevices`) or `--devices` narrow it. `--devices` is this process's choice at
 * start; a settings change made while it runs replaces it. Applied to the shared slots
 * (scheduling/device-slots.ts) at once: running jobs keep their device.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { ApiError } from '../../shared/api-error.ts';
import {
  allowedDevicesOf,
  AllowedDevicesSchema,
  deviceId,
  type AllowedDevices,
  type ComputeDevice,
  type DevicesState,
} from '../../shared/compute-devices.ts';
import { describeIssues, issuesOf } from '../../shared/validation.ts';
import { writeFileAtomic } from '../engine/checkpoint/atomic-file.ts';
import type { DeviceSlots } from './scheduling/device-slots.ts';

// Loose: settings other versions wrote are kept when this one saves.
const SettingsFileSchema = z.looseObject({ devices: AllowedDevicesSchema.optional() });

export interface DevicesDeps {
  /** settings.json in the data folder. */
  settingsPath: string;
  found: readonly ComputeDevice[];
  slots: DeviceSlots;
  /** `--devices`, when given. */
  flag?: AllowedDevices | undefined;
  /** What discovery left out, and why. */
  notes?: readonly string[];
}

export class DevicesService {
  private allowed: AllowedDevices;
  private fromFlag: boolean;

  constructor(private readonly deps: DevicesDeps) {
    this.fromFlag = deps.flag !== undefined;
    this.allowed = deps.flag !== undefined ? deps.flag : (readSettings(deps.settingsPath).devices ?? null);
    if (this.fromFlag) this.check(this.allowed, '--devices');
    deps.slots.setUsable(allowedDevicesOf(deps.found, this.allowed));
  }

  state(): DevicesState {
    return {
      found: [...this.deps.found],
      allowed: this.allowed === null ? null : [...this.allowed],
      fromFlag: this.fromFlag,
      used: [...this.deps.slots.usable],
      notes: [...(this.deps.notes ?? [])],
      busy: this.deps.slots.busy.flatMap((s) => (s.device ? [{ device: deviceId(s.device), job: s.holder }] : [])),
    };
  }

  /** Saves the choice in the settings and applies it now. */
  setAllowed(allowed: AllowedDevices): DevicesState {
    this.check(allowed, 'allowed');
    const settings = readSettings(this.deps.settingsPath);
    const text = JSON.stringify({ ...settings, devices: allowed }, null, 2) + '\n';
    writeFileAtomic(this.deps.settingsPath, [new TextEncoder().encode(text)]);
    this.allowed = allowed === null ? null : [...allowed];
    this.fromFlag = false;
    this.deps.slots.setUsable(allowedDevicesOf(this.deps.found, this.allowed));
    return this.state();
  }

  /** Every index must name a device found here. */
  private check(allowed: AllowedDevices, field: string): void {
    if (allowed === null) return;
    const { found } = this.deps;
    const unknown = allowed.filter((i) => !found.some((d) => d.index === i));
    if (unknown.length === 0) return;
    const have = found.length ? `the devices here are ${found.map((d) => `${d.index} (${d.name})`).join(', ')}` : 'no GPU was found on this machine';
    throw new ApiError('invalid_input', `${field}: no device ${unknown.join(', ')}: ${have} (see snca doctor)`);
  }
}

function readSettings(path: string): z.infer<typeof SettingsFileSchema> {
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${err instanceof Error ? err.message : String(err)}); fix or delete it`);
  }
  const parsed = SettingsFileSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path}: ${describeIssues(issuesOf(parsed.error))}; fix or delete it`);
  return parsed.data;
}
