/** Facts about this installation for `system.info`. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { BackendName } from '../../shared/domain.ts';
import { PACKAGE_ROOT } from './package-root.ts';

const PackageJsonSchema = z.object({ version: z.string() });

export function appVersion(root: string = PACKAGE_ROOT): string {
  try {
    const parsed = PackageJsonSchema.safeParse(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')));
    return parsed.success ? parsed.data.version : '0.0.0-unknown';
  } catch {
    return '0.0.0-unknown';
  }
}

/**
 * The backend new runs will use: the forced one, else the best installed one, else plain
 * cpu. An installed webgpu is skipped: whether it runs depends on the adapter the worker
 * finds (hardware only, unless forced), which the worker reports when it starts.
 */
export function defaultBackend(installed: readonly BackendName[], forced?: BackendName): BackendName {
  return forced ?? installed.find((name) => name !== 'webgpu') ?? 'cpu';
}
