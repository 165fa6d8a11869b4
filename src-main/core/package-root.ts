/**
 * The package folder. This module sits two levels below it both in the sources
 * (src-main/core/) and, once bundled, in dist/main/<bundle>.js, so one relative URL works for both.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where `npm run build` puts the renderer: the files both shells serve. */
export const DEFAULT_RENDERER_DIR = join(PACKAGE_ROOT, 'dist', 'renderer');
