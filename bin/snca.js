#!/usr/bin/env node
// `snca`: runs the built CLI (dist/main/cli.js) or, in a clone without a build, the TypeScript
// sources through tsx (a dependency). SNCA_FROM_SOURCE=1 forces the sources.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/main/cli.js', import.meta.url);
if (process.env.SNCA_FROM_SOURCE !== '1' && existsSync(fileURLToPath(built))) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src-main/cli/main.ts', import.meta.url).href);
}
