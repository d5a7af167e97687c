// Small helpers to build the pages' DOM without innerHTML (no markup from data,
// ever: every value goes in as text).

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// The API's error, as the API gave it: status, code, rule, message (and the
// request id to quote to an operator).
export function errorBox(err) {
  const status = err.status ?? 0;
  const box = h('div', {
    class: 'api-error', role: 'alert',
    'data-status': String(status), 'data-code': err.code || '',
  },
  h('div', {},
    h('span', { class: 'status' }, status ? `HTTP ${status} ` : ''),
    h('span', { class: 'code' }, err.code || 'Error'),
    h('span', { class: 'rule' }, err.rule || '')),
  h('p', { class: 'message' }, err.message || String(err)));
  if (err.details !== undefined && err.details !== null) {
    box.append(h('details', {}, h('summary', {}, 'details'),
      h('pre', { class: 'mono' }, JSON.stringify(err.details, null, 2))));
  }
  if (err.requestId) box.append(h('p', { class: 'muted' }, 'request id ', h('code', {}, err.requestId)));
  return box;
}

export function table(id, caption, columns, rows) {
  const head = h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.title)));
  const body = h('tbody', {}, rows);
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0' },
    h('table', { id }, h('caption', { class: 'skip' }, caption), h('thead', {}, head), body));
}

export function field(label, input, cls) {
  if (!input.id) throw new Error('a field needs an id');
  return h('div', { class: cls ? `field ${cls}` : 'field' }, h('label', { for: input.id }, label), input);
}

export const fmt = {
  money(minor, currency) {
    if (minor === null || minor === undefined) return '';
    try {
      return new Intl.NumberFormat('en', { style: 'currency', currency }).format(minor / 100);
    } catch {
      return `${(minor / 100).toFixed(2)} ${currency}`;
    }
  },
  instant(s) { return s ? s.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC') : ''; },
  value(v) {
    if (v === null || v === undefined) return '—';
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  },
};

export function actorText(actor) {
  if (!actor) return 'the ledger (time-driven work)';
  const who = actor.user || (actor.partner_id ? `a user of partner ${actor.partner_id}` : 'unknown');
  const roles = Array.isArray(actor.roles) && actor.roles.length ? ` (${actor.roles.join(', ')})` : '';
  return who + roles;
}

// Runs `work` with the page marked busy; an error lands in `errors` (cleared
// first) as the API gave it. Returns false when it failed.
export async function working(errors, work) {
  const main = document.getElementById('page');
  main.setAttribute('aria-busy', 'true');
  clear(errors);
  try {
    await work();
    return true;
  } catch (err) {
    errors.append(errorBox(err));
    return false;
  } finally {
    main.setAttribute('aria-busy', 'false');
  }
}

// `YYYY-MM-DD` of a Date, in UTC.
export const isoDate = (d) => d.toISOString().slice(0, 10);
