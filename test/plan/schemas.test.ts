import { describe, expect, it } from "vitest";
import { CrdCatalog } from "../../infra/plan/crd-validation";
import {
  formatSchemaIssues,
  formatPath,
  formatValidationSummary,
  parsePath,
  schemaModuleFor,
  schemaSourceFor,
  validateKubeObjects,
  validatePlanObjects,
  type SchemaIssue,
} from "../../infra/plan/schemas";
import * as yaml from "js-yaml";
import { kubeObjectsOfPlan, manifestYaml } from "../../infra/plan/output";
import { isPlainObject } from "../../infra/validation/schema";
import { SECRET, UNKNOWN, type Plan, type PlanResource } from "../../infra/plan/types";
import { planFor, planResource, STACKS } from "../helpers/plan";

type Obj = Record<string, unknown>;

function deployment(overrides: { replicas?: unknown; container?: Obj; template?: unknown } = {}): Obj {
  const container = {
    name: "orders",
    image: "ghcr.io/trademaster/orders:1.4.2",
    ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
    env: [{ name: "DB_PASSWORD", value: SECRET }],
    ...overrides.container,
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "orders", namespace: "trading", labels: { "app.kubernetes.io/name": "orders" } },
    spec: {
      replicas: "replicas" in overrides ? overrides.replicas : 3,
      selector: { matchLabels: { app: "orders" } },
      template: "template" in overrides ? overrides.template : { metadata: { labels: { app: "orders" } }, spec: { containers: [container] } },
    },
  };
}

const VALID: Obj[] = [
  deployment(),
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "trading", labels: { "istio-injection": "enabled" } } },
  { apiVersion: "v1", kind: "Service", metadata: { name: "orders", namespace: "trading" }, spec: { selector: { app: "orders" }, ports: [{ name: "http", port: 80, targetPort: "http" }] } },
  { apiVersion: "v1", kind: "Secret", metadata: { name: "orders-db", namespace: "trading" }, type: "Opaque", data: { password: "c2VjcmV0" } },
  {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "orders", namespace: "trading" },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "orders" },
      minReplicas: 3,
      maxReplicas: 10,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
    },
  },
  { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "orders", namespace: "trading" }, spec: { minAvailable: 2, selector: { matchLabels: { app: "orders" } } } },
  { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "trading-critical" }, value: 1000000, globalDefault: false },
  { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "deny-all", namespace: "trading" }, spec: { podSelector: {}, policyTypes: ["Ingress"] } },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "reader", namespace: "trading" }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }] },
  {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "report", namespace: "trading" },
    spec: { schedule: "0 * * * *", jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "r", image: "busybox:1.36" }] } } } } },
  },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "orders", namespace: "trading" },
    spec: {
      hosts: ["orders.trading.svc.cluster.local"],
      http: [{ timeout: "2s", retries: { attempts: 0 }, route: [{ destination: { host: "orders.trading.svc.cluster.local", port: { number: 80 } } }] }],
    },
  },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: "orders", namespace: "trading" },
    spec: {
      host: "orders.trading.svc.cluster.local",
      trafficPolicy: {
        connectionPool: { tcp: { maxConnections: 100 }, http: { http1MaxPendingRequests: 50 } },
        outlierDetection: { consecutive5xxErrors: 5, interval: "10s", baseEjectionTime: "30s", maxEjectionPercent: 50 },
      },
    },
  },
  { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: "istio-system" }, spec: { mtls: { mode: "STRICT" } } },
  {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: "orders", namespace: "trading" },
    spec: { action: "ALLOW", selector: { matchLabels: { app: "orders" } }, rules: [{ from: [{ source: { principals: ["cluster.local/ns/gateway/sa/kong"] } }] }] },
  },
  {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name: "orders", namespace: "trading" },
    spec: { selector: { matchLabels: { app: "orders" } }, endpoints: [{ port: "http-metrics", interval: "30s", path: "/metrics" }] },
  },
  {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "orders-slo", namespace: "trading" },
    spec: { groups: [{ name: "orders", interval: "30s", rules: [{ alert: "OrdersErrorBudgetBurn", expr: "vector(1) > 0", for: "2m", labels: { severity: "page" } }] }] },
  },
  {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: "orders", namespace: "trading" },
    spec: {
      parentRefs: [{ name: "public", namespace: "gateway" }],
      hostnames: ["api.trademaster.example"],
      rules: [{ matches: [{ path: { type: "PathPrefix", value: "/orders" } }], backendRefs: [{ name: "orders", port: 80 }] }],
    },
  },
  {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: "public", namespace: "gateway" },
    spec: { gatewayClassName: "kong", listeners: [{ name: "https", port: 443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "tls" }] } }] },
  },
];

