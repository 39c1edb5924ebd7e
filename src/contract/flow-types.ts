/**
 * The data a flow file (`contract/flows/<api>.yaml`, or a tester's own file given with `--flows`)
 * declares: checks made of steps. `contract/steps.schema.json` is the JSON Schema that validates it (see step-file.ts).
 */

/** What a check is about; the summary groups by it and `--only` can pick a whole kind. */
export type CheckKind = 'schema' | 'flow' | 'negative' | 'stateful' | 'destructive';

/**
 * What a check needs from the run before it can start; without it the check is skipped with a
 * reason. `destructive` is implied by the kind `destructive`.
 */
export type Requirement = 'control' | 'otp' | 'clock' | 'destructive';

export interface FlowFile {
  /** The API the checks are for: `b2core`, `vault`, ... */
  api: string;
  checks: CheckSpec[];
}

export interface CheckSpec {
  /** Unique within the API; the full id is `<api>.<id>`, e.g. `b2core.stateful.refresh-single-use`. */
  id: string;
  title: string;
  kind: CheckKind;
  requires?: Requirement[];
  /** `last`: run after every other check (it locks an account out, say). */
  order?: 'last';
  steps: StepSpec[];
}

export type StepSpec = RequestStep | ActionStep | AssertStep;

interface StepBase {
  /** A label for the step, shown in failures (`step 3 (reuse the refresh token)`). */
  name?: string;
  /** What a failure of this step means, for people: the reason shown first. */
  fail?: string;
}

export interface RequestStep extends StepBase {
  /** `METHOD /path`, the path inside the API (after the target's base URL). */
  request: string;
  /** A JSON body (sent as `application/json` unless `contentType` says otherwise). */
  json?: unknown;
  /** A URL-encoded form body. */
  form?: Record<string, unknown>;
  /** A body sent exactly as written (with `contentType`). */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** `Authorization: Bearer <value>`. */
  bearer?: string;
  /** `Authorization: Basic base64(user:password)`. */
  basic?: { user: string; password: string };
  /** Send the check's cookie jar (default true). The jar always takes the response's cookies. */
  cookies?: boolean;
  /** Send the same request this many times; each answer must meet `expect`. */
  repeat?: number | string;
  expect?: Expectation;
  /** Values to keep for later steps: name → `body.a.b`, `header.x`, `cookie.name`, `status`. */
  save?: Record<string, string>;
}

export interface ActionStep extends StepBase {
  /** A step that needs code: `otp`, `fib-sign`, `ws`, `clock` (see `actions.ts`). */
  do: string;
  with?: Record<string, unknown>;
  /** The action's result is the `body`. */
  expect?: Pick<Expectation, 'body'>;
  save?: Record<string, string>;
}

export interface AssertStep extends StepBase {
  /** `differ: [a, b]` or `equal: [a, b]` after interpolation. */
  assert: { differ?: [unknown, unknown]; equal?: [unknown, unknown] };
}

export interface Expectation {
  /** One status, a list, or `documented` (any status the spec documents for the operation); without it, any 2xx. */
  status?: number | number[] | 'documented';
  /** A JSON body that contains this (objects: these keys; arrays: same length, each item matches). */
  body?: unknown;
  /** A text body equal to this. */
  text?: unknown;
  /** Response headers (lower case names) matching these values. */
  headers?: Record<string, unknown>;
  /** Fields that must be there: `body.a.b`, `header.x`, `cookie.name`. */
  present?: string[];
  /** Fields that must not be there. */
  absent?: string[];
}
