/** The renderer's view of a client: the contract's ApiClient plus the state of its event link. */
import type { ApiClient } from '../../shared/api.ts';

/**
 * 'open': events flow. 'connecting': first attempt. 'reconnecting': the link dropped and is
 * being retried with backoff (events may have been missed; stores resync when it reopens).
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface RendererApiClient extends ApiClient {
  readonly transport: 'ipc' | 'http';
  readonly connection: ConnectionState;
  /** Called with every state change; returns an unsubscribe function. */
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /**
   * The URL of a file route of the app (a thumbnail: shared/thumbnails.ts), with the access
   * token where the transport needs one, for `<img src>` which cannot send headers.
   */
  assetUrl(path: string): string;
  /** Stops the event link for good (tests, page unload). */
  close(): void;
}
