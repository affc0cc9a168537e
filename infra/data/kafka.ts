/**
 * The event bus. Local: Strimzi operator (pinned chart) and a KRaft Kafka with a TLS/SCRAM
 * listener, simple authorization, KafkaTopic/KafkaUser from the catalog. AWS: MSK with TLS-only
 * client traffic, in-cluster encryption, KMS at rest, SASL/SCRAM whose `AmazonMSK_*` secrets are
 * encrypted with the `secrets` CMK, brokers spread over the zones, broker logs to CloudWatch;
 * topics and ACLs through `@pulumi/kafka`.
 *
 * Authorization on MSK (no super users there), and why it works from an empty cluster:
 * - services and the metrics exporter authenticate with SASL/SCRAM and are authorized by Kafka
 *   ACLs only; `allow.everyone.if.no.acl.found=false` from creation, so a SCRAM principal without
 *   an ACL can do nothing, and no service has any right on the `Cluster` resource;
 * - the platform admin (topics and ACLs) is the deploying IAM role over SASL/IAM (port 9098). MSK
 *   authorizes IAM principals by IAM policy; Kafka ACLs and `allow.everyone.if.no.acl.found` do not
 *   apply to them (MSK developer guide, "IAM access control"). So the first `pulumi up` can create
 *   topics and ACLs on a deny-by-default cluster: no bootstrap revision to flip afterwards.
 *   Its rights are {@link mskAdminPolicy}: connect, describe the cluster and alter it (ACL
 *   create/delete), manage topics; no data-plane read or write, no group access.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as kafka from "@pulumi/kafka";
import * as random from "@pulumi/random";
import { kafkaUserName } from "../catalog/derive";
import { PLATFORM_NAMESPACES } from "../cluster/namespaces";
import { pinnedChart } from "../charts/pinned";
import type { PlatformContext } from "../contracts";
import { declareKubeObject, standardLabels, withNamespaceDependency, type KubeObject } from "../kube/object";
import { serverCertificate } from "../kube/tls";
import type { AwsFoundation } from "../aws";
import { awsPrefix, LONG_TIMEOUTS, MSK_OPEN_MONITORING_PORTS } from "../aws/spec";
import { kafkaHealthRuleFile, MSK_JOBS } from "../observability/kafka-health";
import { MONITORING_SELECTOR, prometheusRule } from "../observability/monitors";
import type { KafkaEndpoint } from "./connections";
import { KAFKA_EXPORTER_USER, kafkaExporterAcls, strimziExporterUser } from "./exporter-access";
import {
  KAFKA_LISTENER_CA_SECRET,
  KAFKA_LISTENER_TLS_SECRET,
  kafkaBootstrap,
  kafkaListenerDnsNames,
  strimziKafkaObjects,
  strimziTopics,
  strimziUser,
} from "./local";
import { aclKey, kafkaClients, platformAcls, serviceAcls, topicDefinitions } from "./topics";

export interface EventBusArgs extends PlatformContext {
  /** Present on AWS stacks: MSK in its data subnets, keys and security group. */
  foundation?: AwsFoundation;
}

/**
 * Protocol version the `@pulumi/kafka` admin client speaks for an MSK or Strimzi version
 * (`3.9.x` → `3.9.0`, `4.1.x.kraft` → `4.1.0`).
 */
export function kafkaProtocolVersion(version: string): string {
  const [major, minor] = version.split(".");
  return `${major}.${minor}.0`;
}

/**
 * IAM policy of the platform admin on one MSK cluster (MSK "IAM access control" actions):
 * connect and describe, alter the cluster (create/delete ACLs), manage topics and their config.
 * No ReadData/WriteData, no group actions: the admin cannot read or produce events.
 */
export function mskAdminPolicy(clusterArn: string): Record<string, unknown> {
  const topics = `${clusterArn.replace(":cluster/", ":topic/")}/*`;
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "ClusterAdmin", Effect: "Allow", Action: ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:AlterCluster", "kafka-cluster:DescribeClusterDynamicConfiguration"], Resource: clusterArn },
      {
        Sid: "TopicAdmin",
        Effect: "Allow",
        Action: ["kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic", "kafka-cluster:AlterTopic", "kafka-cluster:DeleteTopic", "kafka-cluster:DescribeTopicDynamicConfiguration", "kafka-cluster:AlterTopicDynamicConfiguration"],
        Resource: topics,
      },
    ],
  };
}

