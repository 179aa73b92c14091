import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { composeFile } from "./compose.ts";
import { renderEnvFile } from "./env-file.ts";
import { jobUnits } from "./job-units.ts";
import { execLine, renderUnit } from "./systemd-unit.ts";

/** An IAM access key pair as delivered to the server. */
export type AccessKey = { id: string; secret: string };

export interface CloudInitInput {
  /** Stack name: the jobs run `--stack <stack>` (the image carries stacks/Pulumi.<stack>.yaml). */
  stack: string;
  database: { major: number; name: string };
  /** Block device of the Hetzner volume (/dev/disk/by-id/scsi-0HC_Volume_<id>). */
  volumeDevice: string;
  /** ARN of the Secrets Manager secret escrowing the LUKS key. */
  luksSecretId: string;
  /** AWS region of the buckets, the escrow secret and SES (posture regions.storage). */
  awsRegion: string;
  jobs: {
    image: string;
    backup: { schedule: string; maxRuntimeMinutes: number };
    drill: { schedule: string; maxRuntimeMinutes: number };
  };
  /** Host path of a `file://` secret store (posture secrets.store), mounted read-only into the drill only. */
  secretStorePath?: string;
  /** Job-failure alerts: the SNS topic and a key that may only publish to it. */
  alerts: { topicArn: string; key: AccessKey };
  /** One key per job, each with only its own permissions. */
  keys: { escrow: AccessKey; backup: AccessKey; drill: AccessKey; uploads?: AccessKey; email?: AccessKey };
  /** App settings written next to the app's keys (bucket, sender domain). */
  app: { uploadsBucket?: string; emailDomain?: string };
}

/** The decrypted volume is mounted here; Postgres, Redis and the generated DB password live under it. */
export const DATA_DIR = "/srv/rampart";
export const CONFIG_DIR = "/etc/rampart";
/** The AWS CLI image used at boot to fetch (or, on first boot, escrow) the LUKS key. Pin by digest in production. */
export const AWS_CLI_IMAGE = "public.ecr.aws/aws-cli/aws-cli:2.27.0";

const UNLOCK_SCRIPT = readFileSync(new URL("./luks-unlock.sh", import.meta.url), "utf8");
const JOB_FAILED_SCRIPT = readFileSync(new URL("./job-failed.sh", import.meta.url), "utf8");
/** OnFailure= template of the job units: `rampart-job-failed@<failed unit>.service`. */
export const JOB_FAILED_TEMPLATE = "rampart-job-failed@";
const DB_ENV = `${DATA_DIR}/secrets/db.env`;

type WriteFile = { path: string; content: string; permissions: string; owner: string };
const file = (path: string, content: string, permissions = "0644"): WriteFile => ({
  path,
  content,
  permissions,
  owner: "root:root",
});
/** Credentials: root-only, read by `docker run --env-file` / systemd, never by a shell. */
const secretFile = (path: string, entries: Record<string, string>) =>
  file(path, renderEnvFile(entries), "0600");
const awsEnv = (k: AccessKey, region: string) => ({
  AWS_ACCESS_KEY_ID: k.id,
  AWS_SECRET_ACCESS_KEY: k.secret,
  AWS_REGION: region,
});

/**
 * The server's `#cloud-config`: installs Docker and cryptsetup, opens the LUKS data volume (key escrowed
 * in Secrets Manager), runs Postgres and Redis on the Docker bridge network, and schedules `rampart
 * backup` / `rampart drill` with systemd timers. Pure: the same input always renders the same text.
 * The output holds access key secrets, so callers must pass it to the server as a Pulumi secret.
 */
