import type { z } from "zod";
import { isCron, maxIntervalMinutes } from "../cron.ts";
import { longestRetentionDays } from "../retention.ts";
import { TIERS } from "./buckets.ts";
import type { PostureInput } from "./index.ts";

type Ctx = z.core.$RefinementCtx<PostureInput>;
const issue = (ctx: Ctx, path: (string | number)[], message: string) =>
  ctx.addIssue({ code: "custom", path, message });

/** Cross-field rules: the promises must be consistent with each other. */
export function checkRelations(p: PostureInput, ctx: Ctx): void {
  const cloud = p.profile !== "external";

  // Region pinning.
  if (cloud && !p.regions)
    issue(ctx, ["regions"], `is required for profile "${p.profile}" (allowed + primary)`);
  if (p.regions) {
    const { allowed, primary, storage } = p.regions;
    if (!allowed.includes(primary))
      issue(
        ctx,
        ["regions", "primary"],
        `"${primary}" is outside the allowed regions [${allowed.join(", ")}]`,
      );
    if (storage !== undefined && !allowed.includes(storage))
      issue(
        ctx,
        ["regions", "storage"],
        `"${storage}" is outside the allowed regions [${allowed.join(", ")}]`,
      );
  }

  // Buckets: names, lifecycle order, lock vs retention, expiry vs retention.
  for (const role of ["backups", "evidence", "uploads"] as const) {
    const b = p.buckets[role];
    if (!b) continue;
    if (cloud && role !== "uploads" && !b.name)
      issue(
        ctx,
        ["buckets", role, "name"],
        `is required for profile "${p.profile}" (a globally unique bucket name)`,
      );
    let prevDays = 0;
    let prevTier = -1;
    b.lifecycle.tiers.forEach((t, i) => {
      const rank = TIERS.indexOf(t.tier);
      if (t.afterDays <= prevDays)
        issue(
          ctx,
          ["buckets", role, "lifecycle", "tiers", i, "afterDays"],
          `${t.afterDays} is not after the previous tier's ${prevDays} days; tier days must increase`,
        );
      if (rank <= prevTier)
        issue(
          ctx,
          ["buckets", role, "lifecycle", "tiers", i, "tier"],
          `"${t.tier}" must be colder than the previous tier (order: ${TIERS.join(" → ")})`,
        );
      prevDays = Math.max(prevDays, t.afterDays);
      prevTier = Math.max(prevTier, rank);
    });
    const exp = b.lifecycle.expireDays;
    if (exp !== undefined && exp <= prevDays)
      issue(
        ctx,
        ["buckets", role, "lifecycle", "expireDays"],
        `${exp} must be after the last tier transition (${prevDays} days)`,
      );
    const locked = b.objectLock !== null && (b.objectLock !== undefined || role !== "uploads");
    // S3 object lock requires versioning. (GCS is the other way round: a bucket with a retention policy
    // cannot be versioned, and the lock itself forbids overwrites — the gcp profile handles that.)
    if ((p.profile === "aws" || p.profile === "hetzner") && locked && !b.versioning)
      issue(
        ctx,
        ["buckets", role, "versioning"],
        "must be true when objectLock is set (S3 object lock requires versioning)",
      );
  }
  const lock = p.buckets.backups.objectLock;
  if (lock && lock.days < p.backups.retention.daily)
    issue(
      ctx,
      ["buckets", "backups", "objectLock", "days"],
      `${lock.days} is shorter than the backup retention (backups.retention.daily = ${p.backups.retention.daily} days); ` +
        `set it to at least ${p.backups.retention.daily} or lower the retention`,
    );
  const keep = longestRetentionDays(p.backups.retention);
  const exp = p.buckets.backups.lifecycle.expireDays;
  if (exp !== undefined && exp < keep)
    issue(
      ctx,
      ["buckets", "backups", "lifecycle", "expireDays"],
      `${exp} would delete backups the retention promises to keep (${keep} days); set it to at least ${keep}`,
    );

  // Stores.
  if (!cloud && !p.backups.store)
    issue(
      ctx,
      ["backups", "store"],
      'is required for profile "external" (e.g. "s3://acme-backups/pg" or "file:///var/backups/rampart")',
    );
  if (cloud && p.backups.store && p.buckets.backups.name) {
    const scheme = p.profile === "gcp" ? "gs" : "s3";
    if (!p.backups.store.startsWith(`${scheme}://${p.buckets.backups.name}`))
      issue(
        ctx,
        ["backups", "store"],
        `"${p.backups.store}" is not in the backups bucket; use "${scheme}://${p.buckets.backups.name}/<prefix>" or omit it`,
      );
  }

  // Drills must be able to meet their RPO.
  const interval = isCron(p.backups.schedule) ? maxIntervalMinutes(p.backups.schedule) : 0;
  if (p.drills.rpoMinutes < interval)
    issue(
      ctx,
      ["drills", "rpoMinutes"],
      `${p.drills.rpoMinutes} is shorter than the backup interval (${interval} minutes from backups.schedule); ` +
        `no drill can meet it — raise it to at least ${interval} or back up more often`,
    );

  // JWT overlap covers every token signed with the old key.
  for (const [name, s] of Object.entries(p.rotation.secrets)) {
    if (s.kind === "jwt-signing-key" && s.overlapMinutes < s.tokenLifetimeMinutes + s.verifierCacheMinutes)
      issue(
        ctx,
        ["rotation", "secrets", name, "overlapMinutes"],
        `${s.overlapMinutes} is shorter than tokenLifetimeMinutes + verifierCacheMinutes ` +
          `(${s.tokenLifetimeMinutes + s.verifierCacheMinutes}); tokens would fail verification after rotation`,
      );
  }

  if (p.edge?.hsts.preload && (p.edge.hsts.maxAgeSeconds < 31_536_000 || !p.edge.hsts.includeSubdomains))
    issue(
      ctx,
      ["edge", "hsts", "preload"],
      "HSTS preload requires maxAgeSeconds >= 31536000 and includeSubdomains: true (hstspreload.org rules)",
    );
}
