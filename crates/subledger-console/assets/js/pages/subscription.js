// A subscription: its view (VIEW-1) read as of any instant (VIEW-4) with a slider
// over the instants of its history, its history as a timeline (VIEW-5), and its
// seats and refundable seats over time, each point read from the API as of that
// instant (so the chart and the slider always agree with the API).

import { get, getAll } from '../api.js';
import { h, clear, table, field, fmt, actorText, errorBox } from '../dom.js';
import { steps } from '../charts.js';

const MAX_POINTS = 120;

export async function render(main, route, ctx) {
  const id = route.args[0];
  if (!id) {
    const input = h('input', { id: 'open-subscription', spellcheck: 'false', size: 38, required: true });
    const form = h('form', { class: 'filters', 'aria-label': 'Open a subscription' },
      field('Subscription id', input, 'wide'), h('button', { type: 'submit' }, 'Open'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      location.hash = `#/subscription/${encodeURIComponent(input.value.trim())}`;
    });
    main.append(h('h1', {}, 'Subscription'),
      h('p', {}, 'Open one from a customer\'s page, the key-access log, or by its id.'), form);
    return;
  }
  const path = `/v1/subscriptions/${encodeURIComponent(id)}`;
  const [now, history] = await Promise.all([get(path), getAll(`${path}/history`, {}, 'events')]);
  const events = history.items;
  main.append(h('h1', {}, now.product_name || 'Subscription'),
    h('p', { class: 'sub' }, h('span', { class: 'mono' }, id), ' · customer ',
      h('a', { href: `#/customer/${now.customer_id}` }, now.customer_id)));

  // The as-of controls: one slider step per history event, the last one "now".
  const slider = h('input', {
    id: 'asof-slider', type: 'range', min: '0', max: String(events.length), step: '1',
    value: String(events.length), 'aria-describedby': 'asof-current',
  });
  const current = h('output', { id: 'asof-current', for: 'asof-slider' }, 'now');
  const instant = h('input', { id: 'asof-input', spellcheck: 'false', placeholder: '2026-03-01T00:00:00Z', size: 26 });
  const apply = h('button', { id: 'asof-apply', type: 'button' }, 'Read as of this instant');
  const viewBox = h('dl', { id: 'sub-view', class: 'fields', 'data-as-of': '', 'aria-busy': 'true', 'aria-live': 'polite' });
  const viewErrors = h('div');
  const batches = h('div');
  const chartBox = h('div', { id: 'seats-chart', class: 'chart' });
  const timeline = h('ol', { id: 'sub-history', class: 'timeline' });

  main.append(h('div', { class: 'grid' },
    h('section', { class: 'panel', 'aria-labelledby': 'view-title' },
      h('h2', { id: 'view-title' }, 'As of'),
      h('div', { class: 'asof' },
        h('label', { for: 'asof-slider' }, 'History step (arrow keys move one event; the last step is now)'),
        slider, h('p', {}, 'Read at: ', current),
        h('div', { class: 'row' }, field('Or any instant (RFC 3339, UTC)', instant, 'wide'), apply)),
      viewErrors, viewBox,
      h('h2', {}, 'Refundable batches at that instant'), batches),
    h('section', { class: 'panel', 'aria-labelledby': 'chart-title' },
      h('h2', { id: 'chart-title' }, 'Seats over time'), chartBox,
      h('p', { class: 'muted' }, 'Solid: seats. Dashed: seats still refundable (SEAT-5); each drop of the dashed line is a refund window closing. The orange line is the instant read.')),
  ), h('h2', {}, `History (${events.length} events)`), timeline);

  // The view at one instant (null: now). Later reads win over earlier slow ones.
  let reading = 0;
  let plot = null;
  async function readAt(at) {
    const mine = ++reading;
    viewBox.setAttribute('aria-busy', 'true');
    current.textContent = at || 'now';
    slider.setAttribute('aria-valuetext', at ? fmt.instant(at) : 'now');
    let view;
    let error;
    try {
      view = at ? await get(path, { as_of: at }) : now;
    } catch (err) {
      error = err;
    }
    if (mine !== reading || ctx.stale()) return;
    clear(viewErrors);
    clear(viewBox);
    clear(batches);
    if (error) {
      viewErrors.append(errorBox(error));
    } else {
      for (const [k, v] of Object.entries(view)) {
        viewBox.append(h('dt', {}, k), h('dd', { 'data-field': k }, fmt.value(v)));
      }
      const b = view.refundable_seats?.batches || [];
      batches.append(b.length === 0 ? h('p', { class: 'muted' }, 'None.')
        : table('sub-batches', 'Refundable batches', [{ title: 'seats', num: true }, { title: 'refundable until (UTC)' }],
          b.map((x) => h('tr', {}, h('td', { class: 'num' }, x.seats), h('td', {}, fmt.instant(x.refundable_until))))));
    }
    for (const li of timeline.children) {
      const after = at && li.dataset.at > at;
      li.classList.toggle('after', Boolean(after));
      li.classList.toggle('current', li.dataset.at === at);
    }
    if (plot) {
      plot.marker = at ? Date.parse(at) / 1000 : null;
      plot.redraw();
    }
    viewBox.setAttribute('data-as-of', at || '');
    viewBox.setAttribute('aria-busy', 'false');
  }

  const atOf = (i) => (i >= events.length ? null : events[i].at);
  let debounce;
  slider.addEventListener('input', () => {
    const at = atOf(Number(slider.value));
    current.textContent = at || 'now';
    clearTimeout(debounce);
    debounce = setTimeout(() => readAt(at), 150);
  });
  slider.addEventListener('change', () => {
    clearTimeout(debounce);
    readAt(atOf(Number(slider.value)));
  });
  apply.addEventListener('click', () => {
    const text = instant.value.trim();
    readAt(text || null);
  });

  events.forEach((e, i) => timeline.append(h('li', { 'data-type': e.type, 'data-at': e.at, 'data-position': e.position ?? '' },
    h('strong', {}, e.type), ' · ', h('time', { datetime: e.at }, fmt.instant(e.at)),
    h('div', {}, 'by ', actorText(e.actor), e.command_id ? [' · command ', h('code', {}, e.command_id)] : ' · no command (time-driven)'),
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'linkish', onclick: () => { slider.value = String(i); slider.dispatchEvent(new Event('change')); slider.focus(); } }, 'read as of this event'),
      h('details', {}, h('summary', {}, 'data'), h('pre', { class: 'mono' }, JSON.stringify(e.data, null, 2)))))));

  await readAt(null);
  await drawSeats();

  // Seats and refundable seats at every event instant, every refund-window end
  // seen, and now: read as of each (a few reads at a time).
  async function drawSeats() {
    const instants = new Set(events.map((e) => e.at));
    const collect = (v) => { for (const b of v?.refundable_seats?.batches || []) instants.add(b.refundable_until); };
    collect(now);
    const points = new Map();
    let todo = [...instants].sort();
    while (todo.length && points.size < MAX_POINTS) {
      const batch = todo.splice(0, 4);
      const views = await Promise.all(batch.map((at) => get(path, { as_of: at }).catch(() => null)));
      batch.forEach((at, i) => {
        points.set(at, views[i]);
        const before = instants.size;
        collect(views[i]);
        if (instants.size !== before) todo = [...instants].filter((x) => !points.has(x)).sort();
      });
      if (ctx.stale()) return;
    }
    const ats = [...points.keys()].sort();
    const xs = ats.map((at) => Date.parse(at) / 1000);
    const seats = ats.map((at) => points.get(at)?.quantity ?? null);
    const refundable = ats.map((at) => points.get(at)?.refundable_seats?.total ?? null);
    plot = steps(chartBox, 'Seats and refundable seats over time (UTC)', xs, [
      { label: 'seats', values: seats }, { label: 'refundable', values: refundable }]);
  }
}
