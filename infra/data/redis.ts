/**
 * Redis cache. Local: the official image as a StatefulSet with one ACL user per service. AWS:
 * ElastiCache replication group with transit encryption required, KMS at rest, RBAC users whose
 * passwords come from `@pulumi/random` (one per service, scoped to its key prefix; the `default`
 * user is the gateway's rate limiter, scoped to `ratelimit:*`), automatic multi-AZ failover when
 * configured (prod), daily snapshots and a final snapshot.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import type { PlatformContext, RedisEndpoint } from "../contracts";
import { declareKubeObjects } from "../kube/object";
import type { AwsFoundation } from "../aws";
import { awsPrefix, LONG_TIMEOUTS } from "../aws/spec";
import type { RedisServiceEndpoint } from "./connections";
import { REDIS_EXPORTER_USER } from "./exporter-access";
import { GATEWAY_REDIS_USER, REDIS_PORT, redisAclFile, redisHost, redisObjects, redisServices, redisUserName } from "./local";
import { redisAclUsers } from "./redis-acl";

export interface CacheArgs extends PlatformContext {
  /** AWS foundation (staging, prod): ElastiCache in its data subnets with its KMS key; absent on local. */
  foundation?: AwsFoundation;
}

export class Cache extends pulumi.ComponentResource {
  readonly endpoint: RedisServiceEndpoint;
  /** Per service: its Redis user and password (secret). */
  readonly credentials: Record<string, { user: string; password: pulumi.Output<string> }>;
  /** The gateway's rate limiter (Redis `default` user, `ratelimit:*` keys only). */
  readonly gateway: RedisEndpoint;
  /** The metrics exporter (stats commands only, no key access; password secret). */
  readonly exporter: { user: string; password: pulumi.Output<string> };

  constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:data:Cache", name, {}, opts);
    const { config, catalog } = args;
    const child: pulumi.CustomResourceOptions = { parent: this };
    const password = (user: string) => new random.RandomPassword(`${name}-${user}`, { length: 32, special: false }, child).result;
    const services = redisServices(catalog);
    this.credentials = {};
    for (const s of services) this.credentials[s.name] = { user: redisUserName(s), password: password(redisUserName(s)) };
    const gatewayPassword = password("gateway");
    this.exporter = { user: REDIS_EXPORTER_USER, password: password(REDIS_EXPORTER_USER) };
    // One password per user name: services by their user, the rate limiter as `default`.
    const passwordOf = (user: string): pulumi.Output<string> =>
      user === GATEWAY_REDIS_USER.name ? gatewayPassword : user === REDIS_EXPORTER_USER ? this.exporter.password : this.credentials[services.find((s) => redisUserName(s) === user)!.name].password;
    const aclUsers = redisAclUsers(catalog);

    if (!args.foundation) {
      const aclFile = pulumi.secret(
        pulumi.all(aclUsers.map((u) => passwordOf(u.name))).apply((pws) => redisAclFile(aclUsers.map((u, i) => ({ ...u, password: pws[i] })))),
      );
      declareKubeObjects(redisObjects(aclFile), child);
      this.endpoint = { host: redisHost, port: REDIS_PORT, tls: false };
      this.gateway = { host: redisHost, port: REDIS_PORT, password: gatewayPassword, tls: false };
      this.registerOutputs({ host: redisHost });
      return;
    }

    const f = args.foundation;
    const prefix = awsPrefix(config.stack);
    const r = config.redis;
    const subnets = new aws.elasticache.SubnetGroup(`${name}-subnets`, { name: `${prefix}-redis`, subnetIds: f.dataSubnetIds, description: "TradeMaster Redis: data subnets" }, child);
    const userId = (u: (typeof aclUsers)[number]) => (u.service ? `${prefix}-${u.service}` : u.name === GATEWAY_REDIS_USER.name ? `${prefix}-default` : `${prefix}-metrics-exporter`);
    const resourceSuffix = (u: (typeof aclUsers)[number]) => u.service ?? u.name;
    const users = aclUsers.map(
      (u) =>
        new aws.elasticache.User(
          `${name}-user-${resourceSuffix(u)}`,
          { userId: userId(u), userName: u.name, engine: "redis", accessString: `on ${u.rules}`, passwords: [passwordOf(u.name)] },
          child,
        ),
    );
    const userGroup = new aws.elasticache.UserGroup(`${name}-users`, { userGroupId: `${prefix}-redis`, engine: "redis", userIds: users.map((u) => u.userId) }, child);
    const slowLog = new aws.cloudwatch.LogGroup(`${name}-slow-log`, { name: `/trademaster/${config.stack}/redis/slow-log`, retentionInDays: 30, kmsKeyId: f.kmsKeys.logs.arn }, child);
    const failover = r.multiAzFailover && r.replicasPerShard >= 1;
    const group = new aws.elasticache.ReplicationGroup(
      `${name}-redis`,
      {
        replicationGroupId: `${prefix}-redis`,
        description: `TradeMaster ${config.stack} cache`,
        engine: "redis",
        engineVersion: r.engineVersion,
        nodeType: r.nodeType!,
        port: REDIS_PORT,
        numCacheClusters: 1 + r.replicasPerShard,
        automaticFailoverEnabled: failover,
        multiAzEnabled: failover,
        atRestEncryptionEnabled: true,
        kmsKeyId: f.kmsKeys.redis.arn,
        transitEncryptionEnabled: true,
        transitEncryptionMode: "required",
        userGroupIds: [userGroup.userGroupId],
        subnetGroupName: subnets.name,
        securityGroupIds: [f.dataSecurityGroupIds.redis],
        snapshotRetentionLimit: r.snapshotRetentionDays,
        snapshotWindow: "03:00-05:00",
        maintenanceWindow: "sun:05:30-sun:07:00",
        finalSnapshotIdentifier: `${prefix}-redis-final`,
        autoMinorVersionUpgrade: true,
        applyImmediately: false,
        logDeliveryConfigurations: [{ destination: slowLog.name, destinationType: "cloudwatch-logs", logFormat: "json", logType: "slow-log" }],
        tags: { "trademaster:stack": config.stack },
      },
      { parent: this, protect: config.protectData, customTimeouts: LONG_TIMEOUTS.elasticache },
    );
    this.endpoint = { host: group.primaryEndpointAddress, port: REDIS_PORT, tls: true };
    this.gateway = { host: group.primaryEndpointAddress, port: REDIS_PORT, password: gatewayPassword, tls: true };
    this.registerOutputs({ replicationGroupId: group.id });
  }
}
