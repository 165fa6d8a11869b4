/** Listener registry for contract events: envelopes are validated before anyone sees them. */
import { EventEnvelopeSchema, events, type EventName, type EventPayload } from '../../shared/api.ts';

type AnyListener = (payload: unknown) => void;

export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(events, name);
}

export class EventHub {
  private readonly listeners = new Map<EventName, Set<AnyListener>>();

  constructor(private readonly warn: (message: string) => void = (m) => console.warn(m)) {}

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const l = listener as AnyListener;
    set.add(l);
    return () => {
      set.delete(l);
    };
  }

  get size(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }

  /** Dispatches an envelope (already JSON-decoded); unknown events and bad payloads are dropped. */
  dispatch(raw: unknown): void {
    const env = EventEnvelopeSchema.safeParse(raw);
    if (!env.success) {
      this.warn('snca: dropped a malformed event envelope');
      return;
    }
    const name = env.data.event;
    if (!isEventName(name)) return; // a newer server may send events this build does not know
    const payload = events[name].safeParse(env.data.payload);
    if (!payload.success) {
      this.warn(`snca: dropped a malformed '${name}' event: ${payload.error.issues[0]?.message ?? ''}`);
      return;
    }
    const set = this.listeners.get(name);
    if (!set) return;
    for (const l of [...set]) {
      try {
        l(payload.data);
      } catch (err) {
        this.warn(`snca: a '${name}' listener threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
