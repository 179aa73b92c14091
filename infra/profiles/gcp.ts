import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { Posture } from "../../posture/index.ts";
import { EdgeZone } from "../components/cloudflare/edge.ts";
import { SecureBucket } from "../components/gcp/bucket.ts";
import { AppService } from "../components/gcp/compute.ts";
import { PostgresDatabase } from "../components/gcp/database.ts";
import { OpsJobs } from "../components/gcp/jobs.ts";
import { grantKeyUse, KmsKeys } from "../components/gcp/keys.ts";
import { RegionalLoadBalancer } from "../components/gcp/loadbalancer.ts";
import { OpsMonitoring } from "../components/gcp/monitoring.ts";
import { PrivateNetwork } from "../components/gcp/network.ts";
import { RegionalSecrets, type SecretSpec } from "../components/gcp/secrets.ts";
import { standardLabels } from "../lib/labels.ts";
import { resourceName } from "../lib/naming.ts";
import { requireAllowedLocation } from "../lib/regions.ts";

/**
 * Every secret the stack holds: rotated ones with their interval, plus the age identity, the published
 * age recipients (public; when the identity is rotated) and the Sentry DSN.
 */
export function secretSpecs(posture: Posture): SecretSpec[] {
  const specs = new Map<string, SecretSpec>();
  for (const [name, s] of Object.entries(posture.rotation.secrets))
    specs.set(name, { name, rotationDays: s.intervalDays });
  for (const name of [
    posture.secrets.ageIdentity,
    posture.secrets.recipientsSecret,
    posture.monitoring.sentryDsnSecret,
  ])
    if (name && !specs.has(name)) specs.set(name, { name });
  return [...specs.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The GCP profile: everything the posture promises, in the posture's regions, from one function. */
export function gcp_(posture: Posture): Record<string, pulumi.Input<unknown>> {
  const file = posture.source.file;
  const region = requireAllowedLocation(posture, posture.regions.primary, "regions.primary");
  const storageRegion = requireAllowedLocation(posture, posture.regions.storage, "regions.storage");
  const project = new pulumi.Config("gcp").require("project");
  const labels = (role: string) => standardLabels(posture, role);
  const name = (role: string, max?: number) => resourceName(posture, role, max);

  // Google's service agents that encrypt with our keys (CMEK) and publish rotation events.
  const sqlAgent = new gcp.projects.ServiceIdentity("sql-agent", { service: "sqladmin.googleapis.com" });
  const smAgent = new gcp.projects.ServiceIdentity("secretmanager-agent", {
    service: "secretmanager.googleapis.com",
  });
  const gcsAgent = gcp.storage
    .getProjectServiceAccountOutput({})
    .apply((a) => `serviceAccount:${a.emailAddress}`);

  const keys = new KmsKeys("kms", {
    location: region,
    ringName: name("keys"),
    purposes: ["sql", "storage", "secrets"],
    rotationDays: posture.encryption.kmsRotationDays,
    labels: labels("kms"),
  });
  // Buckets may live in another allowed region than workloads; their key ring must sit with them.
  const storageKeys =
    storageRegion === region
      ? keys
      : new KmsKeys("kms-storage", {
          location: storageRegion,
          ringName: name("storage-keys"),
          purposes: ["storage"],
          rotationDays: posture.encryption.kmsRotationDays,
          labels: labels("kms"),
        });
  const sqlGrant = grantKeyUse("kms-sql-agent", keys.key("sql"), sqlAgent.member, keys);
  const smGrant = grantKeyUse("kms-secrets-agent", keys.key("secrets"), smAgent.member, keys);
  const gcsGrant = grantKeyUse("kms-storage-agent", storageKeys.key("storage"), gcsAgent, storageKeys);

  const net = new PrivateNetwork("net", { region });
  const networkRef = { network: net.network.id, subnetwork: net.subnet.id };

  const db = new PostgresDatabase("db", {
    region,
    database: posture.database,
    networkId: net.network.id,
    kmsKeyName: keys.key("sql").id,
    dependsOn: [net.serviceConnection, sqlGrant],
    instanceName: name("pg"),
    source: file,
    labels: labels("database"),
  });

  const bucket = (role: "backups" | "evidence" | "uploads", b: Posture["buckets"]["backups"]) =>
    new SecureBucket(
      `bucket-${role}`,
      {
        bucketName: b.name ?? name(role),
        location: storageRegion,
        bucket: b,
        kmsKeyName: storageKeys.key("storage").id,
        labels: labels(role),
        protect: role !== "uploads",
      },
      { dependsOn: [gcsGrant] },
    );
  const backups = bucket("backups", posture.buckets.backups);
  const evidence = bucket("evidence", posture.buckets.evidence);
  const uploads = posture.buckets.uploads ? bucket("uploads", posture.buckets.uploads) : null;

  const secrets = new RegionalSecrets("secrets", {
    region,
    secrets: secretSpecs(posture),
    kmsKeyName: keys.key("secrets").id,
    secretManagerAgent: smAgent.member,
    topicName: name("secret-rotation"),
    dependsOn: [smGrant],
    labels: labels("secrets"),
  });

  const pgPassword = Object.entries(posture.rotation.secrets).find(([, s]) => s.kind === "postgres-password");
  const sentry = posture.monitoring.sentryDsnSecret;
  const jobs = new OpsJobs("jobs", {
    region,
    project,
    image: posture.jobs.image,
    stack: posture.source.stack,
    schedules: { backup: posture.backups.schedule, drill: posture.drills.schedule },
    maxRuntimeMinutes: { backup: posture.backups.maxRuntimeMinutes, drill: posture.drills.maxRuntimeMinutes },
    buckets: { backups: backups.name, evidence: evidence.name },
    ageIdentitySecret: secrets.secret(posture.secrets.ageIdentity).id,
    // Both jobs read these; never the age identity, which only the drill reads.
    sharedSecrets: [
      ...(sentry ? [secrets.secret(sentry).id] : []),
      ...(posture.secrets.recipientsSecret ? [secrets.secret(posture.secrets.recipientsSecret).id] : []),
      ...(pgPassword ? [secrets.secret(pgPassword[0]).id] : []),
    ],
    database: {
      host: db.privateIp,
      name: posture.database.name,
      user: pgPassword?.[1].kind === "postgres-password" ? pgPassword[1].roles[0] : "postgres",
      ...(pgPassword ? { passwordSecret: secrets.secret(pgPassword[0]).id } : {}),
    },
    network: networkRef,
    resources: { cpu: posture.jobs.cpu, memoryMb: posture.jobs.memoryMb },
    namePrefix: name("ops", 21),
    labels: labels("jobs"),
  });

  const app = new AppService("app", {
    region,
    compute: posture.compute,
    network: networkRef,
    serviceName: name("app", 30),
    labels: labels("app"),
  });
  const rampart = new pulumi.Config("rampart");
  const lb = new RegionalLoadBalancer("lb", {
    region,
    network: net.network.id,
    serviceName: app.service.name,
    certificate: {
      certificate: rampart.requireSecret("originCertificate"),
      privateKey: rampart.requireSecret("originPrivateKey"),
    },
    dependsOn: [net.proxySubnet],
  });

  const edge = posture.edge ? new EdgeZone("edge", { edge: posture.edge, source: file }) : null;

  new OpsMonitoring("monitoring", {
    region,
    project,
    monitoring: posture.monitoring,
    host: posture.edge?.domain ?? null,
    databaseId: pulumi.interpolate`${project}:${db.instance.name}`,
    backupJobName: jobs.jobs.backup.name,
    logBucketId: name("audit"),
  });

  return {
    region,
    databaseInstance: db.instance.name,
    databasePrivateIp: db.privateIp,
    buckets: { backups: backups.name, evidence: evidence.name, uploads: uploads?.name ?? null },
    backupJob: jobs.jobs.backup.name,
    drillJob: jobs.jobs.drill.name,
    appService: app.service.name,
    loadBalancerIp: lb.ipAddress,
    rotationTopic: secrets.topic.id,
    edgeHostnames: edge?.hostnames ?? [],
  };
}

export { gcp_ as gcp };
