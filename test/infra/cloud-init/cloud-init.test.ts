import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type CloudInitInput, renderCloudInit } from "../../../infra/cloud-init/cloud-init.ts";
import { renderEnvFile } from "../../../infra/cloud-init/env-file.ts";
import { execLine, renderUnit } from "../../../infra/cloud-init/systemd-unit.ts";
import { UserError } from "../../../posture/index.ts";

type WriteFile = { path: string; content: string; permissions: string; owner: string };
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" ? (v as Obj) : {});

const key = (n: string) => ({ id: `AKIA${n}`, secret: `SECRET-${n}/abc+def=` });
const input = (over: Partial<CloudInitInput> = {}): CloudInitInput => ({
  stack: "hetzner-nuremberg",
  database: { major: 17, name: "prezio" },
  volumeDevice: "/dev/disk/by-id/scsi-0HC_Volume_7",
  luksSecretId: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:prezio-luks-key-AbCdEf",
  awsRegion: "eu-central-1",
  jobs: {
    image: "ghcr.io/example/rampart:0.1.0",
    backup: { schedule: "0 */4 * * *", maxRuntimeMinutes: 120 },
    drill: { schedule: "0 6 1 * *", maxRuntimeMinutes: 180 },
  },
  secretStorePath: "/etc/rampart/secrets.env",
  alerts: { topicArn: "arn:aws:sns:eu-central-1:123456789012:alarms-topic", key: key("ALERTS") },
  keys: {
    escrow: key("ESCROW"),
    backup: key("BACKUP"),
    drill: key("DRILL"),
    uploads: key("UPLOADS"),
    email: key("EMAIL"),
  },
  app: { uploadsBucket: "prezio-logos-fra", emailDomain: "prezio.app" },
  ...over,
});

function rendered(over: Partial<CloudInitInput> = {}) {
  const text = renderCloudInit(input(over));
  const doc = obj(parse(text));
  const files = doc.write_files as WriteFile[];
  const file = (path: string) => {
    const f = files.find((x) => x.path === path);
    if (!f) throw new Error(`no ${path}`);
    return f;
  };
  return { text, doc, files, file };
}

