// Accounts: who can sign in to each API, and how, with copy buttons.
import { call } from './api.js';
import { copyButton, h } from './dom.js';

export async function mountAccounts(panel, ctx) {
  const body = panel.querySelector('.body');
  const { accounts } = await call('GET', '/accounts');
  const byApi = new Map();
  for (const account of accounts) byApi.set(account.api, [...(byApi.get(account.api) ?? []), account]);
  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'API' });
  const list = h('div', { class: 'accounts', role: 'tabpanel' });
  const show = (api) => {
    for (const tab of tabs.children) tab.setAttribute('aria-selected', String(tab.dataset.api === api));
    list.replaceChildren(...(byApi.get(api) ?? []).map((account) => card(account, ctx)));
  };
  for (const api of byApi.keys()) {
    tabs.append(h('button', { type: 'button', role: 'tab', 'data-api': api, onclick: () => show(api) }, api));
  }
  body.replaceChildren(tabs, list);
  show([...byApi.keys()][0]);
  return accounts;
}

function card(account, ctx) {
  const base = `${location.origin}${ctx.apis[account.api] ?? ''}`;
  const curl = `curl -s -X ${account.signIn.method} ${base}${account.signIn.path} -H 'Content-Type: application/json' -d '${account.signIn.body.replaceAll("'", "'\\''")}'`;
  return h(
    'article',
    { class: 'account', 'data-user': account.user },
    h('div', { class: 'who' }, h('strong', {}, account.user), copyButton(account.user, `${account.user}`)),
    account.password !== undefined
      ? h('div', { class: 'secret' }, h('span', { class: 'label' }, 'password'), h('code', {}, account.password), copyButton(account.password, `password of ${account.user}`))
      : null,
    h('div', { class: 'flags' }, account.flags.map((f) => h('span', { class: 'flag' }, f))),
    account.note ? h('p', { class: 'note' }, account.note) : null,
    h(
      'div',
      { class: 'actions' },
      copyButton(account.signIn.body, `sign-in body of ${account.user}`, 'Copy body'),
      copyButton(curl, `sign-in curl of ${account.user}`, 'Copy curl'),
      account.command ? copyButton(account.command, `fib-sign command of ${account.user}`, 'Copy fib-sign') : null,
    ),
  );
}
