/**
 * Commander argument parsers. Each throws InvalidArgumentError, which commander reports as
 * "option '--epochs <n>' argument 'abc' is invalid. <reason>" — the flag is always named.
 */
import { DeviceListError, parseDeviceList, type AllowedDevices } from '../../shared/compute-devices.ts';
import { InvalidArgumentError } from 'commander';
import { BACKEND_NAMES, type BackendName } from '../../shared/domain.ts';

export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const trimmed = value.trim();
    if (!/^[+-]?\d+$/.test(trimmed)) throw new InvalidArgumentError(`Expected a whole number between ${min} and ${max}.`);
    const n = Number(trimmed);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`Expected a whole number between ${min} and ${max}.`);
    return n;
  };
}

export function positiveNumberUpTo(max: number): (value: string) => number {
  return (value) => {
    const trimmed = value.trim();
    const n = trimmed === '' ? NaN : Number(trimmed);
    if (!Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`Expected a number greater than 0 and at most ${max}.`);
    return n;
  };
}

/** `--devices`: "all" or device indices such as 1,3 (snca doctor and the hardware panel list them). */
export function deviceList(value: string): AllowedDevices {
  try {
    return parseDeviceList(value);
  } catch (err) {
    if (err instanceof DeviceListError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

export function backendName(value: string): BackendName {
  const v = value.trim();
  if (!(BACKEND_NAMES as readonly string[]).includes(v)) throw new InvalidArgumentError(`Expected one of: ${BACKEND_NAMES.join(', ')}.`);
  return v as BackendName;
}

export function nonEmptyText(maxLength: number): (value: string) => string {
  return (value) => {
    const v = value.trim();
    if (v.length === 0) throw new InvalidArgumentError('Expected a non-empty text.');
    if (v.length > maxLength) throw new InvalidArgumentError(`Expected at most ${maxLength} characters.`);
    return v;
  };
}

/** A finite number in [min, max] (0 allowed when min is 0: weight decay, margin, momentum). */
export function numberIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const trimmed = value.trim();
    const n = trimmed === '' ? NaN : Number(trimmed);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`Expected a number between ${min} and ${max}.`);
    return n;
  };
}

export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    const v = value.trim();
    if (!(choices as readonly string[]).includes(v)) throw new InvalidArgumentError(`Expected one of: ${choices.join(', ')}.`);
    return v as T;
  };
}
