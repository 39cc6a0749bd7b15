// Charts, drawn with uPlot (vendored from its npm package).
import uPlot from "../vendor/uplot/uPlot.esm.js";

const colors = { mine: "#1f5fa8", theirs: "#c2410c", text: "#6d28d9", rv: "#6b7280", frontier: "#1f5fa8", nash: "#15803d", kalai: "#b45309" };

function width(el) {
  return Math.max(280, Math.min(720, (el.clientWidth || 600) - 8));
}

// aligned turns point series [{label, points: [[x,y]...]}] into uPlot's
// aligned data: one sorted x array and one y array per series.
function aligned(series) {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const data = [xs];
  for (const s of series) {
    const ys = new Array(xs.length).fill(null);
    for (const [x, y] of s.points) ys[at.get(x)] = y;
    data.push(ys);
  }
  return data;
}

// historyChart draws the seat's own utility of each offer over the steps
// of the talks, with its walk-away value.
export function historyChart(el, { mine, theirs, reservation, theirLabel }) {
  el.replaceChildren();
  const all = [...mine, ...theirs];
  if (all.length === 0) return null;
  const steps = all.map((p) => p[0]);
  const lo = Math.min(...steps), hi = Math.max(...steps);
  const rv = [[lo, reservation], [hi, reservation]];
  const series = [
    { label: "your offers", points: mine },
    { label: theirLabel, points: theirs },
    { label: "walk-away", points: rv },
  ];
  const opts = {
    width: width(el), height: 220,
    scales: { x: { time: false }, y: { range: [0, 1] } },
    axes: [{ label: "step" }, { label: "utility to you" }],
    legend: { live: false }, // labels only: no "--" values while the cursor is away
    series: [
      { label: "step" },
      { label: series[0].label, stroke: colors.mine, width: 2, spanGaps: true, points: { show: true, size: 6 } },
      { label: series[1].label, stroke: colors.theirs, width: 2, spanGaps: true, points: { show: true, size: 6 } },
      { label: "walk-away", stroke: colors.rv, dash: [6, 4], spanGaps: true, points: { show: false } },
    ],
  };
  return new uPlot(opts, aligned(series), el);
}

// frontierChart draws a two-party Pareto frontier with the Nash and
// Kalai–Smorodinsky points and the reservation values, and optionally a
// path of outcomes.
export function frontierChart(el, { parties, frontier, nash, kalai, reservation, path }) {
  el.replaceChildren();
  const seen = new Set();
  const pts = [];
  for (const u of frontier) {
    const k = u[0] + "," + u[1];
    if (!seen.has(k)) { seen.add(k); pts.push([u[0], u[1]]); }
  }
  const series = [
    { label: "Pareto frontier", points: pts },
    { label: "Nash", points: nash ? [[nash.utility[0], nash.utility[1]]] : [] },
    { label: "Kalai–Smorodinsky", points: kalai ? [[kalai.utility[0], kalai.utility[1]]] : [] },
    { label: `${parties[1]} walk-away`, points: [[0, reservation[1]], [1, reservation[1]]] },
  ];
  const ss = [
    { label: parties[0] },
    { label: series[0].label, stroke: colors.frontier, width: 2, spanGaps: true, points: { show: true, size: 4 } },
    { label: "Nash", stroke: colors.nash, width: 0, points: { show: true, size: 12, fill: colors.nash } },
    { label: "Kalai–Smorodinsky", stroke: colors.kalai, width: 0, points: { show: true, size: 12, fill: colors.kalai } },
    { label: series[3].label, stroke: colors.rv, dash: [6, 4], spanGaps: true, points: { show: false } },
  ];
  if (path && path.length) {
    series.push({ label: "offers", points: path });
    ss.push({ label: "offers", stroke: colors.theirs, width: 0, points: { show: true, size: 7, fill: colors.theirs } });
  }
  const opts = {
    width: width(el), height: Math.min(420, width(el)),
    scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
    axes: [{ label: `utility to ${parties[0]}` }, { label: `utility to ${parties[1]}` }],
    legend: { live: false },
    series: ss,
  };
  return new uPlot(opts, aligned(series), el);
}
