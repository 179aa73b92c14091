import { describe, expect, it } from "vitest";
import type { DrillRecord } from "../../../../scripts/lib/drill/record.ts";
import { renderHtml, renderMarkdown } from "../../../../scripts/lib/drill/report.ts";

function record(over: Partial<DrillRecord> = {}): DrillRecord {
  return {
    drillId: "20261101T060000Z-20261101T040000Z-shop-ab12",
    stack: "local",
    outcome: "passed",
    failure: null,
    backup: {
      id: "20261101T040000Z-shop-ab12",
      database: "shop",
      snapshotTime: "2026-11-01T04:00:00.000Z",
      storedBytes: 2048,
      sha256: "a".repeat(64),
    },
    server: "127.0.0.1:5432/postgres",
    scratchDatabase: "rampart_drill_20261101060000_ab12",
    scratchDropped: true,
    startedAt: "2026-11-01T06:00:00.000Z",
    verifiedAt: "2026-11-01T06:02:00.000Z",
    finishedAt: "2026-11-01T06:02:01.000Z",
    rto: { seconds: 120, targetMinutes: 10, met: true },
    rpo: { seconds: 7200, targetMinutes: 300, met: true },
    checks: [
      { kind: "row-counts", name: "row counts equal the manifest", ok: true, detail: "3 rows in 1 tables" },
    ],
    tables: [{ table: `"Ünï <b>"."x|y"`, expected: 3, actual: 3 }],
    stages: { fetch: 1000, pg_restore: 60000 },
    reports: { markdown: "drills/reports/x.md", html: "drills/reports/x.html" },
    ...over,
  };
}

describe("drill reports", () => {
  it("Markdown names the backup, the objectives and every check, escaping table cells", () => {
    const md = renderMarkdown(record());
    expect(md).toContain("# Restore drill 20261101T060000Z-20261101T040000Z-shop-ab12: PASSED");
    expect(md).toContain("- RTO 2m 0s (target 10 min): met");
    expect(md).toContain("- RPO 2h 0m (target 300 min): met");
    expect(md).toContain("| PASS | row counts equal the manifest | 3 rows in 1 tables |");
    expect(md).toContain('| "Ünï <b>"."x\\|y" | 3 | 3 |');
  });

  it("a failed drill says why and what missed", () => {
    const md = renderMarkdown(
      record({
        outcome: "failed",
        failure: "row counts: public.t",
        rto: { seconds: null, targetMinutes: 10, met: false },
      }),
    );
    expect(md).toContain("FAILED");
    expect(md).toContain("- Failure: row counts: public.t");
    expect(md).toContain("- RTO — (target 10 min): not measured");
  });

  it("HTML is self-contained, escapes names, and charts RTO and RPO over past drills with the current one last", () => {
    const past = record({ drillId: "old", startedAt: "2026-10-01T06:00:00.000Z", outcome: "failed" });
    const html = renderHtml(record(), [past]);
    expect(html).not.toMatch(/<script|<link|src=|url\(/);
    expect(html).toContain("&quot;Ünï &lt;b&gt;&quot;");
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain("over the last 2 drills");
    // One point per drill per chart: red for the failed one, green for the passed one.
    expect(html.match(/<circle /g)).toHaveLength(4);
    expect(html.match(/fill="#dc2626"><title>2026-10-01/g)).toHaveLength(2);
  });
});
