// The console: wires the panels to the control API and its live event stream.
import { mountAccounts } from './accounts.js';
import { call, currentSession, follow, setSession } from './api.js';
import { mountClock } from './clock.js';
import { act, h } from './dom.js';
import { mountFaults } from './faults.js';
import { mountOutbox } from './outbox.js';
import { mountRequests } from './requests.js';
import { mountReset } from './reset.js';
import { mountTokens } from './tokens.js';

const $ = (id) => document.getElementById(id);
const operations = new Map();

const ctx = {
  /** API id → mount prefix, from the page. */
  apis: JSON.parse(document.body.dataset.apis || '{}'),
  /** The session's clock as last read: `now` at `readAt` (real time), pinned or running. */
  clock: { now: Date.now(), readAt: Date.now(), virtual: false, pinned: false, offsetMs: 0 },
  now() {
    return this.clock.pinned ? this.clock.now : this.clock.now + (Date.now() - this.clock.readAt);
  },
  setClock({ now, virtual, pinned }) {
    const at = Date.now();
    const ms = Date.parse(now);
    this.clock = { now: ms, readAt: at, virtual, pinned: pinned ?? (virtual && this.clock.pinned), offsetMs: ms - at };
    clock.show();
  },
  async operationsOf(api) {
    if (!operations.has(api)) {
      const spec = await call('GET', `/specs/${api}.json`);
      const ids = Object.values(spec.paths ?? {}).flatMap((item) => Object.values(item).map((op) => op?.operationId).filter(Boolean));
      operations.set(api, ids);
    }
    return operations.get(api);
  },
  reload: () => reload(),
  /** The fixture accounts (Accounts panel), to name the users tokens belong to. */
  accounts: [],
};

const requests = mountRequests($('requests'), ctx);
const outbox = mountOutbox($('outbox'), ctx);
const tokens = mountTokens($('tokens'), ctx);
const clock = mountClock($('clock'), ctx);
const faults = mountFaults($('faults'), ctx);
mountReset($('reset'), ctx);

$('docs').append(h('span', { class: 'muted' }, 'API reference:'), ...[...Object.keys(ctx.apis), 'admin'].map((api) => h('a', { href: `/__admin/docs/${api}`, target: '_blank' }, api)));

async function loadSessions() {
  const { sessions } = await call('GET', '/sessions');
  const picker = $('session');
  picker.replaceChildren(...sessions.map((s) => h('option', { value: s.name, selected: s.name === currentSession() }, s.name)));
  const mine = sessions.find((s) => s.name === currentSession());
  if (mine) ctx.setClock(mine);
}

async function reload() {
  await Promise.all([loadSessions(), requests.load(), outbox.load(), tokens.load(), faults.load()]);
}

let stop;
function listen() {
  stop?.();
  let changing;
  stop = follow(
    (type, data) => {
      if (type === 'request') {
        requests.add(data);
      } else if (type === 'change') {
        // Tokens, messages or the clock moved: read them again (coalesced).
        changing ??= Promise.all([outbox.load(), tokens.load(), faults.load(), loadSessions()]).finally(() => (changing = undefined));
      } else if (type === 'sessions') {
        loadSessions();
      }
    },
    (up) => {
      $('live').textContent = up ? 'live' : 'reconnecting…';
      $('live').classList.toggle('up', up);
      // After a drop, what happened meanwhile is read again.
      if (up) reload();
    },
  );
}

$('session').addEventListener('change', (e) => {
  setSession(e.target.value);
  listen();
});

act($('accounts'), async () => {
  ctx.accounts = await mountAccounts($('accounts'), ctx);
  tokens.render();
});
listen();
