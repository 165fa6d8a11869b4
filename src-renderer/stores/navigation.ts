/**
 * A small hash router: three screens do not need vue-router. Routes are `#/runs`,
 * `#/runs/new` and `#/runs/<id>`; the hash keeps reloads and Electron's file:// loading simple.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { RunIdSchema } from '../../shared/domain.ts';

export type Route = { view: 'runs' } | { view: 'new-run'; preset?: string } | { view: 'run'; id: string };

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#/, '');
  const [path, query = ''] = h.split('?', 2);
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts[0] !== 'runs' || parts.length === 1) return { view: 'runs' };
  if (parts[1] === 'new' && parts.length === 2) {
    const preset = new URLSearchParams(query).get('preset');
    return preset ? { view: 'new-run', preset } : { view: 'new-run' };
  }
  if (parts.length === 2 && RunIdSchema.safeParse(parts[1]).success) return { view: 'run', id: parts[1] };
  return { view: 'runs' };
}

export function formatHash(route: Route): string {
  switch (route.view) {
    case 'runs':
      return '#/runs';
    case 'new-run':
      return route.preset ? `#/runs/new?preset=${encodeURIComponent(route.preset)}` : '#/runs/new';
    case 'run':
      return `#/runs/${encodeURIComponent(route.id)}`;
  }
}

export const useNavigationStore = defineStore('navigation', () => {
  const route = ref<Route>({ view: 'runs' });
  /** Writes the hash; main.ts sets it to the window's location (none under Node tests). */
  let writeHash: (hash: string) => void = () => {};

  function bindLocation(write: (hash: string) => void) {
    writeHash = write;
  }

  /** Called with the current hash on start-up and on every hashchange. */
  function fromHash(hash: string) {
    route.value = parseHash(hash);
  }

  function go(next: Route) {
    route.value = next;
    writeHash(formatHash(next));
  }

  return { route, bindLocation, fromHash, go };
});
