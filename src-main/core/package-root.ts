/**
 * The package folder. This module sits two levels below it both in the sources
 * (src-main/core/) and, once bundled, in dist/main/<bundle>.js, so one relative URL works for both.
 */
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
