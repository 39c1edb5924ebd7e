// Outbox: the messages the mock "sent", newest first; a one-time code shows large, with a copy button.
import { call } from './api.js';
import { clockTime, copyButton, h } from './dom.js';

export function mountOutbox(panel) {
  const body = panel.querySelector('.body');
  return {
    async load() {
      const { messages } = await call('GET', '/outbox');
      if (messages.length === 0) {
        body.replaceChildren(h('p', { class: 'muted' }, 'No messages yet. A sign-in that needs a 2FA code puts its e-mail here.'));
        return;
      }
      body.replaceChildren(
        h('ol', { class: 'messages' }, messages.reverse().map((m) =>
          h('li', { class: 'message', 'data-to': m.to },
            h('div', { class: 'meta' }, h('span', { class: 'api' }, m.api), h('span', {}, m.to), h('time', { datetime: m.sentAt }, clockTime(m.sentAt))),
            m.code ? h('div', { class: 'code-row' }, h('output', { class: 'code', 'aria-label': `code for ${m.to}` }, m.code), copyButton(m.code, `code ${m.code}`)) : null,
            h('p', { class: 'text' }, m.subject, ': ', m.text)))),
      );
    },
  };
}
