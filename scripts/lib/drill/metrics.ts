/**
 * Recovery objectives as a drill measures them. RTO: drill start → restored and verified (what an outage
 * would cost). RPO: how old the restored data was at drill start (what an outage would lose). A drill that
 * did not finish verifying has no RTO: it did not recover.
 */
export type Objective = { seconds: number | null; targetMinutes: number; met: boolean };

export function measureObjectives(input: {
  startedAt: Date;
  verifiedAt: Date | null;
  snapshotTime: Date | null;
  rtoMinutes: number;
  rpoMinutes: number;
}): { rto: Objective; rpo: Objective } {
  const seconds = (from: Date | null, to: Date | null) =>
    from && to ? Math.max(0, (to.getTime() - from.getTime()) / 1000) : null;
  const objective = (s: number | null, targetMinutes: number): Objective => ({
    seconds: s === null ? null : Math.round(s * 10) / 10,
    targetMinutes,
    met: s !== null && s <= targetMinutes * 60,
  });
  return {
    rto: objective(seconds(input.startedAt, input.verifiedAt), input.rtoMinutes),
    rpo: objective(seconds(input.snapshotTime, input.startedAt), input.rpoMinutes),
  };
}

/** 75 → "1m 15s", 7260 → "2h 1m", null → "—". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds < 60) return `${Math.round(seconds * 10) / 10}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m ${Math.round(seconds % 60)}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}
