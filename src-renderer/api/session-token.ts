/**
 * The serve-mode token: taken from `?token=` when the page is opened, kept in sessionStorage
 * so reloads work, and removed from the visible URL (history, screenshots, shoulder surfing).
 * Structural types keep it testable without a DOM.
 */
export const TOKEN_STORAGE_KEY = 'snca.token';

export interface LocationLike {
  href: string;
}
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}
export interface HistoryLike {
  state: unknown;
  replaceState(data: unknown, unused: string, url?: string | null): void;
}

/** Returns the token (or null) and scrubs it from the address bar. */
export function takeSessionToken(location: LocationLike, storage: StorageLike | null, history: HistoryLike | null): string | null {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    try {
      storage?.setItem(TOKEN_STORAGE_KEY, fromUrl);
    } catch {
      // storage may be disabled; the token then lives only for this page
    }
    url.searchParams.delete('token');
    history?.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
    return fromUrl;
  }
  try {
    return storage?.getItem(TOKEN_STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}
