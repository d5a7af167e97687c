// A customer: its subscriptions (VIEW-2, sortable, with the API's CSV export of
// VIEW-3), what it was billed month by month (BIL) with the lines behind each
// month's total, and the seats it could still hand back for a refund (SEAT-5).

import { get, getAll, download } from '../api.js';
import { h, clear, table, working, fmt, errorBox } from '../dom.js';
import { monthlyBars } from '../charts.js';

const COLUMNS = [
  { key: 'product_name', title: 'product' },
  { key: 'quantity', title: 'seats', num: true },
  { key: 'status', title: 'status' },
  { key: 'term', title: 'term' },
  { key: 'billing', title: 'billing' },
  { key: 'term_end_date', title: 'term ends' },
  { key: 'auto_renew', title: 'auto-renew' },
  { key: 'refundable', title: 'refundable seats', num: true },
];

export async function render(main, route, ctx) {
  const id = route.args[0];
  if (!id) {
    location.hash = '#/customers';
    return;
  }
  main.append(h('h1', {}, 'Customer'), h('p', { class: 'sub mono' }, id));
  const { items: subs, truncated } = await getAll(`/v1/customers/${encodeURIComponent(id)}/subscriptions`, {}, 'subscriptions');
  get('/v1/customers', { limit: 1000 }).then((list) => {
    const me = list.customers.find((c) => c.customer_id === id);
    if (me) main.querySelector('h1').textContent = me.company_name;
  }).catch(() => {});

  // Subscriptions, sortable by any column.
  const errors = h('div');
  const csv = h('button', { id: 'cust-csv', type: 'button' }, 'Download subscriptions CSV (VIEW-3)');
  csv.addEventListener('click', () => working(errors, () => download(
    `/v1/customers/${encodeURIComponent(id)}/subscriptions`, { format: 'csv' }, 'text/csv', `subscriptions-${id}.csv`)));
  const subsBox = h('div');
  let sort = { key: 'product_name', dir: 1 };
  const value = (s, key) => (key === 'refundable' ? s.refundable_seats?.total ?? 0 : s[key]);
  function drawSubs() {
    const rows = [...subs].sort((a, b) => {
      const x = value(a, sort.key);
      const y = value(b, sort.key);
      return (x < y ? -1 : x > y ? 1 : 0) * sort.dir || a.subscription_id.localeCompare(b.subscription_id);
    });
    const head = h('tr', {}, COLUMNS.map((c) => h('th', {
      scope: 'col', class: c.num ? 'num' : null,
      'aria-sort': sort.key === c.key ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none',
    }, h('button', {
      type: 'button', 'data-sort': c.key,
      onclick: () => { sort = { key: c.key, dir: sort.key === c.key ? -sort.dir : 1 }; drawSubs(); subsBox.querySelector(`[data-sort="${c.key}"]`).focus(); },
    }, c.title))));
    const body = h('tbody', {}, rows.map((s) => h('tr', { 'data-id': s.subscription_id },
      COLUMNS.map((c) => h('td', { class: c.num ? 'num' : null, 'data-col': c.key },
        c.key === 'product_name'
          ? h('a', { href: `#/subscription/${s.subscription_id}` }, s.product_name || s.product_id)
          : fmt.value(value(s, c.key)))))));
    clear(subsBox).append(h('div', { class: 'table-wrap', role: 'region', 'aria-label': 'Subscriptions', tabindex: '0' },
      h('table', { id: 'cust-subs' }, h('caption', { class: 'skip' }, 'Subscriptions, sortable'), h('thead', {}, head), body)));
  }
  drawSubs();
  main.append(h('h2', {}, `Subscriptions (${subs.length}${truncated ? ', first ones only' : ''})`),
    h('div', { class: 'row' }, csv), errors, subsBox);

  // Refundable seats (SEAT-5): which batches can still be handed back, until when.
  const refundable = subs.filter((s) => (s.refundable_seats?.total ?? 0) > 0);
  main.append(h('h2', {}, 'Refundable seats'),
    refundable.length === 0
      ? h('p', { class: 'muted' }, 'No seat can be handed back for a refund now.')
      : table('refundable', 'Refundable seats by batch', [
        { title: 'subscription' }, { title: 'seats', num: true }, { title: 'refundable until (UTC)' }],
      refundable.flatMap((s) => s.refundable_seats.batches.map((b) => h('tr', {},
        h('td', {}, h('a', { href: `#/subscription/${s.subscription_id}` }, s.product_name || s.subscription_id)),
        h('td', { class: 'num' }, b.seats), h('td', {}, fmt.instant(b.refundable_until)))))));

  await billing(main, id, route, ctx);
}