describe("renderCloudInit", () => {
  it("is a #cloud-config YAML document that installs Docker and cryptsetup and never enables password SSH", () => {
    const { text, doc } = rendered();
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    expect(doc.packages).toEqual(["docker.io", "docker-compose-v2", "cryptsetup"]);
    expect(doc.ssh_pwauth).toBe(false);
    expect(renderCloudInit(input())).toBe(text);
  });

  it("runs Postgres <major> and Redis (AOF, fsync everysec) on the bridge network only, data on the LUKS volume", () => {
    const compose = obj(
      parse(rendered({ database: { major: 16, name: "shop" } }).file("/etc/rampart/compose.yaml").content),
    );
    const services = obj(compose.services);
    const pg = obj(services.postgres);
    const redis = obj(services.redis);
    expect(pg.image).toBe("postgres:16");
    expect(pg.environment).toEqual({ POSTGRES_DB: "shop" });
    expect(pg.volumes).toEqual(["/srv/rampart/postgres:/var/lib/postgresql/data"]);
    expect(pg.env_file).toEqual(["/srv/rampart/secrets/db.env"]);
    expect(redis.command).toEqual(["redis-server", "--appendonly", "yes", "--appendfsync", "everysec"]);
    expect(redis.volumes).toEqual(["/srv/rampart/redis:/data"]);
    for (const s of [pg, redis]) {
      expect(s.ports).toBeUndefined();
      expect(s.network_mode).toBeUndefined();
      expect(Object.keys(obj(s.networks))).toEqual(["rampart"]);
    }
    expect(obj(obj(pg.networks).rampart).aliases).toEqual(["postgres"]);
    expect(obj(obj(redis.networks).rampart).aliases).toEqual(["redis"]);
    expect(compose.networks).toEqual({ rampart: { name: "rampart", driver: "bridge" } });
  });

  it("makes Docker publish to loopback by default and forbids privilege escalation", () => {
    const daemon = JSON.parse(rendered().file("/etc/docker/daemon.json").content) as Obj;
    expect(daemon).toMatchObject({ ip: "127.0.0.1", "no-new-privileges": true });
  });

  it("timers fire on the posture's schedules and run the jobs image with their own env files", () => {
    const { file, doc } = rendered();
    expect(file("/etc/systemd/system/rampart-backup.timer").content).toContain(
      "OnCalendar=*-*-* 00/4:00:00 UTC\nPersistent=true\n",
    );
    expect(file("/etc/systemd/system/rampart-drill.timer").content).toContain(
      "OnCalendar=*-*-01 06:00:00 UTC\n",
    );
    const backup = file("/etc/systemd/system/rampart-backup.service").content;
    expect(backup).toContain(
      "ExecStart=/usr/bin/docker run --rm --name=rampart-backup --network=rampart --env-file=/etc/rampart/backup.env --env-file=/srv/rampart/secrets/db.env ghcr.io/example/rampart:0.1.0 backup --json\n",
    );
    expect(backup).toContain("TimeoutStartSec=120min\n");
    expect(backup).toContain("Requires=rampart-data.service\n");
    // Only the drill sees the file secret store (the age identity); the backup holds no identity.
    const drill = file("/etc/systemd/system/rampart-drill.service").content;
    expect(drill).toContain("--volume=/etc/rampart/secrets.env:/etc/rampart/secrets.env:ro");
    expect(backup).not.toContain("secrets.env");
    expect(doc.runcmd).toContainEqual([
      "systemctl",
      "enable",
      "--now",
      "rampart-data.service",
      "rampart-backup.timer",
      "rampart-drill.timer",
    ]);
  });

  it("the timers' OnCalendar values are accepted by systemd itself", () => {
    const { file } = rendered();
    for (const t of ["backup", "drill"]) {
      const m = /OnCalendar=(.*)\n/.exec(file(`/etc/systemd/system/rampart-${t}.timer`).content);
      expect(m?.[1]).toBeTruthy();
      expect(execFileSync("systemd-analyze", ["calendar", m?.[1] ?? ""], { encoding: "utf8" })).toContain(
        "Normalized form",
      );
    }
  });

  it("a schedule systemd cannot express is a config error naming the posture key", () => {
    const bad = input();
    bad.jobs.drill.schedule = "0 6 1 * 1";
    expect(() => renderCloudInit(bad)).toThrow(UserError);
    expect(() => renderCloudInit(bad)).toThrow(/drills\.schedule/);
  });

  it("each credential is in exactly one root-only env file, never in a unit, the compose file or a command", () => {
    const { files, file } = rendered();
    for (const f of files) {
      const marks = f.content.match(/SECRET-[A-Z]+/g) ?? [];
      if (marks.length) expect(f.permissions, f.path).toBe("0600");
      if (f.path.startsWith("/etc/systemd/") || f.path.endsWith(".yaml") || f.path.endsWith("unlock"))
        expect(marks, f.path).toEqual([]);
    }
    expect(file("/etc/rampart/escrow.env").content).toBe(
      "AWS_ACCESS_KEY_ID=AKIAESCROW\nAWS_SECRET_ACCESS_KEY=SECRET-ESCROW/abc+def=\nAWS_REGION=eu-central-1\n",
    );
    expect(file("/etc/rampart/backup.env").content.match(/SECRET-[A-Z]+/g)).toEqual(["SECRET-BACKUP"]);
    expect(file("/etc/rampart/drill.env").content.match(/SECRET-[A-Z]+/g)).toEqual(["SECRET-DRILL"]);
    expect(file("/etc/rampart/app.env").content.match(/SECRET-[A-Z]+/g)).toEqual([
      "SECRET-UPLOADS",
      "SECRET-EMAIL",
    ]);
    expect(file("/etc/rampart/backup.env").content).toContain(
      "DATABASE_URL=postgres://postgres@postgres:5432/prezio\n",
    );
    expect(file("/etc/rampart/backup.env").content).not.toContain("PASSWORD");
  });

  it("wires the LUKS unlock: device and escrow secret in volume.env, the unlock before Postgres starts", () => {
    const { file } = rendered();
    expect(file("/etc/rampart/volume.env").content).toContain(
      "RAMPART_VOLUME_DEVICE=/dev/disk/by-id/scsi-0HC_Volume_7\n",
    );
    expect(file("/etc/rampart/volume.env").content).toContain(
      "RAMPART_LUKS_SECRET_ID=arn:aws:secretsmanager:eu-central-1:123456789012:secret:prezio-luks-key-AbCdEf\n",
    );
    const data = file("/etc/systemd/system/rampart-data.service").content;
    const unlock = data.indexOf("ExecStart=/usr/local/sbin/rampart-luks-unlock");
    const compose = data.indexOf("ExecStart=/usr/bin/docker compose");
    expect(unlock).toBeGreaterThan(0);
    expect(compose).toBeGreaterThan(unlock);
    expect(file("/usr/local/sbin/rampart-luks-unlock").permissions).toBe("0755");
  });

  it("refuses values that would be mangled or interpreted: image with spaces, env values with newlines", () => {
    expect(() => renderCloudInit(input({ jobs: { ...input().jobs, image: "evil image;rm -rf /" } }))).toThrow(
      /not a plain word/,
    );
    expect(() =>
      renderCloudInit(input({ keys: { ...input().keys, backup: { id: "A", secret: "x\ny" } } })),
    ).toThrow(/AWS_SECRET_ACCESS_KEY/);
  });
});

