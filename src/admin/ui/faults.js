// Faults: add one (API, operation from the spec's list, status / delay / drop, times), list, remove.
import { call } from './api.js';
import { act, h } from './dom.js';

export function mountFaults(panel, ctx) {
  const body = panel.querySelector('.body');
  const api = h('select', { 'aria-label': 'Fault API', required: true }, Object.keys(ctx.apis).map((id) => h('option', { value: id }, id)));
  const operation = h('select', { 'aria-label': 'Fault operation' });
  const status = h('input', { type: 'number', min: 400, max: 599, placeholder: '503', 'aria-label': 'Fault status', class: 'num' });
  const delay = h('input', { type: 'number', min: 0, max: 60000, placeholder: 'ms', 'aria-label': 'Fault delay in ms', class: 'num' });
  const drop = h('input', { type: 'checkbox', 'aria-label': 'Drop the connection' });
  const times = h('input', { type: 'number', min: 1, placeholder: 'always', 'aria-label': 'Fault times', class: 'num' });
  const list = h('ul', { class: 'fault-list' });

  const fillOperations = async () => {
    const ids = await ctx.operationsOf(api.value);
    operation.replaceChildren(h('option', { value: '' }, 'any operation'), ...ids.map((id) => h('option', { value: id }, id)));
  };
  api.addEventListener('change', () => act(panel, fillOperations));

  const form = h('form', { class: 'fault-form', onsubmit: (e) => {
    e.preventDefault();
    act(panel, async () => {
      const fault = { api: api.value };
      if (operation.value) fault.operationId = operation.value;
      if (status.value) fault.status = Number(status.value);
      if (delay.value) fault.delayMs = Number(delay.value);
      if (drop.checked) fault.drop = true;
      if (times.value) fault.times = Number(times.value);
      await call('POST', '/faults', fault);
      await faults.load();
    });
  } },
  h('label', {}, 'API', api), h('label', {}, 'Operation', operation),
  h('label', {}, 'Status', status), h('label', {}, 'Delay', delay), h('label', { class: 'check' }, drop, 'Drop'),
  h('label', {}, 'Times', times), h('button', { type: 'submit', class: 'primary' }, 'Add fault'));
  body.replaceChildren(form, list);

  const faults = {
    async load() {
      if (!operation.options.length) await fillOperations();
      const { faults: all } = await call('GET', '/faults');
      list.replaceChildren(...(all.length === 0 ? [h('li', { class: 'muted' }, 'No faults: every request is answered normally.')] : all.map((f) =>
        h('li', { class: 'fault', 'data-id': f.id },
          h('span', {}, `${f.api ?? 'any API'} · ${f.operationId ?? 'any operation'} → ${[f.status, f.delayMs !== undefined ? `${f.delayMs} ms delay` : '', f.drop ? 'drop' : ''].filter(Boolean).join(', ')}${f.times !== undefined ? ` · ${f.times} left` : ''}`),
          h('button', { type: 'button', 'aria-label': `Remove fault ${f.id}`, onclick: () => act(panel, async () => { await call('DELETE', `/faults/${f.id}`); await faults.load(); }) }, 'Remove')))));
    },
  };
  return faults;
}
