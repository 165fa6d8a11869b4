/**
 * In-process publish/subscribe of the contract's events. Transports subscribe with
 * `onAny` and forward envelopes; a listener that throws is reported, never allowed to
 * break the publisher (the job supervisor) or the other listeners.
 */
import type { EventEnvelope, EventName, EventPayload } from '../../shared/api.ts';

type Listener<E extends EventName> = (payload: EventPayload<E>) => void;
type AnyListener = (envelope: EventEnvelope) => void;

export class EventBus {
  private readonly byEvent = new Map<EventName, Set<(payload: never) => void>>();
  private readonly any = new Set<AnyListener>();

  constructor(private readonly onListenerError: (err: unknown, event: EventName) => void = () => {}) {}

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.byEvent.get(event);
    if (!set) this.byEvent.set(event, (set = new Set()));
    const stored = listener as (payload: never) => void;
    set.add(stored);
    return () => set.delete(stored);
  }

  onAny(listener: AnyListener): () => void {
    this.any.add(listener);
    return () => this.any.delete(listener);
  }

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const l of [...(this.byEvent.get(event) ?? [])]) {
      try {
        (l as Listener<E>)(payload);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
    if (this.any.size === 0) return;
    const envelope = { event, payload } as EventEnvelope;
    for (const l of [...this.any]) {
      try {
        l(envelope);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }

  listenerCount(): number {
    let n = this.any.size;
    for (const s of this.byEvent.values()) n += s.size;
    return n;
  }

  clear(): void {
    this.byEvent.clear();
    this.any.clear();
  }
}
