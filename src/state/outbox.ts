import type { Clock } from './clock';

/** A message the mock "sent" (a 2FA code by e-mail, say), kept for tests to read. */
export interface OutboxMessage {
  id: number;
  api: string;
  to: string;
  subject: string;
  text: string;
  /** The one-time code the message carries, when it carries one. */
  code?: string;
  sentAt: string;
}

export type NewMessage = Omit<OutboxMessage, 'id' | 'api' | 'sentAt'>;

/** The newest messages are kept; older ones are dropped past this many, so memory stays bounded. */
export const OUTBOX_CAPACITY = 1000;

/** An outbox as --state-file keeps it. */
export interface OutboxState {
  nextId: number;
  messages: OutboxMessage[];
}

export class Outbox {
  private messages: OutboxMessage[] = [];
  private nextId = 1;

  /** @param onChange called after every change, so that a persister knows the state is dirty. */
  constructor(
    private readonly clock: Clock,
    private readonly onChange: () => void = () => undefined,
  ) {}

  send(api: string, message: NewMessage): OutboxMessage {
    const stored: OutboxMessage = {
      id: this.nextId++,
      api,
      sentAt: new Date(this.clock.now()).toISOString(),
      ...message,
    };
    this.messages.push(stored);
    if (this.messages.length > OUTBOX_CAPACITY) this.messages.splice(0, this.messages.length - OUTBOX_CAPACITY);
    this.onChange();
    return stored;
  }

  /** Messages, oldest first, optionally only one API's or one recipient's (case-insensitive). */
  list(filter: { api?: string; to?: string } = {}): OutboxMessage[] {
    const to = filter.to?.toLowerCase();
    return this.messages.filter(
      (m) => (filter.api === undefined || m.api === filter.api) && (to === undefined || m.to.toLowerCase() === to),
    );
  }

  clear(api?: string): void {
    this.messages = api === undefined ? [] : this.messages.filter((m) => m.api !== api);
    this.onChange();
  }

  get state(): OutboxState {
    return { nextId: this.nextId, messages: [...this.messages] };
  }

  restore(state: OutboxState): void {
    this.nextId = state.nextId;
    this.messages = state.messages.slice(-OUTBOX_CAPACITY);
    this.onChange();
  }
}
