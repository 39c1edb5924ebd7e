// Reset: one API or everything back to the fixtures, after a confirmation.
import { call } from './api.js';
import { act, h } from './dom.js';

export function mountReset(panel, ctx) {
  const body = panel.querySelector('.body');
  const api = h('select', { 'aria-label': 'What to reset' }, h('option', { value: '' }, 'everything'), Object.keys(ctx.apis).map((id) => h('option', { value: id }, id)));
  const button = h('button', { type: 'button', class: 'danger', onclick: () => {
    const what = api.value ? `the ${api.value} state (tokens, sign-ups, messages)` : 'everything in this session (all APIs, the journal, the faults, the clock)';
    if (!confirm(`Reset ${what} back to the fixtures?`)) return;
    act(panel, async () => {
      await call('POST', `/reset${api.value ? `?api=${encodeURIComponent(api.value)}` : ''}`);
      await ctx.reload();
    });
  } }, 'Reset…');
  body.replaceChildren(h('p', { class: 'muted' }, 'Back to the fixtures, for the chosen state session.'), h('div', { class: 'row' }, api, button));
}
