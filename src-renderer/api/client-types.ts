/** The renderer's view of a client: the contract's ApiClient plus the state of its event link. */
import type { ApiClient } from '../../shared/api.ts';
import type { PlacedFile, UploadKind, UploadProgress } from '../../shared/uploads.ts';

/** The part of a browser File the clients use (a File is one). */
export interface FileToPlace {
  readonly name: string;
  readonly size: number;
}

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
  /**
   * Makes a file of the page available to the core and gives its path there: in the desktop
   * window the file's own path (nothing is copied); in serve mode the file is sent
   * (shared/uploads.ts), with progress, and stored on the server. Rejects with an ApiError
   * naming the file when it is too large, of the wrong type, or the upload failed.
   */
  placeFile(file: FileToPlace, kind: UploadKind, onProgress?: UploadProgress): Promise<PlacedFile>;
  /** Stops the event link for good (tests, page unload). */
  close(): void;
}
