/** Sends one request and reads the whole answer, with a time limit; a failure is data, not a throw. */
import { mediaTypeOf } from '../engine/body';
import type { LiveRequest } from './fill';

export interface LiveResponse {
  status: number;
  contentType?: string;
  /** Media type without parameters, lower case. */
  mediaType: string;
  text: string;
  setCookies: string[];
  headers: Record<string, string>;
}

export type SendResult = { ok: true; response: LiveResponse } | { ok: false; error: string };

export async function send(request: LiveRequest, timeoutMs: number): Promise<SendResult> {
  try {
    const res = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body === undefined || request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const contentType = res.headers.get('content-type') ?? undefined;
    return {
      ok: true,
      response: {
        status: res.status,
        contentType,
        mediaType: mediaTypeOf(contentType),
        text,
        setCookies: res.headers.getSetCookie(),
        headers: Object.fromEntries(res.headers),
      },
    };
  } catch (err) {
    return { ok: false, error: describeFetchError(err, timeoutMs) };
  }
}

export function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message} (${cause})` : e.message;
}
