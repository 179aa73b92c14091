import { formatBytes } from "../output.ts";
import { type ChartPoint, escapeHtml as esc, lineChart } from "./chart.ts";
import { formatDuration } from "./metrics.ts";
import type { DrillRecord } from "./record.ts";

/** The human reports of one drill: Markdown (for tickets and audits) and a self-contained HTML page. */

const mark = (ok: boolean) => (ok ? "PASS" : "FAIL");
const objectiveLine = (name: string, o: DrillRecord["rto"]) =>
  `${name} ${formatDuration(o.seconds)} (target ${o.targetMinutes} min): ${o.seconds === null ? "not measured" : o.met ? "met" : "MISSED"}`;

export function renderMarkdown(r: DrillRecord): string {
  const b = r.backup;
  return [
    `# Restore drill ${r.drillId}: ${r.outcome.toUpperCase()}`,
    "",
    `- Stack: ${r.stack}`,
    `- Backup: ${b ? `${b.id} (database ${b.database}, snapshot ${b.snapshotTime}, ${formatBytes(b.storedBytes)}, sha256 ${b.sha256})` : "none resolved"}`,
    `- Restored into: scratch database ${r.scratchDatabase} on ${r.server} (${r.scratchDropped ? "dropped afterwards" : "NOT dropped — remove it by hand"})`,
    `- Started ${r.startedAt}, verified ${r.verifiedAt ?? "never"}, finished ${r.finishedAt}`,
    `- ${objectiveLine("RTO", r.rto)}`,
    `- ${objectiveLine("RPO", r.rpo)}`,
    ...(r.failure ? [`- Failure: ${r.failure}`] : []),
    "",
    "## Checks",
    "",
    "| Result | Check | Detail |",
    "| --- | --- | --- |",
    ...r.checks.map((c) => `| ${mark(c.ok)} | ${c.name} | ${c.detail.replaceAll("|", "\\|")} |`),
    "",
    "## Tables",
    "",
    "| Table | Rows in manifest | Rows restored |",
    "| --- | ---: | ---: |",
    ...r.tables.map(
      (t) => `| ${t.table.replaceAll("|", "\\|")} | ${t.expected} | ${t.actual ?? "missing"} |`,
    ),
    "",
    "## Stages",
    "",
    ...Object.entries(r.stages).map(([k, ms]) => `- ${k}: ${formatDuration(ms / 1000)}`),
    "",
  ].join("\n");
}

/** `history`: earlier drills, oldest first (the current one is appended) for the RTO/RPO charts. */
export function renderHtml(r: DrillRecord, history: readonly DrillRecord[]): string {
  const all = [...history.filter((h) => h.drillId !== r.drillId), r].slice(-24);
  const points = (pick: (d: DrillRecord) => number | null): ChartPoint[] =>
    all.map((d) => ({ label: d.startedAt.slice(0, 10), value: pick(d), failed: d.outcome !== "passed" }));
  const minutes = (s: number | null) => (s === null ? null : s / 60);
  const rows = (cells: string[][]) =>
    cells.map((c) => `<tr>${c.map((x) => `<td>${x}</td>`).join("")}</tr>`).join("\n");
  const b = r.backup;
  const color = r.outcome === "passed" ? "#16a34a" : "#dc2626";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Restore drill ${esc(r.drillId)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.5 system-ui,sans-serif;max-width:1180px;margin:2rem auto;padding:0 1rem;color:#111827}
h1 span{color:${color}} table{border-collapse:collapse;margin:.5rem 0 1.5rem} td,th{border:1px solid #e5e7eb;padding:4px 8px;text-align:left}
.pass{color:#16a34a;font-weight:600}.fail{color:#dc2626;font-weight:600} .charts{display:flex;flex-wrap:wrap;gap:1rem}
code{font-size:12px}
</style></head><body>
<h1>Restore drill <span>${r.outcome.toUpperCase()}</span></h1>
<table>
${rows([
  ["Drill", `<code>${esc(r.drillId)}</code>`],
  ["Stack", esc(r.stack)],
  [
    "Backup",
    b
      ? `<code>${esc(b.id)}</code> — database ${esc(b.database)}, snapshot ${esc(b.snapshotTime)}, ${formatBytes(b.storedBytes)}`
      : "none resolved",
  ],
  ["Object SHA-256", b ? `<code>${b.sha256}</code>` : "—"],
  [
    "Restored into",
    `${esc(r.scratchDatabase)} on ${esc(r.server)} (${r.scratchDropped ? "dropped afterwards" : "<b>not dropped</b>"})`,
  ],
  ["Started / verified", `${esc(r.startedAt)} / ${esc(r.verifiedAt ?? "never")}`],
  [
    "RTO",
    `${formatDuration(r.rto.seconds)} — target ${r.rto.targetMinutes} min — ${r.rto.met ? '<span class="pass">met</span>' : '<span class="fail">missed</span>'}`,
  ],
  [
    "RPO",
    `${formatDuration(r.rpo.seconds)} — target ${r.rpo.targetMinutes} min — ${r.rpo.met ? '<span class="pass">met</span>' : '<span class="fail">missed</span>'}`,
  ],
  ...(r.failure ? [["Failure", esc(r.failure)]] : []),
])}
</table>
<h2>RTO and RPO over the last ${all.length} drill${all.length === 1 ? "" : "s"}</h2>
<div class="charts">
${lineChart({ title: "RTO", unit: "minutes", points: points((d) => minutes(d.rto.seconds)), target: r.rto.targetMinutes })}
${lineChart({ title: "RPO", unit: "minutes", points: points((d) => minutes(d.rpo.seconds)), target: r.rpo.targetMinutes })}
</div>
<h2>Checks</h2>
<table><tr><th>Result</th><th>Check</th><th>Detail</th></tr>
${rows(r.checks.map((c) => [`<span class="${c.ok ? "pass" : "fail"}">${mark(c.ok)}</span>`, esc(c.name), esc(c.detail)]))}
</table>
<h2>Tables</h2>
<table><tr><th>Table</th><th>Rows in manifest</th><th>Rows restored</th></tr>
${rows(r.tables.map((t) => [`<code>${esc(t.table)}</code>`, String(t.expected), t.actual === null ? '<span class="fail">missing</span>' : String(t.actual)]))}
</table>
<h2>Stages</h2>
<table>${rows(Object.entries(r.stages).map(([k, ms]) => [esc(k), formatDuration(ms / 1000)]))}</table>
</body></html>
`;
}
