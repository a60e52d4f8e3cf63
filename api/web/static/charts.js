/* Tiny SVG charts (vertical grouped bars, horizontal bars, a line) for the dashboard.
 * Why hand-made: ~100 lines, no vendored library, crisp at any width, printable;
 * each chart has an aria-label summary and <title> tooltips on its marks. */
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
function svgEl(tag, attrs = {}, text) {
  const n = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (text !== undefined) n.textContent = text;
  return n;
}
/** A round axis maximum divisible by the 4 grid steps (so ticks are integers). */
function niceMax(v) {
  if (v <= 4) return 4;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  const m = Math.ceil(v / p) * p;
  return Math.ceil(m / 4) * 4;
}
function legend(series) {
  return el("ul", { class: "legend" }, series.map((s, i) => el("li", {}, el("span", { class: "swatch s" + i }), s.name)));
}
function gridY(svg, max, W, H, L, T, B) {
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4, y = T + (H - T - B) * (1 - k / 4);
    svg.append(svgEl("line", { x1: L, x2: W - 4, y1: y, y2: y, class: "grid" }));
    svg.append(svgEl("text", { x: L - 4, y: y + 4, class: "axis", "text-anchor": "end" }, String(Math.round(v))));
  }
}

/** Grouped vertical bars: labels on x, one bar per series. */
function barChart(box, labels, series, summary) {
  const W = 640, H = 240, L = 36, T = 10, B = 28;
  const max = niceMax(Math.max(1, ...series.flatMap((s) => s.values)));
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": summary, class: "chart" });
  gridY(svg, max, W, H, L, T, B);
  const slot = (W - L - 4) / Math.max(1, labels.length);
  const bw = Math.min(28, (slot * 0.8) / series.length);
  labels.forEach((lab, i) => {
    const x0 = L + slot * i + (slot - bw * series.length) / 2;
    series.forEach((s, j) => {
      const v = s.values[i] || 0, h = ((H - T - B) * v) / max;
      const r = svgEl("rect", { x: x0 + j * bw, y: H - B - h, width: bw - 2, height: h, class: "s" + j });
      r.append(svgEl("title", {}, `${lab} – ${s.name}: ${v}`));
      svg.append(r);
    });
    if (labels.length <= 12 || i % Math.ceil(labels.length / 12) === 0)
      svg.append(svgEl("text", { x: L + slot * i + slot / 2, y: H - 8, class: "axis", "text-anchor": "middle" }, lab));
  });
  clear(box, svg, legend(series));
}

/** Horizontal bars, one row per label (long court names stay readable). */
function hbarChart(box, labels, values, name, summary) {
  const rowH = 26, L = 8, W = 640, H = Math.max(1, labels.length) * rowH + 6;
  const max = Math.max(1, ...values);
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": summary, class: "chart" });
  labels.forEach((lab, i) => {
    const y = 3 + i * rowH, w = ((W - 250) * values[i]) / max;
    svg.append(svgEl("text", { x: L, y: y + 17, class: "axis" }, lab.length > 34 ? lab.slice(0, 33) + "…" : lab));
    const r = svgEl("rect", { x: 240, y: y + 4, width: Math.max(w, 1), height: rowH - 8, class: "s0" });
    r.append(svgEl("title", {}, `${lab}: ${values[i]} ${name}`));
    svg.append(r, svgEl("text", { x: 244 + w, y: y + 17, class: "axis" }, String(values[i])));
  });
  clear(box, labels.length ? svg : el("p", { class: "hint" }, "Chưa có dữ liệu."));
}

/** One or more lines over the same x labels. */
function lineChart(box, labels, series, summary) {
  const W = 640, H = 220, L = 36, T = 10, B = 28;
  const max = niceMax(Math.max(1, ...series.flatMap((s) => s.values)));
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": summary, class: "chart" });
  gridY(svg, max, W, H, L, T, B);
  const step = labels.length > 1 ? (W - L - 20) / (labels.length - 1) : 0;
  const X = (i) => L + 10 + step * i, Y = (v) => H - B - ((H - T - B) * v) / max;
  series.forEach((s, j) => {
    svg.append(svgEl("polyline", { points: s.values.map((v, i) => `${X(i)},${Y(v)}`).join(" "), class: "line s" + j }));
    s.values.forEach((v, i) => {
      const c = svgEl("circle", { cx: X(i), cy: Y(v), r: 4, class: "s" + j });
      c.append(svgEl("title", {}, `${labels[i]} – ${s.name}: ${v}`));
      svg.append(c);
    });
  });
  labels.forEach((lab, i) => {
    if (labels.length <= 12 || i % Math.ceil(labels.length / 12) === 0)
      svg.append(svgEl("text", { x: X(i), y: H - 8, class: "axis", "text-anchor": "middle" }, lab));
  });
  clear(box, svg, legend(series));
}
