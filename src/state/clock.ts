/**
 * Every expiry and rate-limit decision asks a Clock for the time; nothing in behaviour code calls
 * Date.now(). The virtual clock starts as real time and can be moved forward, pinned, or released.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class VirtualClock implements Clock {
  /** Offset added to real time, when running. */
  private offsetMs = 0;
  /** Fixed instant, when pinned with set(). */
  private pinnedAt: number | undefined;

  constructor(private readonly base: Clock = systemClock) {}

  now(): number {
    return this.pinnedAt ?? this.base.now() + this.offsetMs;
  }

  /** Moves time forward (or back, with a negative value) by `ms`. */
  advance(ms: number): void {
    if (this.pinnedAt !== undefined) this.pinnedAt += ms;
    else this.offsetMs += ms;
  }

  /** Pins the clock at an instant: it stays there until advanced or reset. */
  set(epochMs: number): void {
    this.pinnedAt = epochMs;
  }

  /** Back to real time. */
  reset(): void {
    this.offsetMs = 0;
    this.pinnedAt = undefined;
  }

  get isVirtual(): boolean {
    return this.pinnedAt !== undefined || this.offsetMs !== 0;
  }
}
