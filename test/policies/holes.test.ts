/**
 * The holes of issue 13, one fixture each that passed the pack before and fails it now, next to a
 * compliant fixture that passes: workload kinds and chart-rendered objects under their namespace's
 * Pod Security level, mesh authorization, public exposure, gateway retries, edge TLS/WAF/logs,
 * and the smaller encryption, secret, availability and observability gaps.
 */
import { describe, expect, it } from "vitest";
import { albTls, cloudfrontTls, edgeAccessLogs, edgeWaf } from "../../policies/rules/edge";
import { encryptionAtRest, encryptionInTransit, nodeVolumeEncryption } from "../../policies/rules/encryption";
import { noPublicExposure, worldIngressProblem } from "../../policies/rules/exposure";
import { corsNoWildcard, isWildcardOrigin } from "../../policies/rules/gateway";
import { meshAuthorization, noRetryNonIdempotent } from "../../policies/rules/mesh";
import { dataProtection, highAvailabilityDataStores, observabilityCoverage, replicasAndPdb } from "../../policies/rules/resilience";
import { hasUrlCredentials, noPlaintextSecrets, workloadHardening } from "../../policies/rules/workloads";
import { loadCatalog } from "../../infra/catalog/load";
import { meshPrincipal } from "../../infra/catalog/derive";
import { KONG_GATEWAY_PRINCIPAL } from "../../infra/gateway/identity";
import { UNKNOWN } from "../../infra/plan/types";
import { deployment, goodContainer, kube, messages, res, run } from "./fixtures";

const catalog = loadCatalog();
const trading = catalog.services.find((s) => s.name === "trading")!;

function namespace(name: string, enforce?: string) {
  return kube("v1", "Namespace", name, { metadata: { namespace: undefined, labels: enforce ? { "pod-security.kubernetes.io/enforce": enforce } : {} } }, "");
}

const hardenedPod = (container: Record<string, unknown> = goodContainer("job")) => ({
  securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
  restartPolicy: "OnFailure",
  containers: [container],
});

/** A container as a reviewer would break it: root, escalation, writable root, SYS_ADMIN, :latest. */
const rootContainer = {
  name: "job",
  image: "busybox:latest",
  resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
  securityContext: { runAsUser: 0, allowPrivilegeEscalation: true, readOnlyRootFilesystem: false, capabilities: { add: ["SYS_ADMIN"] } },
};
const hostPod = { hostNetwork: true, volumes: [{ name: "host", hostPath: { path: "/" } }], containers: [rootContainer] };

