/**
 * Electron IPC transport of the contract: one `ipcMain.handle` channel per method (names from
 * transportNames), every payload validated with the method's schema by dispatchCall and
 * answered as a CallResult; bus events forwarded to renderer windows as EventEnvelopes.
 */
import { METHOD_NAMES, transportNames, type ApiHandlers, type CallResult, type EventEnvelope } from '../../shared/api.ts';
import { dispatchCall, type Diagnostics } from '../core/call-dispatch.ts';
import type { EventBus } from '../core/event-bus.ts';
import type { EventTargetContentsLike, IpcInvokeEventLike, IpcMainLike } from './electron-like.ts';

export interface IpcBridgeOptions {
  /**
   * Only frames of our own app may call (e.g. not a page an attacker got navigated to).
   * Required; should a caller still pass none, every call is refused (fail closed).
   */
  isTrustedSender: (event: IpcInvokeEventLike) => boolean;
  diagnostics?: Diagnostics;
}

const REFUSE_ALL = (): boolean => false;

/** Registers a handler for every contract method; returns a function removing them. */
export function registerIpcHandlers(ipcMain: IpcMainLike, handlers: ApiHandlers, options: IpcBridgeOptions): () => void {
  const trusted = typeof options?.isTrustedSender === 'function' ? options.isTrustedSender : REFUSE_ALL;
  const channels = METHOD_NAMES.map((method) => {
    const channel = transportNames.ipcChannel(method);
    ipcMain.handle(channel, async (event, ...args): Promise<CallResult<unknown>> => {
      if (!trusted(event)) {
        options?.diagnostics?.(`refused ${method} from an untrusted frame (${event.senderFrame?.url ?? 'unknown'})`);
        return { ok: false, error: { code: 'unauthorized', message: 'This page may not call SNCA Studio' } };
      }
      return dispatchCall(handlers, method, args[0], options?.diagnostics);
    });
    return channel;
  });
  return () => {
    for (const c of channels) ipcMain.removeHandler(c);
  };
}

/** Sends every bus event to the current renderer targets; returns the unsubscribe function. */
export function forwardEventsToRenderers(bus: EventBus, targets: () => Iterable<EventTargetContentsLike>): () => void {
  return bus.onAny((envelope: EventEnvelope) => {
    for (const contents of targets()) {
      if (contents.isDestroyed()) continue;
      try {
        contents.send(transportNames.ipcEventChannel, envelope);
      } catch {
        // A window closing between isDestroyed() and send(): it no longer needs the event.
      }
    }
  });
}
