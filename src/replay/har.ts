/**
 * HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), the part authdouble reads and writes.
 * Browsers' dev tools export it; `authdouble record` writes it; `authdouble replay` reads it.
 */

export interface HarNameValue {
  name: string;
  value: string;
  comment?: string;
}

export interface HarCookie extends HarNameValue {
  path?: string;
  domain?: string;
  expires?: string;
  httpOnly?: boolean;
  secure?: boolean;
}

export interface HarPostData {
  mimeType: string;
  text?: string;
  params?: HarNameValue[];
  comment?: string;
}

export interface HarRequest {
  method: string;
  url: string;
  httpVersion: string;
  cookies: HarCookie[];
  headers: HarNameValue[];
  queryString: HarNameValue[];
  postData?: HarPostData;
  headersSize: number;
  bodySize: number;
  comment?: string;
}

export interface HarContent {
  size: number;
  mimeType: string;
  text?: string;
  encoding?: string;
  comment?: string;
}

export interface HarResponse {
  status: number;
  statusText: string;
  httpVersion: string;
  cookies: HarCookie[];
  headers: HarNameValue[];
  content: HarContent;
  redirectURL: string;
  headersSize: number;
  bodySize: number;
  comment?: string;
}

export interface HarTimings {
  blocked?: number;
  dns?: number;
  connect?: number;
  send: number;
  wait: number;
  receive: number;
  ssl?: number;
}

/**
 * One WebSocket frame, as Chromium's dev tools export them on the upgrade request's entry
 * (`_webSocketMessages`): `time` is the wall clock in seconds there (Playwright's `recordHar` writes
 * milliseconds), `opcode` 1 is text and 2 binary (`data` in base64), 8 a close frame.
 */
export interface HarWebSocketMessage {
  type: 'send' | 'receive';
  time: number;
  opcode: number;
  data: string;
}

export interface HarEntry {
  pageref?: string;
  startedDateTime: string;
  time: number;
  request: HarRequest;
  response: HarResponse;
  cache: Record<string, unknown>;
  timings: HarTimings;
  comment?: string;
  /** Chromium's resource type; `websocket` for an upgrade request. */
  _resourceType?: string;
  /** The frames of a WebSocket opened by this (upgrade) request, both ways, in order. */
  _webSocketMessages?: HarWebSocketMessage[];
}

/** authdouble's own note in the log (HAR allows custom fields that start with `_`). */
export interface HarAuthdoubleInfo {
  /** The API the recorded requests are for. */
  api: string;
  /** The base URL the API's spec paths were appended to, e.g. `https://api.example.com/b2core`. */
  baseUrl: string;
  /** Whether secrets were replaced by markers. */
  redacted: boolean;
}

export interface HarLog {
  version: string;
  creator: { name: string; version: string; comment?: string };
  browser?: { name: string; version: string };
  pages?: Array<Record<string, unknown>>;
  entries: HarEntry[];
  comment?: string;
  _authdouble?: HarAuthdoubleInfo;
}

export interface Har {
  log: HarLog;
}

/** A header's value (the first one, by case-insensitive name), or undefined. */
export function headerValue(headers: HarNameValue[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === lower)?.value;
}

/** Every value of a header (Set-Cookie comes once per cookie). */
export function headerValues(headers: HarNameValue[], name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter((h) => h.name.toLowerCase() === lower).map((h) => h.value);
}
