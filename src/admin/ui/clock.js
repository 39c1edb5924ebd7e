// Clock: the session's time; advance it, pin it, or send it back to real time.
import { call } from './api.js';
import { act, h } from './dom.js';

export function mountClock(panel, ctx) {
  const body = panel.querySelector('.body');
  const time = h('output', { class: 'time', 'aria-live': 'off' });
  const state = h('span', { class: 'muted' });
  const duration = h('input', { type: 'text', value: 'PT15M', 'aria-label': 'Duration (ISO 8601)', pattern: 'P.*', size: 8 });
  const instant = h('input', { type: 'datetime-local', step: 1, 'aria-label': 'Set the clock to' });
  const run = (body) => act(panel, async () => { ctx.setClock(await call('POST', '/clock', body)); });
  body.replaceChildren(
    h('div', { class: 'now' }, time, state),
    h('div', { class: 'row' },
      h('button', { type: 'button', onclick: () => run({ advance: 'PT5M' }) }, '+5 min'),
      h('button', { type: 'button', onclick: () => run({ advance: 'PT1H' }) }, '+1 h'),
      h('button', { type: 'button', onclick: () => run({ advance: 'P1D' }) }, '+1 day')),
    h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); run({ advance: duration.value.trim() }); } },
      duration, h('button', { type: 'submit' }, 'Advance')),
    h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); if (instant.value) run({ set: new Date(instant.value).toISOString() }); } },
      instant, h('button', { type: 'submit' }, 'Set')),
    h('div', { class: 'row' }, h('button', { type: 'button', onclick: () => act(panel, async () => ctx.setClock(await call('DELETE', '/clock'))) }, 'Back to real time')),
  );
  const show = () => {
    // sv-SE writes 2026-01-31 14:05:09: unambiguous, and the same width every second.
    time.textContent = new Date(ctx.now()).toLocaleString('sv-SE');
    const c = ctx.clock;
    state.textContent = !c.virtual ? 'real time' : c.pinned ? 'pinned' : `virtual, ${offset(c.offsetMs)}`;
  };
  setInterval(show, 1000);
  return { show };
}

function offset(ms) {
  const sign = ms < 0 ? '−' : '+';
  const m = Math.round(Math.abs(ms) / 60000);
  const d = Math.floor(m / 1440);
  const hh = Math.floor((m % 1440) / 60);
  return `${sign}${d ? `${d}d ` : ''}${hh}h ${String(m % 60).padStart(2, '0')}m`;
}
