/**
 * Postgres. Local: CloudNativePG operator (pinned chart) and a Cluster with one managed role and
 * one Database per service. AWS: RDS PostgreSQL encrypted with the `postgres` KMS key, parameter
 * group forcing TLS (`rds.force_ssl=1`), Multi-AZ per config, automated backups (>= 7 days on
 * AWS, enforced by the config schema), deletion protection, a final snapshot, IAM auth,
 * Performance Insights (KMS), enhanced monitoring; an RDS Proxy with TLS required in front; one
 * database and role per service created by a one-shot Job. All passwords from `@pulumi/random`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import { PLATFORM_NAMESPACES } from "../cluster/namespaces";
import { pinnedChart } from "../charts/pinned";
import type { PlatformContext } from "../contracts";
import { declareKubeObject, declareKubeObjects, withNamespaceDependency, standardLabels, type KubeObject } from "../kube/object";
import type { AwsFoundation } from "../aws";
import { awsPrefix, LONG_TIMEOUTS } from "../aws/spec";
import type { PostgresEndpoint } from "./connections";
import { cnpgObjects, postgresHost, postgresRoleName, postgresServices } from "./local";
import { POSTGRES_EXPORTER_ROLE } from "./exporter-access";
import { postgresBootstrapSql } from "./sql";

export interface RelationalDatabaseArgs extends PlatformContext {
  foundation?: AwsFoundation;
}

export const POSTGRES_PORT = 5432;
export const RDS_MASTER_USER = "tm_admin";

/** Parameters of the RDS parameter group: TLS only, SCRAM passwords, slow statements logged. */
export const RDS_PARAMETERS: ReadonlyArray<{ name: string; value: string; applyMethod: "immediate" | "pending-reboot" }> = [
  { name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" },
  { name: "password_encryption", value: "scram-sha-256", applyMethod: "immediate" },
  { name: "log_min_duration_statement", value: "500", applyMethod: "immediate" },
  { name: "log_connections", value: "1", applyMethod: "immediate" },
];

/** Image of the bootstrap Job: the official postgres client matching the server version. */
export function postgresClientImage(engineVersion: string): string {
  return `docker.io/library/postgres:${engineVersion}-alpine`;
}

/** Postgres logs RDS exports to CloudWatch. */
export const RDS_LOG_EXPORTS = ["postgresql", "upgrade"] as const;

export class RelationalDatabase extends pulumi.ComponentResource {
  readonly endpoint: PostgresEndpoint;
  /** Per service that declares a database: its role and password (secret). */
  readonly credentials: Record<string, { user: string; password: pulumi.Output<string> }>;
  /** The metrics exporter's role (`pg_monitor` only; password secret). */
  readonly exporter: { user: string; password: pulumi.Output<string> };
  /** The instance itself (never the proxy: per-instance statistics); TLS always. */
  readonly exporterEndpoint: { host: pulumi.Input<string>; port: number; sslMode: "require" | "verify-full" };

  constructor(name: string, args: RelationalDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:data:RelationalDatabase", name, {}, opts);
    const { config, catalog } = args;
    const child: pulumi.CustomResourceOptions = { parent: this };
    const services = postgresServices(catalog);
    this.credentials = {};
    for (const s of services) {
      this.credentials[s.name] = { user: postgresRoleName(s), password: new random.RandomPassword(`${name}-${s.name}`, { length: 32, special: false }, child).result };
    }
    const passwords = Object.fromEntries(Object.entries(this.credentials).map(([svc, c]) => [svc, c.password]));
    this.exporter = { user: POSTGRES_EXPORTER_ROLE, password: new random.RandomPassword(`${name}-metrics-exporter`, { length: 32, special: false }, child).result };

    if (!args.foundation) {
      const operator = pinnedChart("cnpg", { chart: "cloudnative-pg", stack: config.stack }, withNamespaceDependency(PLATFORM_NAMESPACES.operators, { parent: this }));
      for (const o of cnpgObjects(config, catalog, passwords, this.exporter.password)) {
        declareKubeObject(o, { parent: this, ...(o.kind === "Secret" ? {} : { dependsOn: [operator] }) });
      }
      this.endpoint = { host: postgresHost, port: POSTGRES_PORT, sslMode: "require" };
      this.exporterEndpoint = this.endpoint;
      this.registerOutputs({ host: postgresHost });
      return;
    }

    const f = args.foundation;
    const prefix = awsPrefix(config.stack);
    const p = config.postgres;
    const protect = config.protectData;
    const tags = { "trademaster:stack": config.stack };
    const major = p.engineVersion.split(".")[0];

    const masterPassword = new random.RandomPassword(`${name}-master`, { length: 40, special: false }, child).result;
    const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, { name: `${prefix}-pg`, subnetIds: f.dataSubnetIds, tags }, child);
    const params = new aws.rds.ParameterGroup(`${name}-params`, { name: `${prefix}-pg${major}`, family: `postgres${major}`, parameters: [...RDS_PARAMETERS], tags }, child);
    const monitoringRole = new aws.iam.Role(
      `${name}-monitoring`,
      { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "monitoring.rds.amazonaws.com" }, Action: "sts:AssumeRole" }] }), tags },
      child,
    );
    // RDS creates /aws/rds/instance/<id>/<log> groups on first export, unencrypted and kept
    // forever; created first, they get the logs key and a retention.
    const logGroups = RDS_LOG_EXPORTS.map(
      (log) => new aws.cloudwatch.LogGroup(`${name}-rds-${log}`, { name: `/aws/rds/instance/${prefix}-pg/${log}`, retentionInDays: 365, kmsKeyId: f.kmsKeys.logs.arn, tags }, child),
    );
    const monitoringPolicy = new aws.iam.RolePolicyAttachment(`${name}-monitoring`, { role: monitoringRole.name, policyArn: "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole" }, child);

    const instance = new aws.rds.Instance(
      `${name}-rds`,
      {
        identifier: `${prefix}-pg`,
        engine: "postgres",
        engineVersion: p.engineVersion,
        instanceClass: p.instanceClass!,
        allocatedStorage: p.allocatedStorageGb,
        maxAllocatedStorage: p.allocatedStorageGb * 2,
        storageType: "gp3",
        storageEncrypted: true,
        kmsKeyId: f.kmsKeys.postgres.arn,
        multiAz: p.multiAz,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [f.dataSecurityGroupIds.postgres],
        publiclyAccessible: false,
        parameterGroupName: params.name,
        username: RDS_MASTER_USER,
        password: masterPassword,
        backupRetentionPeriod: p.backupRetentionDays,
        backupWindow: "02:00-03:00",
        maintenanceWindow: "sun:03:30-sun:04:30",
        deleteAutomatedBackups: false,
        copyTagsToSnapshot: true,
        deletionProtection: true,
        skipFinalSnapshot: false,
        finalSnapshotIdentifier: `${prefix}-pg-final`,
        iamDatabaseAuthenticationEnabled: true,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: f.kmsKeys.postgres.arn,
        performanceInsightsRetentionPeriod: 7,
        monitoringInterval: 60,
        monitoringRoleArn: monitoringRole.arn,
        enabledCloudwatchLogsExports: [...RDS_LOG_EXPORTS],
        autoMinorVersionUpgrade: true,
        tags,
      },
      { parent: this, protect, dependsOn: [monitoringPolicy, ...logGroups], customTimeouts: LONG_TIMEOUTS.rds },
    );
    if (p.backupReplicationRegion) {
      // Automated backups (snapshots + transaction logs, so point-in-time restore) copied to a
      // second Region, encrypted there with a key of that Region.
      const region = p.backupReplicationRegion;
      const inRegion = new aws.Provider(`${name}-${region}`, { region }, { parent: this });
      const replicaKey = new aws.kms.Key(
        `${name}-backup-replica`,
        { description: `TradeMaster ${config.stack}: RDS backup replicas (${region})`, enableKeyRotation: true, rotationPeriodInDays: 365, deletionWindowInDays: 30, tags },
        { parent: this, provider: inRegion, protect },
      );
      new aws.rds.InstanceAutomatedBackupsReplication(
        `${name}-backup-replication`,
        { sourceDbInstanceArn: instance.arn, kmsKeyId: replicaKey.arn, retentionPeriod: p.backupRetentionDays },
        { parent: this, provider: inRegion, protect },
      );
    }

    let host: pulumi.Output<string> = instance.address;
    if (p.proxy) {
      // The proxy authenticates each service with its own Secrets Manager secret (CMK-encrypted).
      const secrets = services.map((s) => {
        const secret = new aws.secretsmanager.Secret(
          `${name}-proxy-${s.name}`,
          { name: `${prefix}/postgres/${s.name}`, kmsKeyId: f.kmsKeys.secrets.arn, recoveryWindowInDays: 30, tags },
          { parent: this, protect },
        );
        new aws.secretsmanager.SecretVersion(
          `${name}-proxy-${s.name}`,
          { secretId: secret.id, secretString: pulumi.secret(pulumi.jsonStringify({ username: this.credentials[s.name].user, password: this.credentials[s.name].password })) },
          child,
        );
        return secret;
      });
      const proxyRole = new aws.iam.Role(
        `${name}-proxy`,
        { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "rds.amazonaws.com" }, Action: "sts:AssumeRole" }] }), tags },
        child,
      );
      new aws.iam.RolePolicy(
        `${name}-proxy`,
        {
          role: proxyRole.id,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: secrets.map((s) => s.arn) },
              { Effect: "Allow", Action: ["kms:Decrypt"], Resource: [f.kmsKeys.secrets.arn], Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${f.region}.amazonaws.com` } } },
            ],
          }),
        },
        child,
      );
      const proxy = new aws.rds.Proxy(
        `${name}-proxy`,
        {
          name: `${prefix}-pg-proxy`,
          engineFamily: "POSTGRESQL",
          requireTls: true,
          roleArn: proxyRole.arn,
          vpcSubnetIds: f.dataSubnetIds,
          vpcSecurityGroupIds: [f.dataSecurityGroupIds.postgres],
          idleClientTimeout: 1800,
          auths: secrets.map((s) => ({ authScheme: "SECRETS", secretArn: s.arn, iamAuth: "DISABLED", clientPasswordAuthType: "POSTGRES_SCRAM_SHA_256" })),
          tags,
        },
        { parent: this, customTimeouts: LONG_TIMEOUTS.rdsProxy },
      );
      const targetGroup = new aws.rds.ProxyDefaultTargetGroup(`${name}-proxy`, { dbProxyName: proxy.name, connectionPoolConfig: { maxConnectionsPercent: 90, connectionBorrowTimeout: 120 } }, child);
      new aws.rds.ProxyTarget(`${name}-proxy`, { dbProxyName: proxy.name, targetGroupName: targetGroup.name, dbInstanceIdentifier: instance.identifier }, child);
      host = proxy.endpoint;
    }

    // Roles and databases per service, created in-cluster (RDS is reachable only from the nodes).
    const sql = pulumi.secret(
      pulumi.all([this.exporter.password, ...services.map((s) => this.credentials[s.name].password)]).apply(([exporterPw, ...pws]) =>
        postgresBootstrapSql(catalog, Object.fromEntries(services.map((s, i) => [s.name, pws[i]])), exporterPw),
      ),
    );
    const ns = PLATFORM_NAMESPACES.data;
    const labels = standardLabels("trademaster-data", "postgres-bootstrap");
    const secretObj: KubeObject = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "pg-bootstrap", namespace: ns, labels },
      type: "Opaque",
      stringData: { PGPASSWORD: masterPassword, "roles.sql": sql },
    };
    const secretRes = declareKubeObjects([secretObj], child);
    const job: KubeObject = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "pg-bootstrap-roles", namespace: ns, labels },
      spec: {
        backoffLimit: 6,
        template: {
          // Listing the roles re-runs the Job (a new template) when a service is added.
          metadata: { labels, annotations: { "trademaster.io/roles": [...services.map((s) => this.credentials[s.name].user), POSTGRES_EXPORTER_ROLE].join(",") } },
          spec: {
            restartPolicy: "OnFailure",
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: 70, runAsGroup: 70, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: "psql",
                image: postgresClientImage(p.engineVersion),
                command: ["psql", "-v", "ON_ERROR_STOP=1", "-f", "/sql/roles.sql"],
                env: [
                  { name: "PGHOST", value: instance.address },
                  { name: "PGPORT", value: String(POSTGRES_PORT) },
                  { name: "PGUSER", value: RDS_MASTER_USER },
                  { name: "PGDATABASE", value: "postgres" },
                  { name: "PGSSLMODE", value: "require" },
                  { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: "pg-bootstrap", key: "PGPASSWORD" } } },
                ],
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                volumeMounts: [{ name: "sql", mountPath: "/sql", readOnly: true }],
              },
            ],
            volumes: [{ name: "sql", secret: { secretName: "pg-bootstrap", items: [{ key: "roles.sql", path: "roles.sql" }], defaultMode: 0o400 } }],
          },
        },
      },
    };
    // A Job's template is immutable: a new SQL (new service) replaces it.
    declareKubeObject(job, { parent: this, dependsOn: [...Object.values(secretRes), instance], deleteBeforeReplace: true });

    this.endpoint = { host, port: POSTGRES_PORT, sslMode: "verify-full" };
    // RDS's certificate chains to the RDS CA, not a public one: TLS required, CA bundle not shipped.
    this.exporterEndpoint = { host: instance.address, port: POSTGRES_PORT, sslMode: "require" };
    this.registerOutputs({ host, instance: instance.identifier });
  }
}
