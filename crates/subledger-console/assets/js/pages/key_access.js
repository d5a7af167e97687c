// Key access (KEY-3/4): who revealed keys, downloaded software or copied links,
// filtered, paged, downloadable as the API's own CSV of the page shown, with the
// accesses per day. No key and no fingerprint ever reaches this page: the API's
// log holds neither.

import { get, download } from '../api.js';
import { h, clear, table, field, working, fmt, errorBox } from '../dom.js';
import { dailyBars } from '../charts.js';

const ACTIONS = [['', 'any action'], ['reveal_key', 'reveal key'], ['download', 'download'], ['copy_link', 'copy link']];

export async function render(main, route, ctx) {
  const p = route.params;
  const input = (id, name, attrs = {}) => h('input', { id, name, value: p.get(name) || '', ...attrs });
  const from = input('ka-from', 'from', { type: 'date' });
  const to = input('ka-to', 'to', { type: 'date' });
  const customer = input('ka-customer', 'customer_id', {
    list: 'ka-customers', spellcheck: 'false', placeholder: 'customer id', size: 38,
  });
  const subscription = input('ka-subscription', 'subscription_id', { spellcheck: 'false', placeholder: 'subscription id', size: 38 });
  const user = input('ka-user', 'user', { spellcheck: 'false', placeholder: 'user@example.com' });
  const action = h('select', { id: 'ka-action', name: 'action' },
    ACTIONS.map(([v, label]) => h('option', { value: v, selected: p.get('action') === v }, label)));
  const limit = h('select', { id: 'ka-limit', name: 'limit' },
    ['25', '100', '500'].map((v) => h('option', { value: v, selected: (p.get('limit') || '100') === v }, v)));
  const customers = h('datalist', { id: 'ka-customers' });
  const form = h('form', { id: 'ka-form', class: 'filters', 'aria-label': 'Filters' },
    field('From (date, inclusive)', from), field('To (date, exclusive)', to),
    field('Customer', customer, 'wide'), field('Subscription', subscription, 'wide'),
    field('User', user), field('Action', action), field('Per page', limit),
    h('button', { id: 'ka-apply', type: 'submit' }, 'Apply'), customers);

  const errors = h('div', { id: 'ka-errors' });
  const count = h('p', { id: 'ka-count', 'aria-live': 'polite' });
  const prev = h('button', { id: 'ka-prev', type: 'button', class: 'secondary', disabled: true }, '← Previous page');
  const next = h('button', { id: 'ka-next', type: 'button', class: 'secondary', disabled: true }, 'Next page →');
  const csv = h('button', { id: 'ka-csv', type: 'button', disabled: true }, 'Download this page as CSV');
  const results = h('div', { id: 'ka-results' });
  const chart = h('div', { id: 'ka-chart', class: 'chart' });
  const chartTable = h('details', {}, h('summary', {}, 'Accesses per day as a table'));
  const chartErrors = h('div');

  main.append(
    h('h1', {}, 'Key access'),
    h('p', { class: 'sub' }, 'Every reveal of a software key, download and copied link (KEY-3), as the auditors\' log gives it (KEY-4).'),
    form, errors,
    h('div', { class: 'row' }, count, prev, next, csv), results,
    h('h2', {}, 'Accesses per day'), chartErrors, chart, chartTable);

  // Names for the customer box (best effort: the list is a convenience).
  get('/v1/customers', { limit: 1000 }).then((list) => {
    for (const c of list.customers) customers.append(h('option', { value: c.customer_id }, c.company_name));
  }).catch(() => {});

  const filters = () => ({
    from: from.value, to: to.value, customer_id: customer.value.trim(),
    subscription_id: subscription.value.trim(), user: user.value.trim(), action: action.value,
  });
  // The cursors of the pages before the one shown (for "previous").
  const cursors = [];
  let shown = null;

  async function load(cursor) {
    const query = { ...filters(), limit: limit.value, cursor };
    ctx.setQuery({ ...filters(), limit: limit.value === '100' ? '' : limit.value, cursor });
    await working(errors, async () => {
      clear(results);
      csv.disabled = true;
      const page = await get('/v1/audit/key-access', query);
      shown = { query, page };
      const n = page.entries.length;
      count.textContent = `${n} ${n === 1 ? 'entry' : 'entries'}${page.next_cursor ? ' on this page' : ''}`;
      results.append(entriesTable(page.entries, customers));
      prev.disabled = cursors.length === 0;
      next.disabled = !page.next_cursor;
      csv.disabled = false;
    });
  }

  async function loadChart() {
    clear(chartErrors);
    clear(chart);
    try {
      const daily = await get('/v1/audit/key-access/daily', filters());
      const days = daily.days;
      const xs = days.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000);
      const day = (d) => (d ? Date.parse(`${d}T00:00:00Z`) / 1000 : undefined);
      const f = filters();
      dailyBars(chart, 'Key accesses per day (UTC)', xs, [
        { label: 'reveal key', values: days.map((d) => d.reveal_key) },
        { label: 'download', values: days.map((d) => d.download) },
        { label: 'copy link', values: days.map((d) => d.copy_link) },
      ], day(f.from), f.to ? day(f.to) - 86400 : undefined);
      chartTable.replaceChildren(h('summary', {}, 'Accesses per day as a table'),
        table('ka-daily', 'Accesses per day', [
          { title: 'date' }, { title: 'reveal key', num: true }, { title: 'download', num: true },
          { title: 'copy link', num: true }, { title: 'total', num: true }],
        days.map((d) => h('tr', {}, h('td', {}, d.date), h('td', { class: 'num' }, d.reveal_key),
          h('td', { class: 'num' }, d.download), h('td', { class: 'num' }, d.copy_link), h('td', { class: 'num' }, d.total)))));
    } catch (err) {
      // A refusal of the caller (401/403) is already shown once, above the table.
      if (err.status !== 401 && err.status !== 403) chartErrors.append(errorBox(err));
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    cursors.length = 0;
    await Promise.all([load(undefined), loadChart()]);
  });
  next.addEventListener('click', async () => {
    if (!shown?.page.next_cursor) return;
    cursors.push(shown.query.cursor);
    await load(shown.page.next_cursor);
  });
  prev.addEventListener('click', async () => {
    if (cursors.length === 0) return;
    await load(cursors.pop());
  });
  csv.addEventListener('click', async () => {
    if (!shown) return;
    // The same request as the page shown, in the API's CSV: the file is the API's answer.
    await working(errors, () => download('/v1/audit/key-access', { ...shown.query, format: 'csv' }, 'text/csv', 'key-access.csv'));
  });

  await Promise.all([load(p.get('cursor') || undefined), loadChart()]);
}

