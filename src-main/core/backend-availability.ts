/**
 * Compute backends whose packages are installed, best first. This only resolves package
 * names (cheap, no native code loaded in the main process); the training worker's own
 * backend selection is authoritative and reports what it actually used ('started').
 */
import { BACKEND_NAMES, BACKEND_PACKAGES, type BackendName } from '../../shared/domain.ts';

export function installedBackends(resolve: (specifier: string) => string = (s) => import.meta.resolve(s)): BackendName[] {
  return BACKEND_NAMES.filter((name) => {
    try {
      for (const pkg of BACKEND_PACKAGES[name]) resolve(pkg);
      return true;
    } catch {
      return false;
    }
  });
}