const validate = (...objects: Obj[]) => validateKubeObjects(objects.map((object) => ({ object })));
const byPath = (issues: SchemaIssue[]) => Object.fromEntries(issues.map((i) => [i.path, i.message]));

describe("schema resolution", () => {
  it("built-in API groups map to kubernetes-models, every other group to a CRD", () => {
    expect(schemaModuleFor("v1", "Service")?.module).toBe("kubernetes-models/v1/Service");
    expect(schemaModuleFor("apps/v1", "Deployment")?.module).toBe("kubernetes-models/apps/v1/Deployment");
    expect(schemaModuleFor("policy/v1", "PodDisruptionBudget")?.module).toBe("kubernetes-models/policy/v1/PodDisruptionBudget");
    expect(schemaModuleFor("networking.istio.io/v1", "VirtualService")).toBeNull();
    expect(schemaModuleFor("monitoring.coreos.com/v1", "ServiceMonitor")).toBeNull();
  });

  it("refuses shapes that could escape the package exports", () => {
    expect(schemaModuleFor("../x/v1", "Deployment")).toBeNull();
    expect(schemaModuleFor("apps/v1", "../Deployment")).toBeNull();
    expect(schemaModuleFor("apps/v1/extra", "Deployment")).toBeNull();
    expect(schemaModuleFor("apps/latest", "Deployment")).toBeNull();
  });

  it("finds a model only for a top-level built-in kind, and the upstream CRD for a custom one", async () => {
    const none = new CrdCatalog([]);
    // PodSpec is a sub-structure beside the kinds, not a kind.
    expect(await schemaSourceFor("v1", "PodSpec", none)).toBeNull();
    expect(await schemaSourceFor("apps/v1", "Deployment", none)).toMatchObject({ package: "kubernetes-models" });
    expect(await schemaSourceFor("kafka.strimzi.io/v1", "KafkaTopic", none)).toBeNull();
    expect(await schemaSourceFor("kafka.strimzi.io/v1", "KafkaTopic")).toEqual({ crd: "upstream strimzi-kafka-operator-1.0.0.yaml" });
    expect(await schemaSourceFor("security.istio.io/v1", "PeerAuthentication")).toEqual({ crd: "upstream istio-base-1.29.2.yaml" });
  });
});

describe("valid objects", () => {
  it.each(VALID.map((o) => [`${String(o.apiVersion)} ${String(o.kind)}`, o] as const))("%s passes", async (_label, object) => {
    expect(await validate(object)).toEqual([]);
  });

  it("does not change the objects it validates", async () => {
    const object = deployment({ replicas: UNKNOWN });
    const before = JSON.stringify(object);
    await validate(object);
    expect(JSON.stringify(object)).toBe(before);
  });
});