describe("the LUKS unlock script", () => {
  const script = rendered().file("/usr/local/sbin/rampart-luks-unlock").content;
  const at = (s: string) => {
    const i = script.indexOf(s);
    expect(i, s).toBeGreaterThanOrEqual(0);
    return i;
  };

  it("is valid bash", () => {
    const path = fileURLToPath(new URL("../../../infra/cloud-init/luks-unlock.sh", import.meta.url));
    expect(() => execFileSync("bash", ["-n", path])).not.toThrow();
    expect(script.startsWith("#!/bin/bash\n")).toBe(true);
    expect(script).toContain("set -euo pipefail");
  });

  it("keeps the key in tmpfs only, escrows it before formatting, and formats only a blank device", () => {
    expect(script).toContain("readonly KEYDIR=/run/rampart-luks KEY=/run/rampart-luks/key");
    expect(at("put-secret-value")).toBeLessThan(at("cryptsetup luksFormat"));
    expect(at('blkid -p "$DEVICE"')).toBeLessThan(at("cryptsetup luksFormat"));
    expect(at('--key-file "$KEY" "$DEVICE" "$MAPPER"')).toBeLessThan(at("forget_key\n\nif"));
    expect(script).toContain("encrypted but Secrets Manager holds no key: refusing to touch it");
    // The key goes to the AWS CLI as file://, never as an argument.
    expect(script).toContain('--secret-string "file://$KEY"');
    expect(script).toContain('--env-file "$ESCROW_ENV"');
  });
});

describe("env files and units", () => {
  it("renderEnvFile writes NAME=value lines and refuses what docker --env-file would take literally", () => {
    expect(renderEnvFile({ A: "x", B_2: "arn:aws:s3:::b/c+d=" })).toBe("A=x\nB_2=arn:aws:s3:::b/c+d=\n");
    expect(() => renderEnvFile({ A: "two words" })).toThrow(/value of A/);
    expect(() => renderEnvFile({ A: 'q"' })).toThrow(/value of A/);
    expect(() => renderEnvFile({ lower: "x" })).toThrow(/UPPER_CASE/);
  });

  it("renderUnit refuses multi-line values; execLine refuses shell or systemd specials", () => {
    expect(renderUnit({ Unit: [["Description", "x"]], Service: [["Type", "oneshot"]] })).toBe(
      "[Unit]\nDescription=x\n\n[Service]\nType=oneshot\n",
    );
    expect(() => renderUnit({ Unit: [["Description", "a\nExecStart=/bin/sh"]] })).toThrow(/single line/);
    for (const bad of ["$HOME", "%h", "a b", "'q'", "x;y"])
      expect(() => execLine(["/bin/echo", bad])).toThrow(/plain word/);
  });
});