describe("workload-hardening: every kind with a pod spec", () => {
  const ns = namespace("tm-trading", "restricted");
  it("passes a hardened Job, CronJob and bare Pod (no probes needed for run-to-completion)", async () => {
    const noProbes = { ...goodContainer("job") };
    delete noProbes.readinessProbe;
    delete noProbes.livenessProbe;
    const ok = [
      ns,
      kube("batch/v1", "Job", "migrate", { spec: { template: { spec: hardenedPod(noProbes) } } }),
      kube("batch/v1", "CronJob", "report", { spec: { schedule: "0 * * * *", jobTemplate: { spec: { template: { spec: hardenedPod(noProbes) } } } } }),
      kube("v1", "Pod", "debug", { spec: hardenedPod(noProbes) }),
    ];
    expect((await run(workloadHardening, ok)).diagnostics).toEqual([]);
  });

  it("fails an unconfined AppArmor annotation at the pod template's metadata, passes runtime/default", async () => {
    const withAppArmor = (profile: string) => kube("batch/v1", "Job", "migrate", { spec: { template: { metadata: { annotations: { "container.apparmor.security.beta.kubernetes.io/job": profile } }, spec: hardenedPod() } } });
    const noProbes = (m: string[]) => m.filter((x) => !/Probe/.test(x));
    expect(noProbes(messages(await run(workloadHardening, [ns, withAppArmor("runtime/default")])))).toEqual([]);
    expect(noProbes(messages(await run(workloadHardening, [ns, withAppArmor("unconfined")])))).toEqual([
      expect.stringMatching(/^`spec\.template\.metadata\.annotations\["container\.apparmor\.security\.beta\.kubernetes\.io\/job"\]` is unconfined \(Pod Security restricted/),
    ]);
  });

  for (const [kind, apiVersion, body] of [
    ["Job", "batch/v1", { spec: { template: { spec: hostPod } } }],
    ["CronJob", "batch/v1", { spec: { schedule: "* * * * *", jobTemplate: { spec: { template: { spec: hostPod } } } } }],
    ["Pod", "v1", { spec: hostPod }],
    ["ReplicaSet", "apps/v1", { spec: { template: { spec: hostPod } } }],
    ["StatefulSet", "apps/v1", { spec: { template: { spec: hostPod } } }],
  ] as const) {
    it(`fails a ${kind} running as root with escalation, a writable root, SYS_ADMIN, hostNetwork, hostPath and :latest`, async () => {
      const m = messages(await run(workloadHardening, [ns, kube(apiVersion, kind, "bad", body)]));
      for (const expected of [/runAsUser` is 0/, /allowPrivilegeEscalation` is not false/, /readOnlyRootFilesystem` .* is not true/, /capabilities.add` adds SYS_ADMIN/, /hostNetwork` shares a host namespace/, /hostPath` mounts a hostPath volume/, /"busybox:latest" is not pinned/]) {
        expect(m.some((x) => expected.test(x)), `${kind}: ${String(expected)}`).toBe(true);
      }
    });
  }

  it("checks every other workload when one has a value unknown in preview, then notes it like the engine", async () => {
    const unknownLimits = { ...goodContainer("app"), resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: UNKNOWN, memory: "64Mi" } } };
    const r = await run(workloadHardening, [ns, deployment("a", { container: unknownLimits }), kube("v1", "Pod", "bad", { spec: hostPod })]);
    expect(r.diagnostics.filter((d) => !d.unknown).length).toBeGreaterThan(0);
    expect(r.diagnostics.filter((d) => d.unknown)).toHaveLength(1);
  });

  describe("chart-rendered objects (parent: a helm.sh/v4:Chart)", () => {
    const chart = res("kubernetes:helm.sh/v4:Chart", "monitoring-kube-prometheus-stack", { chart: "kube-prometheus-stack", version: "79.0.0" });
    const nodeExporter = (namespaceName: string, image = "quay.io/prometheus/node-exporter:v1.10.2") =>
      kube(
        "apps/v1",
        "DaemonSet",
        "node-exporter",
        {
          spec: {
            template: {
              spec: {
                hostNetwork: true,
                hostPID: true,
                volumes: [{ name: "proc", hostPath: { path: "/proc" } }],
                containers: [{ ...goodContainer("node-exporter"), image, securityContext: { readOnlyRootFilesystem: true }, ports: [{ containerPort: 9100, hostPort: 9100 }] }],
              },
            },
          },
        },
        namespaceName,
        { parent: chart.urn },
      );
    it("exempts a node agent from Pod Security only by its namespace's declared level, never by name", async () => {
      expect((await run(workloadHardening, [namespace("monitoring", "privileged"), chart, nodeExporter("monitoring")])).diagnostics).toEqual([]);
      const restricted = messages(await run(workloadHardening, [namespace("observability", "restricted"), chart, nodeExporter("observability")]));
      expect(restricted).toEqual(expect.arrayContaining([expect.stringMatching(/hostNetwork` shares a host namespace \(Pod Security restricted/), expect.stringMatching(/hostPort` binds host port 9100/)]));
    });
    it("leaves probes and CPU limits of chart containers to the chart, not requests or a memory limit", async () => {
      const sidecar = { name: "grafana-sc-dashboard", image: "quay.io/kiwigrid/k8s-sidecar:1.30.3", securityContext: { readOnlyRootFilesystem: true }, resources: { requests: { cpu: "10m", memory: "64Mi" } } };
      const grafana = kube("apps/v1", "Deployment", "grafana", { spec: { template: { spec: { containers: [sidecar] } } } }, "monitoring", { parent: chart.urn });
      expect(messages(await run(workloadHardening, [namespace("monitoring", "privileged"), chart, grafana]))).toEqual([expect.stringMatching(/resources.limits` \(container "grafana-sc-dashboard"\) has no memory$/)]);
    });
    it("still holds privileged-namespace chart workloads to pinned images and resources", async () => {
      const m = messages(await run(workloadHardening, [namespace("monitoring", "privileged"), chart, nodeExporter("monitoring", "quay.io/prometheus/node-exporter:latest")]));
      expect(m).toEqual([expect.stringMatching(/image` \(container "node-exporter"\) "quay.io\/prometheus\/node-exporter:latest" is not pinned/)]);
    });
    it("holds a namespace without a Pod Security label, or one the plan does not declare, to restricted; baseline forbids host access only", async () => {
      expect(messages(await run(workloadHardening, [namespace("monitoring"), chart, nodeExporter("monitoring")])).join("\n")).toMatch(/Pod Security restricted of namespace monitoring/);
      expect(messages(await run(workloadHardening, [chart, nodeExporter("kube-system")])).join("\n")).toMatch(/Pod Security restricted of namespace kube-system/);
      const patch = res("kubernetes:core/v1:NamespacePatch", "kube-system", { metadata: { name: "kube-system", labels: { "pod-security.kubernetes.io/enforce": "privileged" } } });
      expect((await run(workloadHardening, [patch, chart, nodeExporter("kube-system")])).diagnostics).toEqual([]);
      const baseline = messages(await run(workloadHardening, [namespace("monitoring", "baseline"), chart, nodeExporter("monitoring")]));
      expect(baseline.some((x) => /hostPath/.test(x))).toBe(true);
      expect(baseline.some((x) => /runAsNonRoot|allowPrivilegeEscalation/.test(x))).toBe(false);
    });
  });
});