async function billing(main, id, route, ctx) {
  const box = h('section', { 'aria-labelledby': 'billing-title' }, h('h2', { id: 'billing-title' }, 'Billing'));
  main.append(box);
  let totals;
  try {
    totals = (await get('/v1/billing/lines', { customer_id: id, limit: 1 })).totals || [];
  } catch (err) {
    box.append(errorBox(err));
    return;
  }
  if (totals.length === 0) {
    box.append(h('p', { class: 'muted' }, 'No charge or credit yet.'));
    return;
  }
  const months = [...new Set(totals.map((t) => t.month))].sort();
  const currencies = [...new Set(totals.map((t) => t.currency))].sort();
  const chart = h('div', { id: 'billing-chart', class: 'chart' });
  box.append(chart);
  monthlyBars(chart, 'Net billed per month (charges minus credits)', months,
    currencies.map((c) => ({
      label: `net ${c}`,
      values: months.map((m) => {
        const t = totals.find((x) => x.month === m && x.currency === c);
        return t ? t.net_minor / 100 : null;
      }),
    })), currencies.join('/'));

  box.append(table('billing-totals', 'Totals per month', [
    { title: 'month' }, { title: 'charged', num: true }, { title: 'credited', num: true },
    { title: 'net', num: true }, { title: 'lines', num: true }],
  totals.map((t) => h('tr', { 'data-month': t.month },
    h('td', {}, h('a', { href: `#/customer/${id}?month=${t.month}` }, t.month)),
    h('td', { class: 'num' }, fmt.money(t.charged_minor, t.currency)),
    h('td', { class: 'num' }, fmt.money(t.credited_minor, t.currency)),
    h('td', { class: 'num' }, fmt.money(t.net_minor, t.currency)),
    h('td', { class: 'num' }, t.lines)))));

  // The lines behind one month's total: why the customer paid what it paid.
  const month = h('select', { id: 'billing-month' }, months.map((m) => h('option', { value: m }, m)));
  month.value = months.includes(route.params.get('month')) ? route.params.get('month') : months[months.length - 1];
  const linesBox = h('div');
  const errors = h('div');
  box.append(h('h2', { id: 'lines-title' }, 'Lines of a month'),
    h('div', { class: 'row' }, h('label', { for: 'billing-month' }, 'Month'), month), errors, linesBox);
  async function showMonth() {
    ctx.setQuery({ month: month.value });
    await working(errors, async () => {
      const [y, m] = month.value.split('-').map(Number);
      const next = new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
      const { items: lines, truncated } = await getAll('/v1/billing/lines',
        { customer_id: id, from: `${month.value}-01`, to: next }, 'lines');
      const sum = {};
      for (const l of lines) {
        const sign = l.kind === 'credit' ? -1 : 1;
        sum[l.amount.currency] = (sum[l.amount.currency] || 0) + sign * l.amount.amount_minor;
      }
      clear(linesBox).append(
        table('billing-lines', `Billing lines of ${month.value}`, [
          { title: 'raised (UTC)' }, { title: 'subscription' }, { title: 'kind' }, { title: 'reason' },
          { title: 'seats', num: true }, { title: 'unit price', num: true }, { title: 'days charged / of', num: true },
          { title: 'period' }, { title: 'amount', num: true }],
        lines.map((l) => h('tr', { 'data-kind': l.kind },
          h('td', {}, fmt.instant(l.at)),
          h('td', {}, h('a', { href: `#/subscription/${l.subscription_id}` }, l.product_id)),
          h('td', {}, l.kind), h('td', {}, fmt.value(l.reason)),
          h('td', { class: 'num' }, l.seats),
          h('td', { class: 'num' }, fmt.money(l.unit_price.amount_minor, l.unit_price.currency)),
          h('td', { class: 'num' }, `${l.days_charged} / ${l.price_days}`),
          h('td', {}, `${l.period_start} → ${l.period_end}`),
          h('td', { class: 'num' }, fmt.money((l.kind === 'credit' ? -1 : 1) * l.amount.amount_minor, l.amount.currency))))),
        h('p', { id: 'billing-sum', 'data-net-minor': Object.entries(sum).map(([c, v]) => `${c}:${v}`).join(' ') },
          `${lines.length} lines${truncated ? ' (first ones only)' : ''}; net `,
          Object.entries(sum).map(([c, v]) => fmt.money(v, c)).join(' + ') || '0'));
    });
  }
  month.addEventListener('change', showMonth);
  await showMonth();
}