describe("invalid objects fail with the path of the bad field", () => {
  it("Deployment: replicas not an integer, containers missing", async () => {
    const bad = deployment({ replicas: "three", template: { metadata: { labels: { app: "orders" } }, spec: {} } });
    const issues = await validateKubeObjects([{ urn: "urn:pulumi:prod::p::kubernetes:apps/v1:Deployment::orders", object: bad }]);
    expect(issues.map((i) => i.path).sort()).toEqual(["spec.replicas", "spec.template.spec.containers"]);
    const paths = byPath(issues);
    expect(paths["spec.replicas"]).toMatch(/integer.*"three"/);
    expect(paths["spec.template.spec.containers"]).toMatch(/required/);
    expect(issues[0]).toMatchObject({ urn: "urn:pulumi:prod::p::kubernetes:apps/v1:Deployment::orders", apiVersion: "apps/v1", kind: "Deployment", name: "orders", namespace: "trading" });
  });

  it("Deployment: nested array paths and quantities", async () => {
    const issues = await validate(deployment({ container: { ports: [{ containerPort: "http" }], resources: { requests: { cpu: "lots" } } } }));
    const paths = byPath(issues);
    expect(Object.keys(paths).sort()).toEqual(["spec.template.spec.containers[0].ports[0].containerPort", "spec.template.spec.containers[0].resources.requests.cpu"]);
    expect(paths["spec.template.spec.containers[0].resources.requests.cpu"]).toMatch(/quantity.*"lots"/);
  });

  it("Istio VirtualService: retries and timeout of the wrong type", async () => {
    const vs = structuredClone(VALID.find((o) => o.kind === "VirtualService")!) as { spec: { http: Array<Record<string, unknown>> } } & Obj;
    vs.spec.http[0].timeout = 2;
    vs.spec.http[0].retries = { attempts: "two" };
    const paths = byPath(await validate(vs));
    expect(Object.keys(paths).sort()).toEqual(["spec.http[0].retries.attempts", "spec.http[0].timeout"]);
    expect(paths["spec.http[0].timeout"]).toMatch(/string/);
  });

  it("Istio PeerAuthentication: mode outside the enum names the allowed values", async () => {
    const issues = await validate({ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: "istio-system" }, spec: { mtls: { mode: "STRICTEST" } } });
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe("spec.mtls.mode");
    expect(issues[0].message).toContain('"STRICT"');
    expect(issues[0].message).toContain('"STRICTEST"');
  });

  it("prometheus-operator and Gateway API objects are checked by their own schemas", async () => {
    const monitor = structuredClone(VALID.find((o) => o.kind === "ServiceMonitor")!) as { spec: { endpoints: Obj[] } } & Obj;
    monitor.spec.endpoints[0].interval = "30 seconds";
    const route = structuredClone(VALID.find((o) => o.kind === "HTTPRoute")!) as { spec: { rules: Array<{ backendRefs: Obj[] }> } } & Obj;
    route.spec.rules[0].backendRefs[0].port = 99999;
    const issues = await validate(monitor, route);
    expect(issues.map((i) => `${i.kind} ${i.path}`)).toEqual(["ServiceMonitor spec.endpoints[0].interval", "HTTPRoute spec.rules[0].backendRefs[0].port"]);
  });

  it("label keys with dots and slashes get a readable path", async () => {
    const ns = { apiVersion: "v1", kind: "Namespace", metadata: { name: "trading", labels: { "app.kubernetes.io/name": 7 } } };
    const issues = await validate(ns);
    expect(issues.map((i) => i.path)).toEqual(['metadata.labels["app.kubernetes.io/name"]']);
    expect(parsePath(issues[0].path)).toEqual(["metadata", "labels", "app.kubernetes.io/name"]);
  });
});

