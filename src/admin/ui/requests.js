// Requests: the journal, newest first, live over the event stream; a row opens the exchange.
import { call } from './api.js';
import { clockTime, copyButton, h } from './dom.js';

const MAX_ROWS = 500;

export function mountRequests(panel, ctx) {
  const body = panel.querySelector('.body');
  let entries = [];
  let selected;
  const api = h('select', { 'aria-label': 'Filter by API' }, h('option', { value: '' }, 'all APIs'), Object.keys(ctx.apis).map((id) => h('option', { value: id }, id)));
  const status = h('input', { type: 'search', inputmode: 'numeric', placeholder: 'status, 4xx', 'aria-label': 'Filter by status', size: 8 });
  const path = h('input', { type: 'search', placeholder: 'path contains', 'aria-label': 'Filter by path' });
  const count = h('span', { class: 'muted', 'aria-live': 'polite' });
  const rows = h('tbody');
  const detail = h('div', { class: 'detail', 'aria-live': 'polite' });
  const clear = h('button', { type: 'button', onclick: async () => { await call('DELETE', '/requests'); entries = []; selected = undefined; render(); } }, 'Clear');
  body.replaceChildren(
    h('div', { class: 'filters' }, api, status, path, count, clear),
    h('div', { class: 'scroll' }, h('table', { class: 'journal' },
      h('colgroup', {}, h('col', { class: 'c-time' }), h('col', { class: 'c-api' }), h('col', { class: 'c-method' }), h('col'), h('col', { class: 'c-status' }), h('col', { class: 'c-ms' })),
      h('thead', {}, h('tr', {}, ['time', 'API', 'method', 'path', 'status', 'ms'].map((t) => h('th', { scope: 'col' }, t)))),
      rows)),
    detail,
  );
  for (const input of [api, status, path]) input.addEventListener('input', () => render());

  const matches = (e) => {
    if (api.value && e.api !== api.value) return false;
    const s = status.value.trim().toLowerCase();
    if (s && !String(e.status).startsWith(s.replace(/x+$/, ''))) return false;
    return !path.value || e.path.includes(path.value);
  };
  const row = (e) =>
    h('tr', {
      tabindex: 0,
      'data-id': e.id,
      class: `${e.status >= 400 || e.status === 0 ? 'bad' : ''} ${selected === e.id ? 'selected' : ''}`,
      'aria-selected': String(selected === e.id),
      onclick: () => open(e.id),
      onkeydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); open(e.id); } },
    },
    h('td', {}, clockTime(e.receivedAt)), h('td', {}, e.api), h('td', {}, e.method),
    h('td', { class: 'path', title: e.path }, e.path), h('td', { class: 'status' }, e.status === 0 ? 'drop' : String(e.status)), h('td', {}, String(e.durationMs)));

  function render() {
    const shown = entries.filter(matches);
    count.textContent = `${shown.length} of ${entries.length}`;
    rows.replaceChildren(...shown.map(row));
    const entry = entries.find((e) => e.id === selected);
    detail.replaceChildren(...(entry ? describe(entry, ctx).filter(Boolean) : []));
  }
  function open(id) {
    selected = selected === id ? undefined : id;
    render();
    rows.querySelector(`tr[data-id="${id}"]`)?.focus();
  }

  return {
    async load() {
      const { requests } = await call('GET', '/requests');
      entries = requests.reverse().slice(0, MAX_ROWS);
      selected = undefined;
      render();
    },
    add(entry) {
      if (entries.some((e) => e.id === entry.id)) return;
      entries.unshift(entry);
      entries.length = Math.min(entries.length, MAX_ROWS);
      if (!matches(entry)) {
        count.textContent = `${entries.filter(matches).length} of ${entries.length}`;
        return;
      }
      rows.prepend(row(entry));
      if (rows.children.length > MAX_ROWS) rows.lastElementChild.remove();
      count.textContent = `${entries.filter(matches).length} of ${entries.length}`;
    },
  };
}

function describe(e, ctx) {
  const query = new URLSearchParams(Object.entries(e.query ?? {}).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, String(v)]]))).toString();
  const url = `${location.origin}${ctx.apis[e.api] ?? ''}${e.path}${query ? `?${query}` : ''}`;
  const source = e.responseHeaders?.['x-authdouble-source'];
  const violation = source === 'strict-violation' || (e.status === 400 && /valid/i.test(e.responseBody ?? ''));
  return [
    h('div', { class: 'detail-head' },
      h('strong', {}, `${e.method} ${e.path}`), h('span', { class: 'muted' }, ` → ${e.status === 0 ? 'dropped' : e.status}${e.operationId ? ` · ${e.operationId}` : ''}${source ? ` · ${source}` : ''}`),
      copyButton(curlOf(e, url), 'request as curl', 'Copy as curl')),
    violation ? h('p', { class: 'violation', role: 'note' }, source === 'strict-violation' ? 'The mock\u2019s answer broke the spec (strict mode): ' : 'The request broke the spec: ', detailOf(e.responseBody)) : null,
    h('div', { class: 'exchange' },
      h('section', {}, h('h3', {}, 'Request'), headersOf(e.requestHeaders), pre(e.requestBody)),
      h('section', {}, h('h3', {}, 'Response'), headersOf(e.responseHeaders), pre(e.responseBody))),
  ];
}

function detailOf(body) {
  try {
    const parsed = JSON.parse(body);
    return parsed.detail ?? parsed.message ?? parsed.error_description ?? body;
  } catch {
    return body ?? '';
  }
}

function headersOf(headers = {}) {
  return h('dl', { class: 'headers' }, Object.entries(headers).map(([k, v]) => [h('dt', {}, k), h('dd', {}, Array.isArray(v) ? v.join(', ') : v)]));
}

function pre(text) {
  if (!text) return h('p', { class: 'muted' }, '(no body)');
  let pretty = text;
  try {
    pretty = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON: as received
  }
  return h('pre', {}, pretty);
}

const SKIP = new Set(['host', 'content-length', 'connection', 'accept-encoding']);
const quote = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;

function curlOf(e, url) {
  const parts = ['curl', '-s', '-i', '-X', e.method, quote(url)];
  for (const [k, v] of Object.entries(e.requestHeaders ?? {})) {
    if (SKIP.has(k)) continue;
    for (const value of Array.isArray(v) ? v : [v]) parts.push('-H', quote(`${k}: ${value}`));
  }
  if (e.requestBody) parts.push('--data-raw', quote(e.requestBody));
  return parts.join(' ');
}
