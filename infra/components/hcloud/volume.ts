import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { hcloudId } from "./id.ts";

export interface DataVolumeArgs {
  /** Physical name. */
  volumeName: string;
  /** Hetzner location (posture regions.primary): must be the server's. */
  location: string;
  /** Size in GB. @default 40 */
  sizeGb?: number;
  /** Labels. @default {} */
  labels?: Record<string, string>;
}

/**
 * The block volume holding Postgres and Redis data. Hetzner does not encrypt volumes at rest, so it
 * is created unformatted and unmounted: the server's first boot formats it as LUKS2 (key escrowed in
 * AWS Secrets Manager, see infra/cloud-init/luks-unlock.sh). Delete-protected twice (Hetzner and
 * Pulumi): the server is replaceable, this volume is not.
 */
export class DataVolume extends pulumi.ComponentResource {
  readonly id: pulumi.Output<number>;
  /** The device the server sees (/dev/disk/by-id/scsi-0HC_Volume_<id>). */
  readonly device: pulumi.Output<string>;

  constructor(name: string, args: DataVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:hcloud:DataVolume", name, {}, opts);
    const volume = new hcloud.Volume(
      `${name}-volume`,
      {
        name: args.volumeName,
        location: args.location,
        size: args.sizeGb ?? 40,
        automount: false,
        deleteProtection: true,
        labels: args.labels ?? {},
      },
      { parent: this, protect: true },
    );
    this.id = volume.id.apply(hcloudId);
    this.device = volume.linuxDevice;
    this.registerOutputs({ id: this.id, device: this.device });
  }
}
