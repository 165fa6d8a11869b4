/**
 * A small hash router: a handful of screens do not need vue-router. Routes are `#/runs`,
 * `#/runs/new`, `#/runs/<id>`, `#/table` (the queryable runs table), `#/clusters`, `#/models`,
 * `#/compare?runs=a,b,c`, `#/compare-checkpoints?ids=1,2&models=m` (checkpoints, then imported models) and `#/gallery`; the hash keeps reloads and Electron's protocol loading simple.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { RunIdSchema } from '../../shared/domain.ts';
import { ModelIdSchema } from '../../shared/models.ts';

export type Route =
  | { view: 'runs' }
  | { view: 'new-run'; preset?: string }
  | { view: 'run'; id: string }
  | { view: 'table' }
  | { view: 'clusters' }
  | { view: 'models' }
  | { view: 'compare'; ids: string[] }
  /** Checkpoint ids, then imported model ids: 2–4 sides in all. */
  | { view: 'compare-checkpoints'; ids: number[]; models?: string[] }
  | { view: 'gallery' };

/** Runs one compare view shows at most. */
export const MAX_COMPARE_RUNS = 50;

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
  if (parts[0] === 'table' && parts.length === 1) return { view: 'table' };
  if (parts[0] === 'clusters' && parts.length === 1) return { view: 'clusters' };
  if (parts[0] === 'gallery' && parts.length === 1) return { view: 'gallery' };
  if (parts[0] === 'models' && parts.length === 1) return { view: 'models' };
  if (parts[0] === 'compare' && parts.length === 1) {
    const ids = (new URLSearchParams(query).get('runs') ?? '').split(',').filter((id) => RunIdSchema.safeParse(id).success);
    return { view: 'compare', ids: [...new Set(ids)].slice(0, MAX_COMPARE_RUNS) };
  }
  if (parts[0] === 'compare-checkpoints' && parts.length === 1) {
    const params = new URLSearchParams(query);
    const ids = [...new Set((params.get('ids') ?? '').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0))].slice(0, 4);
    const models = [...new Set((params.get('models') ?? '').split(',').filter((id) => ModelIdSchema.safeParse(id).success))].slice(0, 4 - ids.length);
    return models.length > 0 ? { view: 'compare-checkpoints', ids, models } : { view: 'compare-checkpoints', ids };
  }
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
    case 'table':
      return '#/table';
    case 'clusters':
      return '#/clusters';
    case 'models':
      return '#/models';
    case 'compare':
      return `#/compare?runs=${route.ids.map(encodeURIComponent).join(',')}`;
    case 'compare-checkpoints':
      return `#/compare-checkpoints?ids=${route.ids.join(',')}${route.models?.length ? `&models=${route.models.join(',')}` : ''}`;
    case 'gallery':
      return '#/gallery';
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