describe("mesh-authorization", () => {
  const denyAll = (ns: string) => kube("security.istio.io/v1", "AuthorizationPolicy", "deny-by-default", { spec: {} }, ns);
  const meshed = [...new Set([...catalog.services.map((s) => s.namespace), "kong"])];
  const allow = (rules: unknown[]) => kube("security.istio.io/v1", "AuthorizationPolicy", "trading-allow", { spec: { action: "ALLOW", selector: { matchLabels: { app: "trading" } }, rules } }, trading.namespace);
  const gatewayRule = { from: [{ source: { principals: [KONG_GATEWAY_PRINCIPAL] } }], to: [{ operation: { methods: ["POST"], paths: ["/api/v1/orders"], ports: ["8080"] } }] };
  it("passes deny-by-default namespaces and call-graph rules", async () => {
    const callers = catalog.services.filter((s) => s.calls.includes("trading")).map((s) => ({ from: [{ source: { principals: [meshPrincipal(s)] } }], to: [{ operation: { ports: ["8080"] } }] }));
    expect((await run(meshAuthorization, [...meshed.map(denyAll), allow([...callers, gatewayRule])])).diagnostics).toEqual([]);
  });
  it("fails an ALLOW rule without from, `rules: [{}]`, wildcard sources and callers outside the call graph", async () => {
    const m = messages(
      await run(meshAuthorization, [
        ...meshed.map(denyAll),
        allow([{ to: [{ operation: { methods: ["GET"] } }] }, {}, { from: [{ source: { principals: ["*"] } }] }, { from: [{ source: { namespaces: ["*"] } }] }, { from: [{ source: { principals: ["cluster.local/ns/tm-services/sa/analytics"] } }] }]),
      ]),
    );
    expect(m).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^`spec.rules\[0\].from` is missing/),
        expect.stringMatching(/^`spec.rules\[1\].from` is missing/),
        expect.stringMatching(/^`spec.rules\[2\].from\[0\].source` allows every caller with \*/),
        expect.stringMatching(/^`spec.rules\[3\].from\[0\].source` allows every caller with \*/),
        expect.stringMatching(/^`spec.rules\[4\].from` admits cluster.local\/ns\/tm-services\/sa\/analytics, which the catalog does not list/),
      ]),
    );
  });
  it("fails a namespace without allow-nothing policy and a gateway rule open to every path", async () => {
    const m = messages(await run(meshAuthorization, [...meshed.filter((n) => n !== "tm-trading").map(denyAll), allow([{ from: gatewayRule.from }])]));
    expect(m).toEqual(expect.arrayContaining([expect.stringMatching(/meshed namespace "tm-trading" has no allow-nothing/), expect.stringMatching(/lets the gateway reach every path and method of "trading"/)]));
  });
});