function entriesTable(entries, customers) {
  const name = (id) => customers.querySelector(`option[value="${CSS.escape(id)}"]`)?.textContent;
  // `data-value` holds the API's own value where the cell shows something friendlier.
  const cell = (col, ...content) => h('td', { 'data-col': col }, ...content);
  const valued = (col, value, ...content) => h('td', { 'data-col': col, 'data-value': value }, ...content);
  return table('ka-table', 'Key-access entries', [
    { title: 'at (UTC)' }, { title: 'user' }, { title: 'role' }, { title: 'customer' },
    { title: 'subscription' }, { title: 'product' }, { title: 'action' }, { title: 'version · language · os' }],
  entries.map((e) => h('tr', {},
    valued('at', e.at, fmt.instant(e.at)),
    cell('user', e.user),
    cell('role', e.role),
    valued('customer_id', e.customer_id, h('a', { href: `#/customer/${e.customer_id}`, title: e.customer_id }, name(e.customer_id) || e.customer_id)),
    cell('subscription_id', h('a', { href: `#/subscription/${e.subscription_id}`, class: 'mono' }, e.subscription_id)),
    valued('product_id', e.product_id, e.product_name || e.product_id),
    valued('action', e.action, e.action.replace('_', ' ')),
    h('td', {}, [e.version, e.language, e.os].filter(Boolean).join(' · ')))));
}
