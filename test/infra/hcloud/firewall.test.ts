import * as hcloud from "@pulumi/hcloud";
import { describe, expect, it } from "vitest";
import { firewallRules, ServerFirewall } from "../../../infra/components/hcloud/firewall.ts";
import { one, recordProgram, tokenOf } from "../../support/pulumi-mocks.ts";

describe("firewall", () => {
  it("opens 443 to everyone and SSH only to the admin CIDRs", () => {
    expect(firewallRules(["203.0.113.7/32", "2001:db8::/48"])).toEqual([
      {
        direction: "in",
        protocol: "tcp",
        port: "443",
        sourceIps: ["0.0.0.0/0", "::/0"],
        description: "HTTPS",
      },
      {
        direction: "in",
        protocol: "tcp",
        port: "22",
        sourceIps: ["203.0.113.7/32", "2001:db8::/48"],
        description: "SSH from compute.adminCidrs",
      },
    ]);
  });

  it("has no SSH rule at all without admin CIDRs (recorded inputs)", async () => {
    const rs = await recordProgram(
      () => new ServerFirewall("fw", { firewallName: "x-firewall", adminCidrs: [] }),
    );
    const fw = one(rs, tokenOf(hcloud.Firewall));
    expect(fw.inputs.rules).toEqual([
      {
        direction: "in",
        protocol: "tcp",
        port: "443",
        sourceIps: ["0.0.0.0/0", "::/0"],
        description: "HTTPS",
      },
    ]);
    expect(fw.inputs.name).toBe("x-firewall");
  });
});
