import type { SpecChecker } from '../engine/spec-checker';
import type { CheckResult } from '../report';
import type { Credentials } from './credentials';

/** What replaying one file needs from the run: where each API is, its spec, and how to fill secrets. */
export interface ReplayEnv {
  /** The base URL the API's spec paths are appended to on the target. */
  baseUrl(api: string): string;
  checker(api: string): SpecChecker;
  credentials: Credentials;
  /** Whether the target answers the control API (so it has an outbox). */
  hasOutbox: boolean;
  /** Headers added to every request (the fresh X-Authdouble-Session). */
  extraHeaders: Record<string, string>;
  timeoutMs: number;
  /** Called as each step finishes (the progress line). */
  onResult?(result: CheckResult): void;
}

/** `3` of `12` → `03`. */
export function stepNumber(index: number, total: number): string {
  return String(index + 1).padStart(String(total).length, '0');
}
