/** Electron transport: the preload's named functions, one per contract method. */
import type { EventName, EventPayload, MethodInput, MethodName, MethodOutput, PreloadBridge } from '../../shared/api.ts';
import { ApiError } from '../../shared/api-error.ts';
import { checkInput, unwrapCallResult } from './call-result.ts';
import type { ConnectionState, FileToPlace, RendererApiClient } from './client-types.ts';
import { EventHub } from './event-hub.ts';

/** `pathOfFile`: where a File of the page is on disk (the desktop bridge), null when it has no path. */
export function createIpcClient(bridge: PreloadBridge, pathOfFile: (file: FileToPlace) => string | null = () => null): RendererApiClient {
  const hub = new EventHub();
  let state: ConnectionState = 'open';
  const unsubscribe = bridge.onEvent((envelope) => hub.dispatch(envelope));
  const connectionListeners = new Set<(s: ConnectionState) => void>();

  return {
    transport: 'ipc',
    get connection() {
      return state;
    },
    async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
      checkInput(method, input);
      const fn = bridge.methods[method] as ((i: MethodInput<M>) => Promise<unknown>) | undefined;
      if (typeof fn !== 'function') throw new ApiError('unavailable', `The app does not offer ${method}`);
      let raw: unknown;
      try {
        raw = await fn(input);
      } catch (err) {
        throw new ApiError('unavailable', `${method} failed in the app: ${err instanceof Error ? err.message : String(err)}`);
      }
      return unwrapCallResult(method, raw);
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) {
      return hub.on(event, listener);
    },
    // The page itself is on snca://app, whose protocol handler serves these paths.
    assetUrl(path) {
      return path;
    },
    // The core runs on this machine: a dropped or chosen file is used where it is.
    placeFile(file, _kind, onProgress) {
      const path = pathOfFile(file);
      if (path === null) return Promise.reject(new ApiError('invalid_input', `${file.name} has no path on this machine; save it to a folder first.`));
      onProgress?.(file.size, file.size);
      return Promise.resolve({ path, name: file.name, bytes: file.size });
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    close() {
      unsubscribe();
      state = 'closed';
      for (const l of connectionListeners) l(state);
    },
  };
}
