import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { hcloudId } from "./id.ts";

export interface AppServerArgs {
  /** Physical name (also the hostname). */
  serverName: string;
  /** Hetzner location (posture regions.primary). */
  location: string;
  /** posture compute.serverType, e.g. cx32. */
  serverType: string;
  /** cloud-init user data. Holds credentials: pass a Pulumi secret. */
  userData: pulumi.Output<string>;
  firewallId: pulumi.Input<number>;
  /** The data volume, attached without automount (cloud-init opens it with LUKS). */
  volumeId: pulumi.Input<number>;
  /** OpenSSH public key for root (config rampart:sshPublicKey). @default none: no key, no way in over SSH */
  sshPublicKey?: string;
  /** OS image. @default ubuntu-24.04 */
  image?: string;
  /** Labels. @default {} */
  labels?: Record<string, string>;
}

/**
 * The VPS: Ubuntu, behind the firewall, the data volume attached. Not delete-protected on purpose:
 * changing the user data (e.g. a rotated access key) replaces the server, and that is safe because
 * nothing lives on its root disk that cloud-init does not recreate — the data is on the volume.
 */
export class AppServer extends pulumi.ComponentResource {
  readonly ipv4: pulumi.Output<string>;
  readonly ipv6: pulumi.Output<string>;

  constructor(name: string, args: AppServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:hcloud:AppServer", name, {}, opts);
    const sshKey = args.sshPublicKey
      ? new hcloud.SshKey(
          `${name}-admin`,
          { name: `${args.serverName}-admin`, publicKey: args.sshPublicKey, labels: args.labels ?? {} },
          { parent: this },
        )
      : undefined;
    const server = new hcloud.Server(
      `${name}-server`,
      {
        name: args.serverName,
        location: args.location,
        serverType: args.serverType,
        image: args.image ?? "ubuntu-24.04",
        userData: pulumi.secret(args.userData),
        firewallIds: [args.firewallId],
        sshKeys: sshKey ? [sshKey.id] : [],
        publicNets: [{ ipv4Enabled: true, ipv6Enabled: true }],
        labels: args.labels ?? {},
      },
      { parent: this },
    );
    new hcloud.VolumeAttachment(
      `${name}-data`,
      { serverId: server.id.apply(hcloudId), volumeId: args.volumeId, automount: false },
      { parent: this },
    );
    this.ipv4 = server.ipv4Address;
    this.ipv6 = server.ipv6Address;
    this.registerOutputs({ ipv4: this.ipv4, ipv6: this.ipv6 });
  }
}
