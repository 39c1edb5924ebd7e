// Tokens and sessions: live sign-in sessions (token families) per API and user, expiry counting
// down on the session's virtual clock, and a button that ends one.
import { call } from './api.js';
import { act, h, timeLeft } from './dom.js';

export function mountTokens(panel, ctx) {
  const body = panel.querySelector('.body');
  let tokens = [];
  let reloading = false;

  /** The user's e-mail or login when it is a fixture account, else the token's subject. */
  const nameOf = (f) => ctx.accounts.find((a) => a.api === f.api && a.subject === f.subject)?.user ?? f.subject;

  function render() {
    const families = new Map();
    for (const t of tokens) {
      const key = `${t.api} ${t.session}`;
      if (!families.has(key)) families.set(key, { api: t.api, subject: t.subject, session: t.session, tokens: [] });
      families.get(key).tokens.push(t);
    }
    if (families.size === 0) {
      body.replaceChildren(h('p', { class: 'muted' }, 'No live tokens. Sign in to any API and its session shows here.'));
      return;
    }
    body.replaceChildren(h('ul', { class: 'families' }, [...families.values()].map((f) =>
      h('li', { class: 'family', 'data-api': f.api, 'data-session': f.session },
        h('div', { class: 'meta' }, h('span', { class: 'api' }, f.api), h('strong', {}, nameOf(f)), h('code', { title: `sign-in session ${f.session}` }, f.session.slice(0, 8))),
        h('ul', { class: 'kinds' }, f.tokens.map((t) =>
          h('li', {}, h('span', { class: 'kind' }, t.kind), h('span', { class: 'left', 'data-expires': t.expiresAt }, '')))),
        h('button', { type: 'button', class: 'danger', onclick: () => act(panel, async () => { await call('DELETE', `/tokens/${f.api}/${encodeURIComponent(f.session)}`); await api.load(); }) }, 'End session')))));
    tick();
  }

  /** Counts down every second without asking the server; a token that runs out makes it look again. */
  function tick() {
    const now = ctx.now();
    let expired = false;
    for (const el of body.querySelectorAll('[data-expires]')) {
      const left = Date.parse(el.dataset.expires) - now;
      el.textContent = timeLeft(left);
      if (left <= 0) expired = true;
    }
    if (expired && !reloading) {
      reloading = true;
      api.load().finally(() => (reloading = false));
    }
  }
  setInterval(tick, 1000);

  const api = {
    async load() {
      ({ tokens } = await call('GET', '/tokens'));
      render();
    },
    render,
  };
  return api;
}