describe("no-public-exposure", () => {
  const bucket = res("aws:s3/bucket:Bucket", "assets", {});
  const fullBlock = { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true, bucket: UNKNOWN };
  it("passes private databases, HTTPS-only world ingress, blocked buckets and a private EKS endpoint", async () => {
    const ok = [
      res("aws:rds/instance:Instance", "db", { publiclyAccessible: false }),
      res("aws:ec2/securityGroup:SecurityGroup", "alb", { ingress: [{ cidrBlocks: ["0.0.0.0/0"], fromPort: 443, toPort: 443, protocol: "tcp" }] }),
      res("aws:ec2/securityGroup:SecurityGroup", "pg", { ingress: [{ cidrBlocks: ["10.30.0.0/19"], fromPort: 5432, toPort: 5432, protocol: "tcp" }] }),
      bucket,
      res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "assets", fullBlock, { dependencies: [bucket.urn] }),
      res("aws:eks/cluster:Cluster", "eks", { vpcConfig: { endpointPublicAccess: false, endpointPrivateAccess: true } }),
      res("aws:eks/cluster:Cluster", "eks-office", { vpcConfig: { endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] } }),
    ];
    expect((await run(noPublicExposure, ok)).diagnostics).toEqual([]);
  });
  it("fails a public RDS, a database port open to the world, an open or missing public access block and a public EKS endpoint", async () => {
    const bad = [
      res("aws:rds/instance:Instance", "db", { publiclyAccessible: true }),
      res("aws:ec2/securityGroup:SecurityGroup", "pg", { ingress: [{ cidrBlocks: ["0.0.0.0/0"], fromPort: 5432, toPort: 5432, protocol: "tcp" }] }),
      res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "redis", { cidrIpv4: "0.0.0.0/0", fromPort: 6379, toPort: 6379, ipProtocol: "tcp", securityGroupId: UNKNOWN }),
      bucket,
      res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "assets", { ...fullBlock, blockPublicPolicy: false }, { dependencies: [bucket.urn] }),
      res("aws:s3/bucket:Bucket", "orphan", {}),
      res("aws:eks/cluster:Cluster", "eks", { vpcConfig: { subnetIds: [UNKNOWN] } }),
      res("aws:eks/cluster:Cluster", "eks-open", { vpcConfig: { endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] } }),
    ];
    const m = messages(await run(noPublicExposure, bad));
    expect(m).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^`publiclyAccessible` is true/),
        expect.stringMatching(/^`ingress\[0\]` opens tcp port 5432 to 0.0.0.0\/0/),
        expect.stringMatching(/^`cidrIpv4` opens tcp port 6379/),
        "`blockPublicPolicy` is not true",
        expect.stringMatching(/bucket "orphan" has no aws.s3.BucketPublicAccessBlock/),
        expect.stringMatching(/endpointPublicAccess` is unset \(default true\) with publicAccessCidrs unset/),
        expect.stringMatching(/endpointPublicAccess` is true with publicAccessCidrs 0.0.0.0\/0/),
      ]),
    );
    expect(worldIngressProblem({ cidrs: ["::/0"], protocol: "-1", from: 0, to: 0 })).toMatch(/every protocol/);
  });
});

