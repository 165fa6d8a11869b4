/** An in-memory RendererApiClient for store tests: answers are queued per method, events are emitted by hand. */
import type { EventName, EventPayload, MethodInput, MethodName, MethodOutput } from '../../../shared/api.ts';
import type { ConnectionState, FileToPlace, RendererApiClient } from '../../../src-renderer/api/client-types.ts';
import type { PlacedFile, UploadKind, UploadProgress } from '../../../shared/uploads.ts';
import { EventHub } from '../../../src-renderer/api/event-hub.ts';
import type { RunSummary } from '../../../shared/domain.ts';
import type { RunsListCursor, RunsListResult } from '../../../shared/runs-list.ts';

type Responder = (input: unknown) => unknown;

export class FakeClient implements RendererApiClient {
  readonly transport = 'http' as const;
  connection: ConnectionState = 'open';
  readonly calls: { method: MethodName; input: unknown }[] = [];
  private readonly hub = new EventHub((m) => {
    throw new Error(m);
  });
  private readonly responders = new Map<MethodName, Responder>();
  private readonly connectionListeners = new Set<(s: ConnectionState) => void>();

  respond<M extends MethodName>(method: M, fn: (input: MethodInput<M>) => MethodOutput<M> | Promise<MethodOutput<M>>) {
    this.responders.set(method, fn as Responder);
  }

  async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
    this.calls.push({ method, input });
    const r = this.responders.get(method);
    if (!r) throw new Error(`FakeClient: no answer for ${method}`);
    return (await r(input)) as MethodOutput<M>;
  }

  /** Files placed, as the core would find them: under /uploads/ by their name. */
  readonly placed: { name: string; kind: UploadKind }[] = [];

  async placeFile(file: FileToPlace, kind: UploadKind, onProgress?: UploadProgress): Promise<PlacedFile> {
    this.placed.push({ name: file.name, kind });
    onProgress?.(file.size, file.size);
    return { path: `/uploads/${file.name}`, name: file.name, bytes: file.size };
  }

  assetUrl(path: string): string {
    return `http://fake${path}`;
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) {
    return this.hub.on(event, listener);
  }

  /** Emits through the same validation as the real transports. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>) {
    this.hub.dispatch({ event, payload });
  }

  setConnection(s: ConnectionState) {
    this.connection = s;
    for (const l of this.connectionListeners) l(s);
  }

  onConnection(listener: (s: ConnectionState) => void) {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  close() {
    this.setConnection('closed');
  }
}

/** A promise with its resolver, to hold a call in flight while events arrive. */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A runs.list answer holding `runs` (the whole list unless `next` says a page follows). */
export function listPage(runs: RunSummary[], next: RunsListCursor | null = null, total = runs.length): RunsListResult {
  return { runs, total, next };
}
