import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface NetworkArgs {
  /** Region every network resource is pinned to. */
  region: string;
  /** Availability zone suffixes used for the subnets. @default ["a", "b"] */
  zones?: string[];
  /** The port the application listens on (the only ingress to the app tasks). */
  appPort: number;
  /** VPC CIDR. @default "10.40.0.0/16" */
  cidr?: string;
  /** Tags. @default {} */
  tags?: Record<string, string>;
}

/** Subnet CIDRs: public (tasks with egress) first, then private (database only). */
export function subnetCidrs(zoneCount: number): { public: string[]; private: string[] } {
  const range = (offset: number) => Array.from({ length: zoneCount }, (_, i) => `10.40.${offset + i}.0/24`);
  return { public: range(0), private: range(100) };
}

/**
 * VPC with public subnets for the Fargate tasks (egress to pull images and reach AWS APIs) and
 * private subnets with no route to the internet for the database. Security groups: the database
 * accepts 5432 only from the app and jobs groups.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly publicSubnetIds: pulumi.Output<string>[];
  readonly privateSubnetIds: pulumi.Output<string>[];
  readonly appSecurityGroupId: pulumi.Output<string>;
  readonly jobsSecurityGroupId: pulumi.Output<string>;
  readonly dbSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:aws:Network", name, {}, opts);
    const { region } = args;
    const zones = args.zones ?? ["a", "b"];
    const tags = args.tags ?? {};
    const parent = { parent: this };
    const cidrs = subnetCidrs(zones.length);

    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      {
        region,
        cidrBlock: args.cidr ?? "10.40.0.0/16",
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags,
      },
      parent,
    );
    this.vpcId = vpc.id;
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { region, vpcId: vpc.id, tags }, parent);
    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public-routes`,
      { region, vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags },
      parent,
    );
    const subnet = (kind: "public" | "private", zone: string, cidrBlock: string) =>
      new aws.ec2.Subnet(
        `${name}-${kind}-${zone}`,
        {
          region,
          vpcId: vpc.id,
          cidrBlock,
          availabilityZone: `${region}${zone}`,
          mapPublicIpOnLaunch: false,
          tags: { ...tags, tier: kind },
        },
        parent,
      );
    this.publicSubnetIds = zones.map((z, i) => {
      const s = subnet("public", z, cidrs.public[i] as string);
      new aws.ec2.RouteTableAssociation(
        `${name}-public-${z}-routes`,
        { region, subnetId: s.id, routeTableId: publicRoutes.id },
        parent,
      );
      return s.id;
    });
    // Private subnets keep the VPC's main route table: local traffic only.
    this.privateSubnetIds = zones.map((z, i) => subnet("private", z, cidrs.private[i] as string).id);

    const egressAll = [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }];
    const app = new aws.ec2.SecurityGroup(
      `${name}-app-sg`,
      {
        region,
        vpcId: vpc.id,
        description: "App tasks: the app port only",
        ingress: [
          { protocol: "tcp", fromPort: args.appPort, toPort: args.appPort, cidrBlocks: ["10.40.0.0/16"] },
        ],
        egress: egressAll,
        tags,
      },
      parent,
    );
    const jobs = new aws.ec2.SecurityGroup(
      `${name}-jobs-sg`,
      { region, vpcId: vpc.id, description: "Rampart jobs: no ingress", egress: egressAll, tags },
      parent,
    );
    const db = new aws.ec2.SecurityGroup(
      `${name}-db-sg`,
      {
        region,
        vpcId: vpc.id,
        description: "Postgres: 5432 from the app and the jobs only",
        ingress: [{ protocol: "tcp", fromPort: 5432, toPort: 5432, securityGroups: [app.id, jobs.id] }],
        tags,
      },
      parent,
    );
    this.appSecurityGroupId = app.id;
    this.jobsSecurityGroupId = jobs.id;
    this.dbSecurityGroupId = db.id;
    this.registerOutputs({ vpcId: this.vpcId });
  }
}
