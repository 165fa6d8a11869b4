/**
 * What the preload exposes to the page: one named function per contract method, built by
 * iterating `methods` (never a raw ipcRenderer), and an event subscription that hands the
 * page only the envelope (never Electron's event object, which reaches the sender).
 */
import { METHOD_NAMES, PRELOAD_GLOBAL, transportNames, type CallResult, type EventEnvelope, type PreloadBridge } from '../../shared/api.ts';
import type { ContextBridgeLike, IpcRendererLike, IpcRendererListener } from './electron-like.ts';

function isCallResult(value: unknown): value is CallResult<unknown> {
  if (!value || typeof value !== 'object') return false;
  const v = value as { ok?: unknown; error?: unknown };
  return v.ok === true || (v.ok === false && !!v.error && typeof v.error === 'object');
}

function isEnvelope(value: unknown): value is EventEnvelope {
  return !!value && typeof value === 'object' && typeof (value as { event?: unknown }).event === 'string';
}

export function createPreloadBridge(ipc: IpcRendererLike): PreloadBridge {
  const methods: Record<string, (input: unknown) => Promise<CallResult<unknown>>> = {};
  for (const method of METHOD_NAMES) {
    const channel = transportNames.ipcChannel(method);
    methods[method] = async (input: unknown) => {
      try {
        const answer = await ipc.invoke(channel, input);
        if (isCallResult(answer)) return answer;
        return { ok: false, error: { code: 'internal', message: `Malformed answer to ${method}` } };
      } catch (err) {
        return { ok: false, error: { code: 'unavailable', message: `${method} could not reach the app: ${err instanceof Error ? err.message : String(err)}` } };
      }
    };
  }
  return {
    // Built from the contract's own method list, so the mapped type holds by construction.
    methods: methods as unknown as PreloadBridge['methods'],
    onEvent(listener) {
      const wrapped: IpcRendererListener = (_event, envelope) => {
        if (isEnvelope(envelope)) listener(envelope);
      };
      ipc.on(transportNames.ipcEventChannel, wrapped);
      return () => {
        ipc.removeListener(transportNames.ipcEventChannel, wrapped);
      };
    },
  };
}

export function exposePreloadBridge(contextBridge: ContextBridgeLike, ipc: IpcRendererLike): PreloadBridge {
  const bridge = createPreloadBridge(ipc);
  contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, bridge);
  return bridge;
}