/** Broker properties of the MSK configuration. */
export function mskServerProperties(k: PlatformContext["config"]["kafka"]): string {
  return [
    "auto.create.topics.enable=false",
    `default.replication.factor=${k.replicationFactor}`,
    `min.insync.replicas=${k.minInsyncReplicas}`,
    `unclean.leader.election.enable=${k.uncleanLeaderElection}`,
    "allow.everyone.if.no.acl.found=false",
    `log.retention.hours=${k.replayRetentionHours}`,
    "num.partitions=3",
  ].join("\n");
}

/**
 * ScrapeConfigs of the brokers' open-monitoring exporters (JMX, node), one job each, on the broker
 * hosts MSK reports. Selected by Prometheus like the monitors (same label).
 */
export function mskScrapeConfigs(brokerHosts: pulumi.Input<string[]>): KubeObject[] {
  return (["jmx", "node"] as const).map((exporter) => ({
    apiVersion: "monitoring.coreos.com/v1alpha1",
    kind: "ScrapeConfig",
    metadata: { name: MSK_JOBS[exporter], namespace: PLATFORM_NAMESPACES.monitoring, labels: { ...standardLabels("msk", "scrape-config"), ...MONITORING_SELECTOR } },
    spec: {
      jobName: MSK_JOBS[exporter],
      staticConfigs: [{ targets: pulumi.output(brokerHosts).apply((hosts) => hosts.map((h) => `${h}:${MSK_OPEN_MONITORING_PORTS[exporter]}`)), labels: { cluster: "msk" } }],
    },
  })) as unknown as KubeObject[];
}

export class EventBus extends pulumi.ComponentResource {
  readonly endpoint: KafkaEndpoint;
  /** SCRAM password per Kafka-using service (secret). */
  readonly passwords: Record<string, pulumi.Output<string>>;
  /** The metrics exporter's SCRAM identity (Describe-only ACLs; password secret). */
  readonly exporter: { user: string; password: pulumi.Output<string> };
  /**
   * AWS: IAM policy of the platform admin (topics, ACLs) on this cluster, attached to the role that
   * runs `pulumi up` (infra/aws/deploy-runner.ts). Absent on local.
   */
  readonly adminPolicy?: aws.iam.Policy;
  /** AWS: ARN of the MSK cluster. */
  readonly clusterArn?: pulumi.Output<string>;
  /** AWS: broker hosts (for the open-monitoring scrape). */
  readonly brokerHosts?: pulumi.Output<string[]>;

