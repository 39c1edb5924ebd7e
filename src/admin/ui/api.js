// The console's only way to the server: the documented control API under /__admin.

const TOKEN_KEY = 'authdouble.adminToken';
let session = 'default';
let asking;

export function currentSession() {
  return session;
}

export function setSession(name) {
  session = name;
}

function headers(extra = {}) {
  const h = { ...extra };
  if (session !== 'default') h['X-Authdouble-Session'] = session;
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) h.Authorization = `Bearer ${token}`;
  return h;
}

/** Asks for the admin token (once, however many calls are waiting), and keeps it for the tab. */
function askForToken(wrong) {
  asking ??= new Promise((resolve) => {
    const dialog = document.getElementById('token-dialog');
    const input = document.getElementById('token-input');
    document.getElementById('token-error').textContent = wrong ? 'The server refused that token.' : '';
    dialog.addEventListener(
      'close',
      () => {
        sessionStorage.setItem(TOKEN_KEY, input.value);
        input.value = '';
        asking = undefined;
        resolve();
      },
      { once: true },
    );
    dialog.showModal();
    input.focus();
  });
  return asking;
}

/** A control-API call; a 401 asks for the token and tries again. Resolves to the parsed body, or throws its problem. */
export async function call(method, path, body) {
  for (;;) {
    const init = { method, headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetch(`/__admin${path}`, init);
    if (res.status === 401) {
      await askForToken(sessionStorage.getItem(TOKEN_KEY) !== null);
      continue;
    }
    const text = await res.text();
    const data = text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text;
    if (!res.ok) throw new Error(data?.detail ?? `${method} ${path}: ${res.status}`);
    return data;
  }
}

/**
 * Follows GET /__admin/events (Server-Sent Events, read with fetch so that it can carry the token
 * and session headers). Reconnects after a drop; returns a function that stops it.
 */
export function follow(onEvent, onState) {
  const controller = new AbortController();
  const run = async () => {
    while (!controller.signal.aborted) {
      try {
        const res = await fetch('/__admin/events', { headers: headers({ Accept: 'text/event-stream' }), signal: controller.signal });
        if (res.status === 401) {
          await askForToken(sessionStorage.getItem(TOKEN_KEY) !== null);
          continue;
        }
        if (!res.ok || !res.body) throw new Error(String(res.status));
        onState(true);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const type = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (type && data) onEvent(type, JSON.parse(data));
          }
        }
      } catch {
        if (controller.signal.aborted) return;
      }
      onState(false);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  run();
  return () => controller.abort();
}
