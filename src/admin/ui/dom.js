// Small DOM helpers: no framework, so that the console stays a few readable files.

/** h('button', { class: 'x', onclick }, 'text', child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) if (child !== undefined && child !== null && child !== false) el.append(child);
  return el;
}

/** Writes `text` to the clipboard; falls back to a hidden text area off a secure context. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h('textarea', { class: 'offscreen' }, text);
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
}

/** A button that copies `text`, says so for a moment, and is named for screen readers. */
export function copyButton(text, what = 'value', label = 'Copy') {
  const button = h('button', { type: 'button', class: 'copy', 'aria-label': `Copy ${what}`, title: `Copy ${what}` }, label);
  button.addEventListener('click', async () => {
    await copyText(text);
    button.textContent = 'Copied';
    button.classList.add('done');
    setTimeout(() => {
      button.textContent = label;
      button.classList.remove('done');
    }, 1200);
  });
  return button;
}

/** `1d 2h`, `5m 03s`: the time left until a deadline, to the second when short. */
export function timeLeft(ms) {
  if (ms <= 0) return 'expired';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${hours}h`;
  if (hours > 0) return `${hours}h ${String(m).padStart(2, '0')}m`;
  return `${m}m ${String(sec).padStart(2, '0')}s`;
}

/** `14:05:09` in local time. */
export function clockTime(iso) {
  return new Date(iso).toLocaleTimeString([], { hour12: false });
}

/** Shows `message` in the panel's error line (or clears it). */
export function showError(panel, message = '') {
  let line = panel.querySelector(':scope > .error');
  if (!line) {
    line = h('p', { class: 'error', role: 'alert' });
    panel.append(line);
  }
  line.textContent = message;
}

/** Runs an action from a button: errors go to the panel's error line. */
export async function act(panel, action) {
  try {
    showError(panel);
    await action();
  } catch (err) {
    showError(panel, err.message);
  }
}