  constructor(name: string, args: EventBusArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:data:EventBus", name, {}, opts);
    const { config, catalog } = args;
    const topics = topicDefinitions(catalog, config.kafka);
    const clients = kafkaClients(catalog);
    this.passwords = {};
    for (const s of clients) {
      this.passwords[s.name] = new random.RandomPassword(`${name}-${kafkaUserName(s)}`, { length: 32, special: false }, { parent: this }).result;
    }
    this.exporter = { user: KAFKA_EXPORTER_USER, password: new random.RandomPassword(`${name}-${KAFKA_EXPORTER_USER}`, { length: 32, special: false }, { parent: this }).result };

    if (!args.foundation) {
      // The chart runs in `operators` but writes RoleBindings into the namespace it watches
      // (charts/strimzi-kafka-operator/values.yaml watchNamespaces): it needs both to exist.
      const operatorOpts = withNamespaceDependency(PLATFORM_NAMESPACES.kafka, withNamespaceDependency(PLATFORM_NAMESPACES.operators, { parent: this }));
      const operator = pinnedChart("strimzi", { chart: "strimzi-kafka-operator", stack: config.stack }, operatorOpts);
      const afterOperator: pulumi.CustomResourceOptions = { parent: this, dependsOn: [operator] };
      const listenerTls = this.listenerCertificate(name);
      const [kafkaCr, pool] = strimziKafkaObjects(config);
      const cluster = declareKubeObject(kafkaCr, { ...afterOperator, dependsOn: [operator, ...listenerTls.secrets] });
      declareKubeObject(pool, afterOperator);
      const afterCluster: pulumi.CustomResourceOptions = { parent: this, dependsOn: [cluster] };
      for (const t of strimziTopics(topics)) declareKubeObject(t, afterCluster);
      for (const s of clients) {
        const [user, secret] = strimziUser(s, serviceAcls(catalog, s), this.passwords[s.name]);
        const secretRes = declareKubeObject(secret, { parent: this });
        declareKubeObject(user, { parent: this, dependsOn: [cluster, secretRes] });
      }
      const [exporterUser, exporterSecret] = strimziExporterUser(this.exporter.password);
      declareKubeObject(exporterUser, { parent: this, dependsOn: [cluster, declareKubeObject(exporterSecret, { parent: this })] });
      this.endpoint = { bootstrapServers: kafkaBootstrap, securityProtocol: "SASL_SSL", saslMechanism: "SCRAM-SHA-512", caCertificatePem: listenerTls.caPem };
      this.registerOutputs({ bootstrapServers: kafkaBootstrap });
      return;
    }

    const f = args.foundation;
    const prefix = awsPrefix(config.stack);
    const protect = config.protectData;
    const child: pulumi.CustomResourceOptions = { parent: this };
    const k = config.kafka;

    const mskConfig = new aws.msk.Configuration(
      `${name}-config`,
      { name: `${prefix}-kafka`, kafkaVersions: [k.version], serverProperties: mskServerProperties(k), description: "TradeMaster brokers: no auto-create, ACLs required for SCRAM principals" },
      child,
    );
    const brokerLogs = new aws.cloudwatch.LogGroup(`${name}-broker-logs`, { name: `/trademaster/${config.stack}/msk`, retentionInDays: 90, kmsKeyId: f.kmsKeys.logs.arn }, child);

    const cluster = new aws.msk.Cluster(
      `${name}-msk`,
      {
        clusterName: `${prefix}-kafka`,
        kafkaVersion: k.version,
        numberOfBrokerNodes: k.brokers,
        brokerNodeGroupInfo: {
          instanceType: k.brokerInstanceType!,
          // One data subnet per zone: MSK spreads the brokers evenly over them.
          clientSubnets: f.dataSubnetIds,
          securityGroups: [f.dataSecurityGroupIds.kafka],
          storageInfo: { ebsStorageInfo: { volumeSize: k.brokerVolumeGb } },
          connectivityInfo: { publicAccess: { type: "DISABLED" } },
        },
        encryptionInfo: {
          encryptionAtRestKmsKeyArn: f.kmsKeys.kafka.arn,
          encryptionInTransit: { clientBroker: "TLS", inCluster: true },
        },
        // SCRAM for services (ACLs), IAM for the platform admin (IAM policy): see the module doc.
        clientAuthentication: { unauthenticated: false, sasl: { scram: true, iam: true } },
        configurationInfo: { arn: mskConfig.arn, revision: mskConfig.latestRevision },
        loggingInfo: { brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: brokerLogs.name } } },
        enhancedMonitoring: "PER_TOPIC_PER_BROKER",
        openMonitoring: { prometheus: { jmxExporter: { enabledInBroker: true }, nodeExporter: { enabledInBroker: true } } },
        tags: { "trademaster:stack": config.stack },
      },
      { parent: this, protect, customTimeouts: LONG_TIMEOUTS.msk },
    );

    // SCRAM users: one AmazonMSK_* secret each, encrypted with the customer-managed key.
    const scramUsers: Array<{ user: string; password: pulumi.Output<string> }> = [
      ...clients.map((s) => ({ user: kafkaUserName(s), password: this.passwords[s.name] })),
      this.exporter,
    ];
    const versions = scramUsers.map(({ user, password }) => {
      const secret = new aws.secretsmanager.Secret(
        `${name}-scram-${user}`,
        { name: `AmazonMSK_${prefix}_${user}`, kmsKeyId: f.kmsKeys.secrets.arn, recoveryWindowInDays: 30, description: `MSK SCRAM credentials of ${user}` },
        { parent: this, protect },
      );
      return new aws.secretsmanager.SecretVersion(
        `${name}-scram-${user}`,
        { secretId: secret.id, secretString: pulumi.secret(pulumi.jsonStringify({ username: user, password })) },
        child,
      );
    });
    const association = new aws.msk.ScramSecretAssociation(`${name}-scram`, { clusterArn: cluster.arn, secretArnLists: versions.map((v) => v.arn) }, child);

    this.clusterArn = cluster.arn;
    const bootstrap = cluster.bootstrapBrokersSaslScram;
    this.brokerHosts = bootstrap.apply((b) => b.split(",").map((hp) => hp.split(":")[0]).sort());
    this.adminPolicy = new aws.iam.Policy(
      `${name}-admin`,
      { name: `${prefix}-kafka-admin`, description: "TradeMaster: MSK topics and ACLs over SASL/IAM (no data access)", policy: cluster.arn.apply((arn) => JSON.stringify(mskAdminPolicy(arn))) },
      child,
    );
    // The admin client: SASL/IAM with the credentials `pulumi up` runs with (default AWS chain).
    const provider = new kafka.Provider(
      `${name}-admin`,
      {
        bootstrapServers: cluster.bootstrapBrokersSaslIam.apply((b) => b.split(",")),
        tlsEnabled: true,
        saslMechanism: "aws-iam",
        saslAwsRegion: f.region,
        kafkaVersion: kafkaProtocolVersion(k.version),
      },
      { parent: this, dependsOn: [association] },
    );
    const onKafka: pulumi.CustomResourceOptions = { parent: this, provider };
    for (const t of topics) {
      // Deleting a topic deletes its events: protected like any other data.
      new kafka.Topic(`${name}-topic-${t.name}`, { name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, config: t.config }, { ...onKafka, protect });
    }
    const allow = (resourceName: string, user: string, rule: { operation: string; resourceType: string; resourceName: string; patternType?: "literal" | "prefixed" }) =>
      new kafka.Acl(
        resourceName,
        {
          aclPrincipal: `User:${user}`,
          aclHost: "*",
          aclOperation: rule.operation,
          aclPermissionType: "Allow",
          aclResourceType: rule.resourceType,
          aclResourceName: rule.resourceName,
          resourcePatternTypeFilter: rule.patternType === "prefixed" ? "Prefixed" : "Literal",
        },
        onKafka,
      );
    for (const rule of platformAcls(catalog)) allow(`${name}-acl-${aclKey(rule).replace(/\|/g, "-")}`, rule.user, rule);
    for (const rule of kafkaExporterAcls()) {
      allow(`${name}-acl-${KAFKA_EXPORTER_USER}-${rule.resourceType.toLowerCase()}-${rule.operation.toLowerCase()}`, KAFKA_EXPORTER_USER, rule);
    }
    // Broker metrics (open monitoring) and the broker health alerts.
    for (const o of mskScrapeConfigs(this.brokerHosts)) declareKubeObject(o, child);
    declareKubeObject(prometheusRule("kafka-health", kafkaHealthRuleFile(config)), child);
    this.endpoint = { bootstrapServers: bootstrap, securityProtocol: "SASL_SSL", saslMechanism: "SCRAM-SHA-512" };
    this.registerOutputs({ clusterArn: cluster.arn, bootstrapServers: bootstrap });
  }

  /**
   * The local TLS listener's certificate: a private CA and a broker certificate for the bootstrap
   * and broker names, generated by the `tls` provider. The CA certificate is public (clients get
   * it in their ConfigMap); the keys stay in Pulumi secrets and the kafka namespace's Secret.
   */
  private listenerCertificate(name: string): { caPem: pulumi.Output<string>; secrets: pulumi.Resource[] } {
    const child = { parent: this };
    const { caPem, certPem, keyPem } = serverCertificate(`${name}-listener`, { caCommonName: "TradeMaster local Kafka CA", dnsNames: kafkaListenerDnsNames() }, this);
    const ns = PLATFORM_NAMESPACES.kafka;
    const meta = (secretName: string) => ({ name: secretName, namespace: ns, labels: standardLabels("trademaster-data", "kafka-tls") });
    const chain = pulumi.secret(pulumi.interpolate`${certPem}${caPem}`);
    const secrets = [
      declareKubeObject({ apiVersion: "v1", kind: "Secret", metadata: meta(KAFKA_LISTENER_TLS_SECRET), type: "Opaque", stringData: { "tls.crt": chain, "tls.key": keyPem } }, child),
      declareKubeObject({ apiVersion: "v1", kind: "Secret", metadata: meta(KAFKA_LISTENER_CA_SECRET), type: "Opaque", stringData: { "ca.crt": caPem } }, child),
    ];
    return { caPem, secrets };
  }
}
