import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument, policyJson, type Statement } from "../../lib/iam.ts";

export interface IamUserKeyArgs {
  /** IAM user name (one user per job: backups, uploads, email, LUKS escrow). */
  userName: string;
  /** The user's only permissions, from the typed helpers in infra/lib/iam.ts. */
  statements: pulumi.Input<Statement[]>;
  /** Tags. @default {} */
  tags?: Record<string, string>;
}

/**
 * An IAM user with one inline least-privilege policy and one long-lived access key, for a server
 * outside AWS that cannot assume a role. The key's secret is a Pulumi secret: it is encrypted in the
 * state and reaches the server only inside the (secret) user data.
 */
export class IamUserKey extends pulumi.ComponentResource {
  readonly userName: pulumi.Output<string>;
  readonly accessKeyId: pulumi.Output<string>;
  readonly secretAccessKey: pulumi.Output<string>;

  constructor(name: string, args: IamUserKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:aws:IamUserKey", name, {}, opts);
    const parent = { parent: this };
    const user = new aws.iam.User(
      `${name}-user`,
      { name: args.userName, path: "/rampart/", forceDestroy: true, tags: args.tags ?? {} },
      parent,
    );
    new aws.iam.UserPolicy(
      `${name}-policy`,
      {
        user: user.name,
        name: `${args.userName}-least-privilege`,
        policy: pulumi.output(args.statements).apply((s) => policyJson(policyDocument(...s))),
      },
      parent,
    );
    const key = new aws.iam.AccessKey(`${name}-key`, { user: user.name }, parent);
    this.userName = user.name;
    this.accessKeyId = key.id;
    this.secretAccessKey = pulumi.secret(key.secret);
    this.registerOutputs({ userName: this.userName, accessKeyId: this.accessKeyId });
  }
}
