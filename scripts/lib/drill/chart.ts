/** A small inline SVG line chart (no scripts, no external assets): one objective over past drills. */
export type ChartPoint = { label: string; value: number | null; failed: boolean };

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

export function lineChart(opts: {
  title: string;
  unit: string;
  points: ChartPoint[];
  target: number;
}): string {
  const W = 560;
  const H = 220;
  const pad = { l: 48, r: 16, t: 28, b: 36 };
  const values = opts.points.map((p) => p.value ?? 0);
  const max = Math.max(opts.target * 1.2, ...values) || 1;
  const n = opts.points.length;
  const x = (i: number) => pad.l + (n <= 1 ? (W - pad.l - pad.r) / 2 : (i * (W - pad.l - pad.r)) / (n - 1));
  const y = (v: number) => H - pad.b - (v / max) * (H - pad.t - pad.b);
  const fmt = (v: number) => (v >= 10 ? v.toFixed(0) : v.toFixed(1));
  const measured = opts.points.map((p, i) => ({ ...p, i })).filter((p) => p.value !== null);
  const line = measured.map((p) => `${x(p.i).toFixed(1)},${y(p.value ?? 0).toFixed(1)}`).join(" ");
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  const labelEvery = Math.max(1, Math.ceil(n / 6));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(opts.title)}">`,
    `<text x="${pad.l}" y="18" font-size="13" font-weight="600">${esc(opts.title)} (${esc(opts.unit)})</text>`,
    ...ticks.map(
      (v) =>
        `<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e7eb"/>` +
        `<text x="${pad.l - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#6b7280">${fmt(v)}</text>`,
    ),
    `<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(opts.target).toFixed(1)}" y2="${y(opts.target).toFixed(1)}" stroke="#dc2626" stroke-dasharray="6 4"/>`,
    `<text x="${W - pad.r}" y="${(y(opts.target) - 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#dc2626">target ${fmt(opts.target)}</text>`,
    line ? `<polyline points="${line}" fill="none" stroke="#2563eb" stroke-width="2"/>` : "",
    ...measured.map(
      (p) =>
        `<circle cx="${x(p.i).toFixed(1)}" cy="${y(p.value ?? 0).toFixed(1)}" r="4" fill="${p.failed ? "#dc2626" : "#16a34a"}"><title>${esc(p.label)}: ${fmt(p.value ?? 0)} ${esc(opts.unit)}</title></circle>`,
    ),
    ...opts.points
      .map((p, i) => ({ p, i }))
      .filter(({ i }) => i % labelEvery === 0 || i === n - 1)
      .map(
        ({ p, i }) =>
          // The first and last labels hug the plot's edges so they are not clipped by the SVG's bounds.
          `<text x="${x(i).toFixed(1)}" y="${H - pad.b + 16}" font-size="10" text-anchor="${n > 1 && i === n - 1 ? "end" : n > 1 && i === 0 ? "start" : "middle"}" fill="#6b7280">${esc(p.label)}</text>`,
      ),
    "</svg>",
  ].join("\n");
}

export { esc as escapeHtml };