describe("job-failure alerts", () => {
  const jobFailed = "/etc/systemd/system/rampart-job-failed@.service";

  it("both job units start the alert template with their own name when they fail", () => {
    const { file } = rendered();
    for (const job of ["backup", "drill"]) {
      const unit = file(`/etc/systemd/system/rampart-${job}.service`).content;
      expect(unit).toMatch(
        /^\[Unit\]\n(?:.*\n)*OnFailure=rampart-job-failed@%n\.service\n(?:.*\n)*\[Service\]/m,
      );
    }
    const template = file(jobFailed);
    expect(template.content).toContain("EnvironmentFile=/etc/rampart/alerts.env\n");
    expect(template.content).toContain("ExecStart=/usr/local/sbin/rampart-job-failed %i\n");
    expect(file("/usr/local/sbin/rampart-job-failed").permissions).toBe("0755");
  });

  it("alerts.env holds only the alerts key, the topic and the region, root-only", () => {
    const env = rendered().file("/etc/rampart/alerts.env");
    expect(env.permissions).toBe("0600");
    expect(env.content).toContain("AWS_ACCESS_KEY_ID=AKIAALERTS\n");
    expect(env.content).toContain(
      "RAMPART_ALERT_TOPIC_ARN=arn:aws:sns:eu-central-1:123456789012:alarms-topic\n",
    );
    expect(env.content).toContain("AWS_REGION=eu-central-1\n");
    expect(env.content).not.toMatch(/BACKUP|DRILL|ESCROW|UPLOADS|EMAIL|DATABASE_URL/);
  });

  it("publishes the failed unit, host and stack to the topic; credentials only by env file, never in the message", () => {
    const script = rendered().file("/usr/local/sbin/rampart-job-failed").content;
    const dir = mkdtempSync(join(tmpdir(), "rampart-job-failed-"));
    const path = join(dir, "rampart-job-failed");
    const docker = join(dir, "docker");
    const log = join(dir, "argv");
    writeFileSync(path, script, { mode: 0o755 });
    // A stand-in for docker that records its argv, one argument a line.
    writeFileSync(docker, `#!/bin/sh\nprintf '%s\\n' "$@" > ${log}\n`, { mode: 0o755 });
    execFileSync("sh", ["-n", path]);
    execFileSync(path, ["rampart-backup.service"], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        RAMPART_DOCKER: docker,
        RAMPART_AWS_CLI_IMAGE: "public.ecr.aws/aws-cli/aws-cli:2.27.0",
        AWS_REGION: "eu-central-1",
        AWS_ACCESS_KEY_ID: "AKIAALERTS",
        AWS_SECRET_ACCESS_KEY: "SECRET-ALERTS/abc+def=",
        RAMPART_ALERT_TOPIC_ARN: "arn:aws:sns:eu-central-1:123456789012:alarms-topic",
        RAMPART_STACK: "hetzner-nuremberg",
      },
    });
    const argv = readFileSync(log, "utf8").split("\n");
    rmSync(dir, { recursive: true });
    expect(argv.slice(0, 6)).toEqual([
      "run",
      "--rm",
      "--env-file=/etc/rampart/alerts.env",
      "public.ecr.aws/aws-cli/aws-cli:2.27.0",
      "sns",
      "publish",
    ]);
    const flag = (f: string) => argv[argv.indexOf(f) + 1];
    expect(flag("--topic-arn")).toBe("arn:aws:sns:eu-central-1:123456789012:alarms-topic");
    expect(flag("--region")).toBe("eu-central-1");
    expect(flag("--subject")).toBe("Rampart hetzner-nuremberg: rampart-backup.service failed");
    expect(flag("--message")).toMatch(
      /^Rampart hetzner-nuremberg: rampart-backup\.service failed on .+ at \d{4}-/,
    );
    expect(flag("--message")).toContain("journalctl -u rampart-backup.service");
    expect(argv.join("\n")).not.toMatch(/AKIAALERTS|SECRET-ALERTS/);
  });
});
