/**
 * Every expiry and rate-limit decision asks a Clock for the time; nothing in behaviour code calls
 * Date.now(). The virtual clock starts as real time and can be moved forward, pinned, or released.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Where a virtual clock stands, as --state-file keeps it: an offset from real time, or a pinned instant. */
export interface ClockState {
  offsetMs: number;
  pinnedAt?: number;
}

export class VirtualClock implements Clock {
  /** Offset added to real time, when running. */
  private offsetMs = 0;
  /** Fixed instant, when pinned with set(). */
  private pinnedAt: number | undefined;

  /** @param onChange called after every move, so that a persister knows the state is dirty. */
  constructor(
    private readonly base: Clock = systemClock,
    private readonly onChange: () => void = () => undefined,
  ) {}

  now(): number {
    return this.pinnedAt ?? this.base.now() + this.offsetMs;
  }

  /** Moves time forward (or back, with a negative value) by `ms`. */
  advance(ms: number): void {
    if (this.pinnedAt !== undefined) this.pinnedAt += ms;
    else this.offsetMs += ms;
    this.onChange();
  }

  /** Pins the clock at an instant: it stays there until advanced or reset. */
  set(epochMs: number): void {
    this.pinnedAt = epochMs;
    this.onChange();
  }

  /** Real time: where reset() puts the clock. */
  realNow(): number {
    return this.base.now();
  }

  /** Back to real time. */
  reset(): void {
    this.offsetMs = 0;
    this.pinnedAt = undefined;
    this.onChange();
  }

  get state(): ClockState {
    return this.pinnedAt === undefined ? { offsetMs: this.offsetMs } : { offsetMs: this.offsetMs, pinnedAt: this.pinnedAt };
  }

  /** Puts the clock where `state` says (a state from `state`, possibly of an earlier run). */
  restore(state: ClockState): void {
    this.offsetMs = state.offsetMs;
    this.pinnedAt = state.pinnedAt;
    this.onChange();
  }

  get isVirtual(): boolean {
    return this.pinnedAt !== undefined || this.offsetMs !== 0;
  }
}
