// The customers the signed-in user can see (GEN-2), searchable by name or
// domain, each a link to its page.

import { get } from '../api.js';
import { h, clear, table, field, working } from '../dom.js';

export async function render(main, route, ctx) {
  const q = h('input', { id: 'cust-q', type: 'search', value: route.params.get('q') || '', placeholder: 'name or domain' });
  const form = h('form', { id: 'cust-search', class: 'filters', role: 'search', 'aria-label': 'Search customers' },
    field('Company name or domain contains', q, 'wide'), h('button', { type: 'submit' }, 'Search'));
  const open = h('input', { id: 'open-customer', placeholder: 'customer id', spellcheck: 'false', size: 38 });
  const openForm = h('form', { class: 'filters', 'aria-label': 'Open a customer by id' },
    field('Customer id', open, 'wide'), h('button', { type: 'submit' }, 'Open'));
  const errors = h('div');
  const results = h('div');
  const more = h('button', { id: 'cust-more', type: 'button', class: 'secondary', hidden: true }, 'More customers');
  main.append(h('h1', {}, 'Customers'), form, openForm, errors, results, h('div', { class: 'row' }, more));

  let cursor;
  let rows = [];
  async function load(reset) {
    if (reset) { cursor = undefined; rows = []; }
    ctx.setQuery({ q: q.value.trim() });
    await working(errors, async () => {
      const page = await get('/v1/customers', { q: q.value.trim(), limit: 100, cursor });
      rows = rows.concat(page.customers);
      cursor = page.next_cursor;
      more.hidden = !cursor;
      clear(results).append(
        h('p', { 'aria-live': 'polite' }, `${rows.length} customers${cursor ? ' so far' : ''}`),
        table('customers', 'Customers', [
          { title: 'company' }, { title: 'domain' }, { title: 'country' }, { title: 'segment' },
          { title: 'subscriptions', num: true }, { title: 'key access' }],
        rows.map((c) => h('tr', {},
          h('td', {}, h('a', { href: `#/customer/${c.customer_id}` }, c.company_name)),
          h('td', {}, c.domain), h('td', {}, c.country), h('td', {}, c.segment),
          h('td', { class: 'num' }, c.subscriptions ?? ''),
          h('td', {}, h('a', { href: `#/key-access?customer_id=${c.customer_id}` }, 'accesses'))))));
    });
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load(true); });
  openForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (open.value.trim()) location.hash = `#/customer/${encodeURIComponent(open.value.trim())}`;
  });
  more.addEventListener('click', () => load(false));
  await load(true);
}