describe("no-retry-non-idempotent: the gateway too", () => {
  const route = kube(
    "gateway.networking.k8s.io/v1",
    "HTTPRoute",
    "trading",
    { spec: { rules: [{ matches: [{ method: "POST", path: { type: "PathPrefix", value: "/api/v1/orders" } }], backendRefs: [{ kind: "Service", name: "trading", port: 8080 }] }] } },
    trading.namespace,
  );
  const service = (annotations: Record<string, string>) => kube("v1", "Service", "trading", { metadata: { annotations }, spec: { ports: [{ port: 8080 }] } }, trading.namespace);
  it("passes when the Service behind an order route says konghq.com/retries 0", async () => {
    expect((await run(noRetryNonIdempotent, [route, service({ "konghq.com/retries": "0" })])).diagnostics).toEqual([]);
  });
  it("fails when the annotation is removed: Kong retries 5 times by default", async () => {
    const m = messages(await run(noRetryNonIdempotent, [route, service({})]));
    expect(m).toEqual([expect.stringMatching(/^`metadata.annotations\["konghq.com\/retries"\]` is absent \(Kong retries 5 times\) on Service tm-trading\/trading, which the gateway sends POST \/api\/v1\/orders/)]);
  });
});

describe("edge TLS, WAF and access logs", () => {
  const alb = res("aws:lb/loadBalancer:LoadBalancer", "alb", { loadBalancerType: "application", internal: false, dropInvalidHeaderFields: true, accessLogs: { enabled: true, bucket: UNKNOWN } });
  const acl = res("aws:wafv2/webAcl:WebAcl", "waf", {});
  const wafLogs = res("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "waf", {}, { dependencies: [acl.urn] });
  const association = res("aws:wafv2/webAclAssociation:WebAclAssociation", "waf", {}, { dependencies: [alb.urn, acl.urn] });
  const headers = res("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "headers", {});
  const distribution = (over: Record<string, unknown> = {}, behavior: Record<string, unknown> = {}) =>
    res(
      "aws:cloudfront/distribution:Distribution",
      "static",
      {
        defaultCacheBehavior: { viewerProtocolPolicy: "redirect-to-https", responseHeadersPolicyId: UNKNOWN, ...behavior },
        viewerCertificate: { acmCertificateArn: "arn:aws:acm:us-east-1:1:certificate/x", minimumProtocolVersion: "TLSv1.2_2021", sslSupportMethod: "sni-only" },
        webAclId: UNKNOWN,
        loggingConfig: { bucket: UNKNOWN },
        ...over,
      },
      { dependencies: [headers.urn] },
    );
  const listeners = (http: Record<string, unknown>, sslPolicy?: string) => [
    res("aws:lb/listener:Listener", "http", { port: 80, protocol: "HTTP", defaultActions: [http] }),
    res("aws:lb/listener:Listener", "https", { port: 443, protocol: "HTTPS", ...(sslPolicy ? { sslPolicy } : {}), defaultActions: [{ type: "forward", targetGroupArn: UNKNOWN }] }),
  ];
  const redirect = { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } };
  const edge = [alb, acl, wafLogs, association, headers];

  it("passes a redirecting HTTP listener, a TLS 1.2+ policy, an HTTPS-only distribution with WAF, logs and headers policy", async () => {
    const plan = [...edge, ...listeners(redirect, "ELBSecurityPolicy-TLS13-1-2-2021-06"), distribution()];
    for (const p of [albTls, cloudfrontTls, edgeWaf, edgeAccessLogs]) expect((await run(p, plan)).diagnostics, p.name).toEqual([]);
  });
  it("fails an HTTP listener that forwards and a weak or default TLS policy", async () => {
    expect(messages(await run(albTls, [alb, ...listeners({ type: "forward", targetGroupArn: UNKNOWN }, "ELBSecurityPolicy-2016-08")]))).toEqual([
      expect.stringMatching(/^`defaultActions\[0\].type` is forward on an HTTP listener/),
      expect.stringMatching(/^`sslPolicy` is ELBSecurityPolicy-2016-08: it accepts TLS below 1.2/),
    ]);
    expect(messages(await run(albTls, listeners(redirect)))).toEqual([expect.stringMatching(/`sslPolicy` is unset \(default ELBSecurityPolicy-2016-08\)/)]);
  });
  it("fails CloudFront allow-all, a distribution without WAF or logs, and one without its security-headers policy", async () => {
    expect(messages(await run(cloudfrontTls, [headers, distribution({}, { viewerProtocolPolicy: "allow-all" })]))).toEqual([expect.stringMatching(/viewerProtocolPolicy` is allow-all/)]);
    const noHeaders = distribution({ defaultCacheBehavior: { viewerProtocolPolicy: "https-only" } });
    expect(messages(await run(cloudfrontTls, [headers, noHeaders]))).toEqual([expect.stringMatching(/responseHeadersPolicyId` is missing/)]);
    expect(messages(await run(cloudfrontTls, [distribution({ viewerCertificate: { cloudfrontDefaultCertificate: true } })]))).toEqual([
      expect.stringMatching(/does not reference a response headers policy of this stack/),
      expect.stringMatching(/cloudfrontDefaultCertificate` is true/),
    ]);
    const bare = distribution({ webAclId: undefined, loggingConfig: undefined });
    expect(messages(await run(edgeWaf, [...edge, bare]))).toEqual([expect.stringMatching(/^`webAclId` is missing/)]);
    expect(messages(await run(edgeAccessLogs, [...edge, bare]))).toEqual([expect.stringMatching(/^`loggingConfig` is missing/)]);
    // A v2 standard-logging delivery source for the distribution counts as access logging.
    const v2 = res("aws:cloudwatch/logDeliverySource:LogDeliverySource", "cf", { logType: "ACCESS_LOGS", resourceArn: UNKNOWN }, { dependencies: [bare.urn] });
    expect(messages(await run(edgeAccessLogs, [...edge, bare, v2]))).toEqual([]);
  });
  it("fails a public ALB without WAF association or access logs and a web ACL without logging", async () => {
    const bareAlb = res("aws:lb/loadBalancer:LoadBalancer", "alb", { internal: false, dropInvalidHeaderFields: true });
    expect(messages(await run(edgeWaf, [bareAlb, acl]))).toEqual([expect.stringMatching(/public load balancer "alb" has no aws.wafv2.WebAclAssociation/), expect.stringMatching(/web ACL "waf" has no aws.wafv2.WebAclLoggingConfiguration/)]);
    expect(messages(await run(edgeAccessLogs, [bareAlb]))).toEqual(["`accessLogs` are not enabled with a bucket"]);
  });
  it("fails the regex origin https://.* in CORS (Kong treats non-host characters as a regex)", async () => {
    const cors = (origins: string[]) => kube("configuration.konghq.com/v1", "KongClusterPlugin", "cors", { plugin: "cors", config: { origins } }, "");
    expect((await run(corsNoWildcard, [cors(["https://app.trademaster.example.com", "https://(app|www)\\.trademaster\\.example\\.com$"])])).diagnostics).toEqual([]);
    expect(messages(await run(corsNoWildcard, [cors(["https://.*"])]))).toEqual([expect.stringMatching(/^`config.origins` allows any site: https:\/\/\.\*/)]);
    expect(isWildcardOrigin("https://.*\\.example", "full")).toBe(true);
    expect(isWildcardOrigin("https://app\\.trademaster\\.example\\.com", "full")).toBe(false);
  });
});

describe("smaller holes", () => {
  it("encryption at rest covers log groups, Secrets Manager, ECR and node-group disks", async () => {
    const ok = [
      res("aws:cloudwatch/logGroup:LogGroup", "lg", { kmsKeyId: UNKNOWN }),
      res("aws:secretsmanager/secret:Secret", "s", { kmsKeyId: UNKNOWN }),
      res("aws:ecr/repository:Repository", "r", { encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: UNKNOWN }] }),
    ];
    expect((await run(encryptionAtRest, ok)).diagnostics).toEqual([]);
    const bad = [res("aws:cloudwatch/logGroup:LogGroup", "lg", {}), res("aws:secretsmanager/secret:Secret", "s", {}), res("aws:ecr/repository:Repository", "r", { encryptionConfigurations: [{ encryptionType: "AES256" }] })];
    expect(messages(await run(encryptionAtRest, bad))).toEqual([expect.stringMatching(/^`kmsKeyId` is missing: the log group/), expect.stringMatching(/^`kmsKeyId` is missing: the secret/), expect.stringMatching(/^`encryptionConfigurations` uses AES256/)]);

    const lt = res("aws:ec2/launchTemplate:LaunchTemplate", "nodes", { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", kmsKeyId: UNKNOWN } }] });
    const withLt = res("aws:eks/nodeGroup:NodeGroup", "ng", { launchTemplate: { id: UNKNOWN, version: UNKNOWN } }, { dependencies: [lt.urn] });
    expect((await run(nodeVolumeEncryption, [lt, withLt])).diagnostics).toEqual([]);
    const byDefault = [res("aws:ebs/encryptionByDefault:EncryptionByDefault", "ebs", { enabled: true }), res("aws:ebs/defaultKmsKey:DefaultKmsKey", "ebs", { keyArn: UNKNOWN })];
    expect((await run(nodeVolumeEncryption, [...byDefault, res("aws:eks/nodeGroup:NodeGroup", "ng", { diskSize: 50 })])).diagnostics).toEqual([]);
    expect(messages(await run(nodeVolumeEncryption, [res("aws:eks/nodeGroup:NodeGroup", "ng", { diskSize: 50 })]))).toEqual([expect.stringMatching(/^`launchTemplate` is missing \(diskSize set\)/)]);
  });
  it("ElastiCache transitEncryptionMode preferred fails", async () => {
    const redis = (mode: string) => res("aws:elasticache/replicationGroup:ReplicationGroup", "redis", { transitEncryptionEnabled: true, transitEncryptionMode: mode, userGroupIds: ["g"] });
    expect((await run(encryptionInTransit, [redis("required")])).diagnostics).toEqual([]);
    expect(messages(await run(encryptionInTransit, [redis("preferred")]))).toEqual([expect.stringMatching(/^`transitEncryptionMode` is preferred: plaintext connections are still accepted/)]);
  });
  it("credentials inside a *_URL value and DB_PASS are secrets", async () => {
    const env = (name: string, value: string) => deployment(name.toLowerCase().replace(/_/g, "-"), { container: { ...goodContainer("app"), env: [{ name, value }] } });
    expect((await run(noPlaintextSecrets, [env("DATABASE_URL", "postgresql://app@db:5432/app?sslmode=require"), env("DB_PASS_FILE", "/run/secrets/db")])).diagnostics).toEqual([]);
    const m = messages(await run(noPlaintextSecrets, [env("DATABASE_URL", "postgresql://app:hunter2@db:5432/app"), env("DB_PASS", "hunter2"), kube("v1", "ConfigMap", "cfg", { data: { BROKER_URL: "amqp://guest:guest@mq:5672" } })]));
    expect(m).toEqual([expect.stringMatching(/env DATABASE_URL\) is a URL with a literal password/), expect.stringMatching(/env DB_PASS\) has a literal secret-like value/), "`data.BROKER_URL` is a URL with a literal password"]);
    expect(hasUrlCredentials("redis://:$(REDIS_PASSWORD)@cache:6379")).toBe(false);
    // A value that names a Secret of the namespace is a reference (ECK's WEBHOOK_SECRET), not a secret.
    const webhook = env("WEBHOOK_SECRET", "elastic-operator-webhook-cert");
    expect(messages(await run(noPlaintextSecrets, [webhook]))).toHaveLength(1);
    expect((await run(noPlaintextSecrets, [webhook, kube("v1", "Secret", "elastic-operator-webhook-cert", { type: "Opaque" })])).diagnostics).toEqual([]);
  });
  it("RDS multi-AZ off fails in prod (disabled in staging, where the design is single-AZ)", async () => {
    const db = (multiAz: boolean) => res("aws:rds/instance:Instance", "db", { multiAz });
    expect((await run(highAvailabilityDataStores, [db(true)])).diagnostics).toEqual([]);
    expect(messages(await run(highAvailabilityDataStores, [db(false)]))).toEqual([expect.stringMatching(/^`multiAz` is not true/)]);
    expect((await run(highAvailabilityDataStores, [db(false)], "staging")).diagnostics).toEqual([]);
  });
  it("a PDB with maxUnavailable 0 (or minAvailable = replicas) blocks node drains", async () => {
    const pdb = (spec: Record<string, unknown>) => kube("policy/v1", "PodDisruptionBudget", "trading", { spec: { selector: { matchLabels: { app: "trading" } }, ...spec } });
    expect((await run(replicasAndPdb, [deployment("trading"), pdb({ maxUnavailable: 1 })])).diagnostics).toEqual([]);
    expect(messages(await run(replicasAndPdb, [deployment("trading"), pdb({ maxUnavailable: 0 })]))).toEqual([expect.stringMatching(/^`spec.maxUnavailable` is 0: no pod of Deployment "tm-trading\/trading" can ever be evicted/)]);
    expect(messages(await run(replicasAndPdb, [deployment("trading"), pdb({ minAvailable: 3 })]))).toEqual([expect.stringMatching(/^`spec.minAvailable` is 3 with 3 replica\(s\)/)]);
  });
  it("chart-rendered Deployments keep their chart's replica count, but no PDB may forbid every eviction", async () => {
    const chart = res("kubernetes:helm.sh/v4:Chart", "monitoring-kube-prometheus-stack", { chart: "kube-prometheus-stack", version: "79.8.1" });
    const operator = { ...deployment("kps-operator", { replicas: 1, namespace: "monitoring" }), parent: chart.urn };
    expect((await run(replicasAndPdb, [chart, operator])).diagnostics).toEqual([]);
    const frozen = kube("policy/v1", "PodDisruptionBudget", "kps-operator", { spec: { maxUnavailable: 0, selector: { matchLabels: { app: "kps-operator" } } } }, "monitoring", { parent: chart.urn });
    expect(messages(await run(replicasAndPdb, [chart, operator, frozen]))).toEqual([expect.stringMatching(/^`spec.maxUnavailable` is 0: no pod it selects can ever be evicted/)]);
  });
  it("EKS deletion protection is checked", async () => {
    expect((await run(dataProtection, [res("aws:eks/cluster:Cluster", "eks", { deletionProtection: true })])).diagnostics).toEqual([]);
    expect(messages(await run(dataProtection, [res("aws:eks/cluster:Cluster", "eks", { deletionProtection: false })]))).toEqual([expect.stringMatching(/^`deletionProtection` is not true/)]);
  });
  it("observability-coverage fails when a service's SLO rules are gone, even if a platform alert carries service: <name>", async () => {
    const platform = kube(
      "monitoring.coreos.com/v1",
      "PrometheusRule",
      "platform-health",
      { spec: { groups: [{ name: "platform", rules: catalog.services.map((s) => ({ alert: "CriticalPathMetricsMissing", expr: `absent(up{job="${s.name}"})`, labels: { service: s.name } })) }] } },
      "monitoring",
    );
    const dashboards = catalog.services.map((s) => kube("v1", "ConfigMap", `dashboard-${s.name}`, { metadata: { labels: { grafana_dashboard: "1" } }, data: { [`${s.name}.json`]: "{}" } }, "monitoring"));
    const m = messages(await run(observabilityCoverage, [platform, ...dashboards]));
    expect(m).toHaveLength(catalog.services.filter((s) => s.slo).length);
    expect(m.find((x) => x.startsWith('service "trading"'))).toMatch(/no SLO burn-rate alert for availability, latency, error-rate/);
  });
});
