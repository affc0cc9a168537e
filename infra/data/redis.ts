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
import { REDIS_EXPORTER_RULES, REDIS_EXPORTER_USER } from "./exporter-access";
import { GATEWAY_REDIS_USER, REDIS_PORT, redisAccessRules, redisAclFile, redisHost, redisObjects, redisServices, redisUserName } from "./local";

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
    const keyPattern = (svc: string) => `${services.find((s) => s.name === svc)!.datastores.redis!.keyPrefix}*`;

    if (!args.foundation) {
      const users: Array<{ name: string; keyPattern: string; password: pulumi.Output<string>; rules?: string }> = [
        ...services.map((s) => ({ name: this.credentials[s.name].user, keyPattern: keyPattern(s.name), password: this.credentials[s.name].password })),
        { name: GATEWAY_REDIS_USER.name, keyPattern: GATEWAY_REDIS_USER.keyPattern, password: gatewayPassword },
        { name: REDIS_EXPORTER_USER, keyPattern: "", password: this.exporter.password, rules: REDIS_EXPORTER_RULES },
      ];
      const aclFile = pulumi.secret(
        pulumi.all(users.map((u) => u.password)).apply((pws) => redisAclFile(users.map((u, i) => ({ name: u.name, keyPattern: u.keyPattern, password: pws[i], rules: u.rules })))),
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
    const users = [
      new aws.elasticache.User(
        `${name}-user-default`,
        { userId: `${prefix}-default`, userName: GATEWAY_REDIS_USER.name, engine: "redis", accessString: `on ${redisAccessRules(GATEWAY_REDIS_USER.keyPattern)}`, passwords: [gatewayPassword] },
        child,
      ),
      ...services.map(
        (s) =>
          new aws.elasticache.User(
            `${name}-user-${s.name}`,
            { userId: `${prefix}-${s.name}`, userName: redisUserName(s), engine: "redis", accessString: `on ${redisAccessRules(keyPattern(s.name))}`, passwords: [this.credentials[s.name].password] },
            child,
          ),
      ),
      new aws.elasticache.User(
        `${name}-user-${REDIS_EXPORTER_USER}`,
        { userId: `${prefix}-metrics-exporter`, userName: REDIS_EXPORTER_USER, engine: "redis", accessString: `on ${REDIS_EXPORTER_RULES}`, passwords: [this.exporter.password] },
        child,
      ),
    ];
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