export function renderCloudInit(c: CloudInitInput): string {
  const dbUrl = `postgres://postgres@postgres:5432/${c.database.name}`;
  const jobEnv = (k: AccessKey) => ({
    ...awsEnv(k, c.awsRegion),
    RAMPART_STACK: c.stack,
    DATABASE_URL: dbUrl,
  });
  const job = (name: "backup" | "drill", scheduleKey: string, mounts: string[] = []) =>
    jobUnits({
      job: name,
      schedule: c.jobs[name].schedule,
      scheduleKey,
      image: c.jobs.image,
      envFiles: [`${CONFIG_DIR}/${name}.env`, DB_ENV],
      mounts,
      maxRuntimeMinutes: c.jobs[name].maxRuntimeMinutes,
      onFailureTemplate: JOB_FAILED_TEMPLATE,
    });
  const backup = job("backup", "backups.schedule");
  const drill = job("drill", "drills.schedule", c.secretStorePath ? [c.secretStorePath] : []);
  const appEnv: Record<string, string> = {
    ...(c.keys.uploads ? { RAMPART_UPLOADS_AWS_ACCESS_KEY_ID: c.keys.uploads.id } : {}),
    ...(c.keys.uploads ? { RAMPART_UPLOADS_AWS_SECRET_ACCESS_KEY: c.keys.uploads.secret } : {}),
    ...(c.app.uploadsBucket ? { UPLOADS_BUCKET: c.app.uploadsBucket } : {}),
    ...(c.keys.email ? { RAMPART_SES_AWS_ACCESS_KEY_ID: c.keys.email.id } : {}),
    ...(c.keys.email ? { RAMPART_SES_AWS_SECRET_ACCESS_KEY: c.keys.email.secret } : {}),
    ...(c.app.emailDomain ? { SES_DOMAIN: c.app.emailDomain } : {}),
    AWS_REGION: c.awsRegion,
    DATABASE_URL: dbUrl,
    REDIS_URL: "redis://redis:6379",
  };

  const dataService = renderUnit({
    Unit: [
      ["Description", "Rampart data: unlock the LUKS volume, then Postgres and Redis"],
      ["Requires", "docker.service"],
      ["After", "docker.service network-online.target"],
      ["Wants", "network-online.target"],
    ],
    Service: [
      ["Type", "oneshot"],
      ["RemainAfterExit", "yes"],
      ["EnvironmentFile", `${CONFIG_DIR}/volume.env`],
      ["ExecStart", execLine(["/usr/local/sbin/rampart-luks-unlock"])],
      [
        "ExecStart",
        execLine([
          "/usr/bin/docker",
          "compose",
          `--file=${CONFIG_DIR}/compose.yaml`,
          "up",
          "--detach",
          "--wait",
        ]),
      ],
      ["ExecStop", execLine(["/usr/bin/docker", "compose", `--file=${CONFIG_DIR}/compose.yaml`, "down"])],
      ["TimeoutStartSec", "15min"],
    ],
    Install: [["WantedBy", "multi-user.target"]],
  });

  // %i (the failed unit) is a systemd specifier, so it is appended after the checked plain words.
  const jobFailedService = renderUnit({
    Unit: [["Description", "Rampart: alert that %i failed"]],
    Service: [
      ["Type", "oneshot"],
      ["EnvironmentFile", `${CONFIG_DIR}/alerts.env`],
      ["ExecStart", `${execLine(["/usr/local/sbin/rampart-job-failed"])} %i`],
    ],
  });

  const config = {
    package_update: true,
    package_upgrade: true,
    packages: ["docker.io", "docker-compose-v2", "cryptsetup"],
    ssh_pwauth: false,
    write_files: [
      // Published ports default to loopback, so a stray `ports:` never opens a service on 0.0.0.0; no
      // container gets host networking (nothing here uses it) and none may gain privileges.
      file(
        "/etc/docker/daemon.json",
        `${JSON.stringify({ ip: "127.0.0.1", "no-new-privileges": true, "live-restore": true, "log-driver": "journald" }, null, 2)}\n`,
      ),
      file("/usr/local/sbin/rampart-luks-unlock", UNLOCK_SCRIPT, "0755"),
      file(
        `${CONFIG_DIR}/volume.env`,
        renderEnvFile({
          RAMPART_VOLUME_DEVICE: c.volumeDevice,
          RAMPART_DATA_DIR: DATA_DIR,
          RAMPART_LUKS_SECRET_ID: c.luksSecretId,
          RAMPART_AWS_CLI_IMAGE: AWS_CLI_IMAGE,
        }),
      ),
      secretFile(`${CONFIG_DIR}/escrow.env`, awsEnv(c.keys.escrow, c.awsRegion)),
      secretFile(`${CONFIG_DIR}/backup.env`, jobEnv(c.keys.backup)),
      secretFile(`${CONFIG_DIR}/drill.env`, jobEnv(c.keys.drill)),
      secretFile(`${CONFIG_DIR}/app.env`, appEnv),
      secretFile(`${CONFIG_DIR}/alerts.env`, {
        ...awsEnv(c.alerts.key, c.awsRegion),
        RAMPART_ALERT_TOPIC_ARN: c.alerts.topicArn,
        RAMPART_STACK: c.stack,
        RAMPART_AWS_CLI_IMAGE: AWS_CLI_IMAGE,
      }),
      file("/usr/local/sbin/rampart-job-failed", JOB_FAILED_SCRIPT, "0755"),
      file(
        `${CONFIG_DIR}/compose.yaml`,
        stringify(
          composeFile({ postgresMajor: c.database.major, databaseName: c.database.name, dataDir: DATA_DIR }),
        ),
      ),
      file("/etc/systemd/system/rampart-data.service", dataService),
      file("/etc/systemd/system/rampart-backup.service", backup.service),
      file("/etc/systemd/system/rampart-backup.timer", backup.timer),
      file("/etc/systemd/system/rampart-drill.service", drill.service),
      file("/etc/systemd/system/rampart-drill.timer", drill.timer),
      file(`/etc/systemd/system/${JOB_FAILED_TEMPLATE}.service`, jobFailedService),
    ],
    // argv form: cloud-init runs these without a shell.
    runcmd: [
      ["systemctl", "daemon-reload"],
      ["systemctl", "restart", "docker.service"],
      ["systemctl", "enable", "--now", "rampart-data.service", "rampart-backup.timer", "rampart-drill.timer"],
    ],
  };
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}
