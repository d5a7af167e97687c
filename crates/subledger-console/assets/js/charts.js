// Charts with the vendored uPlot (window.uPlot, loaded before the modules run).
// Times are shown in UTC, as the API gives them. Every chart sits beside a
// table of the same numbers, for readers who cannot see it.

const COLORS = ['#0b4f9c', '#b35900', '#1d6b2f', '#7a1f8f'];
// Bars and counts start at zero, whatever the data's minimum (a bar that starts
// elsewhere misleads), and negative values still show.
const fromZero = (u, min, max) => [Math.min(0, min ?? 0), Math.max(1, max ?? 0) * 1.1];
const utc = (ts) => window.uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');

function mount(container, opts, data) {
  container.replaceChildren();
  const width = () => Math.max(280, container.clientWidth || 600);
  const plot = new window.uPlot({ ...opts, width: width(), height: 240, tzDate: utc }, data, container);
  const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: 240 }));
  ro.observe(container);
  container.setAttribute('role', 'img');
  return plot;
}

// Bars per day (xs: seconds since the epoch at UTC midnight), one series per entry
// of `series`, over [from, to) when given (else a day either side of the data).
export function dailyBars(container, label, xs, series, from, to) {
  const bars = window.uPlot.paths.bars({ size: [0.7, 40] });
  container.setAttribute('aria-label', label);
  const day = 86400;
  const lo = from ?? (xs.length ? xs[0] - day : Date.now() / 1000 - 30 * day);
  const hi = to ?? (xs.length ? xs[xs.length - 1] + day : Date.now() / 1000);
  return mount(container, {
    title: label,
    scales: { x: { time: true, range: () => [lo - day / 2, hi + day / 2] }, y: { range: fromZero } },
    series: [{}, ...series.map((s, i) => ({
      label: s.label, stroke: COLORS[i % COLORS.length], fill: `${COLORS[i % COLORS.length]}99`,
      paths: bars, points: { show: false },
    }))],
    axes: [{}, { label: 'accesses' }],
  }, [xs, ...series.map((s) => s.values)]);
}

// Bars per month of money (values in major units), one bar group per month in
// `months` (`YYYY-MM`), evenly spaced whether or not the months are adjacent.
export function monthlyBars(container, label, months, series, unit) {
  const bars = window.uPlot.paths.bars({ size: [0.6, 60] });
  container.setAttribute('aria-label', label);
  const xs = months.map((_, i) => i);
  return mount(container, {
    title: label,
    scales: { x: { time: false, range: () => [-0.5, months.length - 0.5] }, y: { range: fromZero } },
    series: [{ label: 'month', value: (u, v) => (v == null ? '' : months[v]) },
      ...series.map((s, i) => ({
        label: s.label, stroke: COLORS[i % COLORS.length], fill: `${COLORS[i % COLORS.length]}99`,
        paths: bars, points: { show: false },
        value: (u, v) => (v == null ? '' : `${v.toFixed(2)} ${unit}`),
      }))],
    axes: [{ values: (u, ticks) => ticks.map((t) => months[t] ?? '') }, { label: unit, size: 70 }],
  }, [xs, ...series.map((s) => s.values)]);
}

// Stepped lines over time (a value holds until the next point); `marker` draws a
// vertical line at one instant (the as-of instant) when given.
export function steps(container, label, xs, series, marker) {
  const stepped = window.uPlot.paths.stepped({ align: 1 });
  container.setAttribute('aria-label', label);
  const plot = mount(container, {
    title: label,
    scales: { x: { time: true }, y: { range: fromZero } },
    series: [{}, ...series.map((s, i) => ({
      label: s.label, stroke: COLORS[i % COLORS.length], width: 2, paths: stepped,
      dash: i === 1 ? [6, 4] : undefined,
    }))],
    axes: [{}, { label: 'seats' }],
    hooks: {
      draw: [(u) => {
        const at = u.marker;
        if (at == null) return;
        const x = Math.round(u.valToPos(at, 'x', true));
        const { ctx } = u;
        ctx.save();
        ctx.strokeStyle = '#e07b00';
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.restore();
      }],
    },
  }, [xs, ...series.map((s) => s.values)]);
  // Read by the draw hook; uPlot's first draw comes after this (a redraw this
  // early would draw before it has ranged its scales).
  plot.marker = marker;
  return plot;
}