describe("unknown fields (typos)", () => {
  it("are reported at the misspelt key, however deep", async () => {
    const d = deployment({ container: { imagePullPolcy: "Always", securityContext: { readOnlyRootFs: true, runAsNonRoot: true } } }) as { spec: Obj } & Obj;
    d.spec.replica = 3;
    d.spec.strategyy = { rollingUpdate: { maxSurge: 1 } };
    const issues = await validate(d);
    expect(issues.map((i) => i.path)).toEqual([
      "spec.replica",
      "spec.strategyy",
      "spec.template.spec.containers[0].imagePullPolcy",
      "spec.template.spec.containers[0].securityContext.readOnlyRootFs",
    ]);
    expect(issues[0].message).toMatch(/unknown field/);
  });

  it("are reported in Istio and prometheus-operator objects too", async () => {
    const objects: Obj[] = [
      { apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "v" }, spec: { hosts: ["a"], http: [{ retires: { attempts: 0 }, route: [{ destination: { host: "a" } }] }] } },
      { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "p" }, spec: { mtls: { mod: "STRICT" } } },
      { apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { name: "r" }, spec: { groups: [{ name: "g", rules: [{ alert: "A", expr: "1", anotations: { summary: "s" } }] }] } },
    ];
    expect((await validate(...objects)).map((i) => `${i.kind} ${i.path}`)).toEqual([
      "VirtualService spec.http[0].retires",
      "PeerAuthentication spec.mtls.mod",
      "PrometheusRule spec.groups[0].rules[0].anotations",
    ]);
  });

  it("free-form fields (an EnvoyFilter patch value) are not checked for unknown keys", async () => {
    const filter = {
      apiVersion: "networking.istio.io/v1alpha3",
      kind: "EnvoyFilter",
      metadata: { name: "correlation-id", namespace: "istio-system" },
      spec: { configPatches: [{ applyTo: "HTTP_FILTER", patch: { operation: "INSERT_BEFORE", value: { name: "envoy.filters.http.lua", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua" } } } }] },
    };
    expect(await validate(filter)).toEqual([]);
  });

  it("real fields the generated validator does not check are not mistaken for typos", async () => {
    const priority = { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "critical" }, value: 1000, description: "critical trading path", preemptionPolicy: "PreemptLowerPriority" };
    expect(await validate(priority)).toEqual([]);
  });

  it("map keys (labels, ConfigMap data) are data, not fields", async () => {
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", labels: { "any-key": "v" }, annotations: { "x.y/z": "1" } }, data: { ANYTHING_GOES: "yes" } };
    expect(await validate(cm)).toEqual([]);
  });
});

describe("nothing escapes validation", () => {
  it("a custom resource with no CRD available is not passed: it is counted and named in a note", async () => {
    const topic = { apiVersion: "kafka.strimzi.io/v1", kind: "KafkaTopic", metadata: { name: "orders", namespace: "kafka" }, spec: { partitions: 12 } };
    const report = await validatePlanObjects([{ urn: "urn:x", object: topic }], { crds: new CrdCatalog([]) });
    expect(report.issues).toEqual([]);
    expect(report).toMatchObject({ custom: 0, notValidated: 1, crds: 0 });
    expect(report.notes.join("\n")).toMatch(/custom resources were not validated.*TRADEMASTER_UPSTREAM/);
    expect(formatValidationSummary(report)).toContain("1 custom resource(s) NOT validated");
  });

  it("a kind of a built-in API group that Kubernetes does not have is an issue", async () => {
    const issues = await validate({ apiVersion: "apps/v1", kind: "Deploymnet", metadata: { name: "x" } });
    expect(issues).toEqual([expect.objectContaining({ path: "", message: expect.stringMatching(/no schema for apps\/v1\/Deploymnet/) })]);
  });

  it("an object without apiVersion or kind is an issue", async () => {
    const issues = await validate({ metadata: { name: "x" } });
    expect(issues.map((i) => i.path)).toEqual(["apiVersion"]);
  });
});

describe("plan markers ([unknown], [secret]) never cause a failure by themselves", () => {
  it("in integer, quantity, byte, pattern and enum fields", async () => {
    const objects: Obj[] = [
      deployment({ replicas: UNKNOWN, container: { ports: [{ containerPort: UNKNOWN }], resources: { requests: { cpu: UNKNOWN, memory: SECRET } } } }),
      { apiVersion: "v1", kind: "Secret", metadata: { name: "db", namespace: "trading" }, data: { password: SECRET } },
      { apiVersion: "v1", kind: "Service", metadata: { name: "db" }, spec: { ports: [{ port: UNKNOWN }], clusterIP: UNKNOWN } },
      { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default" }, spec: { mtls: { mode: UNKNOWN } } },
      { apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor", metadata: { name: "m" }, spec: { selector: {}, endpoints: [{ port: "m", interval: UNKNOWN }] } },
      { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "r" }, spec: { parentRefs: [{ name: "g", port: UNKNOWN }], rules: [{ timeouts: { request: UNKNOWN } }] } },
      {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: { name: "d" },
        spec: { host: "a", trafficPolicy: { connectionPool: { tcp: { maxConnections: SECRET } }, outlierDetection: { consecutive5xxErrors: UNKNOWN, interval: UNKNOWN } } },
      },
    ];
    expect(formatSchemaIssues(await validate(...objects))).toBe(formatSchemaIssues([]));
  });

  it("in place of a whole object, and inside a longer string", async () => {
    const route = { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "r" }, spec: { parentRefs: [{ name: "g" }], hostnames: [`${UNKNOWN}.trademaster.example`] } };
    expect(await validate(deployment({ template: UNKNOWN }), route)).toEqual([]);
  });

  it("does not hide a real error beside a marker, and reports the value actually found", async () => {
    const hpa = structuredClone(VALID.find((o) => o.kind === "HorizontalPodAutoscaler")!) as { spec: Obj } & Obj;
    hpa.spec.minReplicas = UNKNOWN;
    hpa.spec.maxReplicas = "ten";
    const issues = await validate(hpa, deployment({ replicas: UNKNOWN, template: { spec: {} } }));
    expect(issues.map((i) => `${i.kind} ${i.path}`)).toEqual(["HorizontalPodAutoscaler spec.maxReplicas", "Deployment spec.template.spec.containers"]);
    expect(issues[0].message).toContain('"ten"');
  });

  it("a marker inside a longer string still fails when the rest of the string is wrong", async () => {
    const route = { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "r" }, spec: { parentRefs: [{ name: "g" }], hostnames: [`${UNKNOWN} with spaces`] } };
    expect((await validate(route)).map((i) => i.path)).toEqual(["spec.hostnames[0]"]);
  });
});

describe("formatSchemaIssues", () => {
  it("names each object (kind namespace/name, URN) and the path of each bad field", async () => {
    const urn = "urn:pulumi:prod::trademaster-platform::kubernetes:apps/v1:Deployment::deployment-trading-orders";
    const text = formatSchemaIssues(await validateKubeObjects([{ urn, object: deployment({ replicas: "three" }) }]));
    expect(text).toContain("1 Kubernetes object fail");
    expect(text).toContain("Deployment trading/orders");
    expect(text).toContain(urn);
    expect(text).toMatch(/spec\.replicas: must be integer/);
  });

  it("paths round-trip between readable and segment form", () => {
    const doc = { spec: { containers: [{ env: [{ name: "A" }] }] }, metadata: { labels: { "a.b/c": "x" } } };
    for (const segments of [["spec", "containers", "0", "env", "0", "name"], ["metadata", "labels", "a.b/c"]]) {
      expect(parsePath(formatPath(doc, segments))).toEqual(segments);
    }
  });
});

describe("kubeObjectsOfPlan", () => {
  const resource = (type: string, inputs: Obj, custom = true): PlanResource => planResource(type, "x", inputs, { custom });

  it("takes custom kubernetes resources, with apiVersion/kind from the type token when the inputs lack them", () => {
    const plan: Pick<Plan, "resources"> = {
      resources: [
        resource("kubernetes:core/v1:ConfigMap", { metadata: { name: "c" } }),
        resource("kubernetes:networking.istio.io/v1:VirtualService", { apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "v" } }),
        resource("kubernetes:helm.sh/v4:Chart", { chart: "kong" }),
        resource("pulumi:providers:kubernetes", {}),
        resource("trademaster:workloads:Workload", {}, false),
      ],
    };
    const objects = kubeObjectsOfPlan(plan);
    expect(objects.map((o) => `${String(o.object.apiVersion)}/${String(o.object.kind)}`)).toEqual(["v1/ConfigMap", "networking.istio.io/v1/VirtualService"]);
    expect(objects[0].urn).toBe(plan.resources[0].urn);
  });

  it("takes a chart's rendered objects (children of the Chart), and validates them with the CRDs the chart renders", async () => {
    const chart = planResource("kubernetes:helm.sh/v4:Chart", "widgets", { chart: "widgets" });
    const child = (type: string, name: string, inputs: Obj): PlanResource => planResource(type, name, inputs, { custom: false, parent: chart.urn });
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "widgets.example.com" },
      spec: {
        group: "example.com",
        names: { kind: "Widget", plural: "widgets" },
        scope: "Namespaced",
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: { size: { type: "integer", maximum: 3 } } } } } } }],
      },
    };
    const plan: Pick<Plan, "resources"> = {
      resources: [
        chart,
        child("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "crd", crd),
        child("kubernetes:example.com/v1:Widget", "w", { metadata: { name: "w", namespace: "n" }, spec: { size: 5 } }),
        child("kubernetes:other.example.com/v1:Gadget", "g", { metadata: { name: "g", namespace: "n" } }),
        planResource("kubernetes:example.com/v1:Widget", "orphan", { metadata: { name: "o" } }, { custom: false }),
      ],
    };
    const objects = kubeObjectsOfPlan(plan);
    expect(objects.map((o) => String(o.object.kind))).toEqual(["CustomResourceDefinition", "Widget", "Gadget"]);
    const report = await validatePlanObjects(objects);
    expect(report.issues.map((i) => `${i.kind} ${i.path}: ${i.message}`)).toEqual(["Widget spec.size: must be at most 3, found 5"]);
    expect(report).toMatchObject({ builtIn: 1, custom: 1, notValidated: 1 });
    expect(report.notes).toEqual([expect.stringMatching(/^no CRD for other\.example\.com\/v1\/Gadget among the \d+ CRDs available: 1 object\(s\) not validated$/)]);
  });
});

