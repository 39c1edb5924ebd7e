/** A simulated failure for matching requests: a delay, then an error status or a dropped connection. */
export interface FaultSpec {
  api?: string;
  operationId?: string;
  status?: number;
  delayMs?: number;
  drop?: boolean;
  /** Applies to the next this many matching requests, then disappears; forever when absent. */
  times?: number;
}

export interface Fault extends FaultSpec {
  id: number;
}

/** The action to take for one request. */
export type FaultAction = Pick<FaultSpec, 'status' | 'delayMs' | 'drop'>;

/** At most this many faults are in force per session; adding one more is refused. */
export const MAX_FAULTS_PER_SESSION = 100;

/** Faults as a backend keeps them between steps (the Redis store). */
export interface FaultsState {
  nextId: number;
  faults: Fault[];
}

export class Faults {
  private faults: Fault[] = [];
  private nextId = 1;

  /** @param onChange called after every change (the console's live view follows it). */
  constructor(private readonly onChange: () => void = () => undefined) {}

  get state(): FaultsState {
    return { nextId: this.nextId, faults: this.list() };
  }

  restore(state: FaultsState): void {
    this.nextId = state.nextId;
    this.faults = state.faults.map((f) => ({ ...f }));
    this.onChange();
  }

  get count(): number {
    return this.faults.length;
  }

  add(spec: FaultSpec): Fault {
    const fault = { id: this.nextId++, ...spec };
    this.faults.push(fault);
    this.onChange();
    return fault;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  clear(): void {
    this.faults = [];
    this.onChange();
  }

  /** Removes one fault; false when there is none with that id. */
  remove(id: number): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    if (this.faults.length === before) return false;
    this.onChange();
    return true;
  }

  /** The first fault matching this request, counted as used. */
  take(api: string, operationId: string): FaultAction | undefined {
    const index = this.faults.findIndex(
      (f) => (f.api === undefined || f.api === api) && (f.operationId === undefined || f.operationId === operationId),
    );
    const fault = this.faults[index];
    if (!fault) return undefined;
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) this.faults.splice(index, 1);
      this.onChange();
    }
    return { status: fault.status, delayMs: fault.delayMs, drop: fault.drop };
  }
}

/** The header that injects a fault into one request. */
export const FAULT_HEADER = 'x-authdouble-fault';

/**
 * Parses `status=503`, `delay=2000`, `drop`, or several joined with `;` or `,`. Returns an error
 * message for anything else.
 */
export function parseFaultHeader(value: string): FaultAction | { error: string } {
  const action: FaultAction = {};
  for (const part of value.split(/[;,]/).map((p) => p.trim()).filter(Boolean)) {
    const [key, raw = ''] = part.split('=').map((s) => s.trim());
    if (key === 'drop' && raw === '') action.drop = true;
    else if (key === 'status' && /^[45]\d\d$/.test(raw)) action.status = Number(raw);
    else if (key === 'delay' && /^\d{1,5}$/.test(raw) && Number(raw) <= 60000) action.delayMs = Number(raw);
    else return { error: `${FAULT_HEADER}: cannot read "${part}"; use status=<400-599>, delay=<0-60000 ms> or drop` };
  }
  if (action.status === undefined && action.delayMs === undefined && !action.drop) {
    return { error: `${FAULT_HEADER} is empty; use status=<400-599>, delay=<0-60000 ms> or drop` };
  }
  return action;
}
