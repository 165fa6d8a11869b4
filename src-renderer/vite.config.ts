/**
 * Renderer build: `vite build --config src-renderer/vite.config.ts` → dist/renderer, with a
 * relative base so it loads under Electron's snca://app/ protocol and from any path in serve mode.
 * No node: imports here (the renderer's lint rules forbid them); paths come from import.meta.url.
 */
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

function pathOf(relative: string): string {
  const p = decodeURIComponent(new URL(relative, import.meta.url).pathname);
  return /^\/[A-Za-z]:\//.test(p) ? p.slice(1) : p; // Windows: /C:/x → C:/x
}

export default defineConfig({
  root: pathOf('.'),
  base: './',
  plugins: [vue()],
  build: {
    outDir: pathOf('../dist/renderer'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      onwarn(warning, warn) {
        // zod ships comments Rollup cannot place; harmless and not ours to fix
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules/zod/')) return;
        warn(warning);
      },
    },
  },
  server: {
    host: '127.0.0.1',
    fs: { allow: [pathOf('..')] },
  },
});