describe("the real plan of each stack", () => {
  it.each(STACKS)("%s: every Kubernetes object matches its schema", async (stack) => {
    const plan = await planFor(stack);
    const objects = kubeObjectsOfPlan(plan);
    // `*Patch` resources (kube-system's Pod Security labels) are partial objects by design: not objects to validate.
    const kubeResources = plan.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/") && !r.type.endsWith("Patch"));
    expect(objects.length).toBe(kubeResources.length);
    expect(objects.length).toBeGreaterThan(0);
    const report = await validatePlanObjects(objects);
    expect(report.issues, formatSchemaIssues(report.issues)).toEqual([]);
    // KEDA's CRDs (charts/keda 2.18.3) are not in the shared upstream data yet: its objects are the
    // only ones allowed to go unvalidated, and only while the data lacks them (then this is a no-op).
    const kedaNotes = report.notes.filter((n) => n.startsWith("no CRD for keda.sh/"));
    const kedaObjects = kedaNotes.length ? objects.filter((o) => String(o.object.apiVersion).startsWith("keda.sh/")).length : 0;
    report.notes = report.notes.filter((n) => !kedaNotes.includes(n));
    // Every other custom resource was checked against an upstream CRD, every CEL rule was evaluated.
    expect(report.notValidated, report.notes.join("\n")).toBe(kedaObjects);
    expect(report.builtIn + report.custom + kedaObjects).toBe(objects.length);
    const istioAndPrometheus = objects.filter((o) => /\.istio\.io\/|^monitoring\.coreos\.com\//.test(String(o.object.apiVersion)));
    expect(report.custom).toBeGreaterThan(istioAndPrometheus.length);
    expect(report.cel.evaluated).toBeGreaterThan(500);
    expect([...report.cel.unsupported.keys()]).toEqual([]);
    expect(report.notes).toEqual([]);
  });

  it.each(STACKS)("%s: Secrets in manifests/ are valid objects with their keys visible and values masked", async (stack) => {
    const plan = await planFor(stack);
    const secrets = kubeObjectsOfPlan(plan).filter((o) => o.object.kind === "Secret");
    expect(secrets.length).toBeGreaterThan(3);
    const manifests = secrets.map(({ urn, object }) => ({ urn, object: yaml.load(manifestYaml(object)) as Obj }));
    for (const { object } of manifests) {
      const data = (object.stringData ?? object.data) as Obj;
      expect(isPlainObject(data), JSON.stringify(object.metadata)).toBe(true);
      expect(Object.keys(data).length).toBeGreaterThan(0);
      for (const [key, value] of Object.entries(data)) expect([SECRET, UNKNOWN], key).toContain(value);
    }
    const issues = await validateKubeObjects(manifests);
    expect(issues, formatSchemaIssues(issues)).toEqual([]);
  });

  it("a broken Deployment taken from the prod plan fails with its URN and field path", async () => {
    const plan = await planFor("prod");
    const ref = kubeObjectsOfPlan(plan).find((o) => o.object.kind === "Deployment")!;
    const broken = structuredClone(ref.object) as { spec: Obj } & Obj;
    broken.spec.replicas = "three";
    const issues = await validateKubeObjects([{ urn: ref.urn, object: broken }]);
    expect(issues).toEqual([expect.objectContaining({ urn: ref.urn, path: "spec.replicas" })]);
  });
});
