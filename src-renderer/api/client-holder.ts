/** The one client of this page, set at start-up (main.ts) or by a test before stores are used. */
import type { RendererApiClient } from './client-types.ts';

let current: RendererApiClient | null = null;

export function setApiClient(client: RendererApiClient | null): void {
  current = client;
}

export function useApiClient(): RendererApiClient {
  if (!current) throw new Error('snca: the api client is used before setApiClient()');
  return current;
}
