/**
 * Custom resources against the real CRDs of the pinned releases (../shared/upstream/crds via
 * upstreamDir()): schema (types, enums, required, unknown fields, int-or-string, defaults,
 * list-type maps, oneOf) and x-kubernetes-validations CEL rules.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { CrdCatalog, crdCatalogFor } from "../../infra/plan/crd-validation";
import { chartCacheCrdFiles, upstreamCrdFiles } from "../../infra/plan/crd-validation/catalog";
import { formatSchemaIssues, formatValidationSummary, validatePlanObjects, type SchemaIssue } from "../../infra/plan/schemas";
import { UNKNOWN } from "../../infra/plan/types";
import { upstreamDir } from "../../infra/upstream/dir";

type Obj = Record<string, unknown>;

const upstream = upstreamDir();
const crds = crdCatalogFor();
const validate = async (...objects: Obj[]) => validatePlanObjects(objects.map((object) => ({ object })), { crds });
const lines = (issues: SchemaIssue[]) => issues.map((i) => `${i.kind} ${i.path}: ${i.message}`);

const virtualService = (http: Obj[]): Obj => ({
  apiVersion: "networking.istio.io/v1",
  kind: "VirtualService",
  metadata: { name: "orders", namespace: "tm-trading" },
  spec: { hosts: ["orders.tm-trading.svc.cluster.local"], http },
});
const route = { destination: { host: "orders.tm-trading.svc.cluster.local", port: { number: 8080 } } };

/** A CRD of our own (as a chart would render it), for what the pinned CRDs don't exercise. */
function widgetCrd(schema: Obj, versions: Array<{ name: string; served?: boolean }> = [{ name: "v1" }]): Obj {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      names: { kind: "Widget", plural: "widgets" },
      scope: "Namespaced",
      versions: versions.map((v) => ({ name: v.name, served: v.served ?? true, storage: v.name === "v1", schema: { openAPIV3Schema: { type: "object", properties: { spec: schema } } } })),
    },
  };
}
const widget = (spec: unknown, apiVersion = "example.com/v1"): Obj => ({ apiVersion, kind: "Widget", metadata: { name: "w", namespace: "n" }, spec });

describe("the upstream CRDs of the pinned releases", () => {
  it("are found through upstreamDir() and indexed without parsing them all", () => {
    expect(upstream).toBeDefined();
    const { files, notes } = upstreamCrdFiles(upstream!);
    expect(notes).toEqual([]);
    expect(files.map((f) => path.basename(f)).sort()).toEqual([
      "cloudnative-pg-0.29.0.yaml",
      "eck-operator-3.2.0.yaml",
      "gateway-api-v1.2.1-standard.yaml",
      "istio-base-1.29.2.yaml",
      "kong-ingress-0.20.0.yaml",
      "kube-prometheus-stack-79.8.1.yaml",
      "strimzi-kafka-operator-1.0.0.yaml",
    ]);
    // Every group the platform declares objects of has its CRDs.
    for (const group of ["networking.istio.io", "security.istio.io", "telemetry.istio.io", "monitoring.coreos.com", "gateway.networking.k8s.io", "kafka.strimzi.io", "postgresql.cnpg.io", "configuration.konghq.com", "elasticsearch.k8s.elastic.co", "kibana.k8s.elastic.co"]) {
      expect(crds.hasGroup(group), group).toBe(true);
    }
    expect(crds.size).toBeGreaterThanOrEqual(70);
  });

  it("a wrong enum value fails with the path and the allowed values", async () => {
    const { issues } = await validate({ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: "istio-system" }, spec: { mtls: { mode: "STRICTEST" } } });
    expect(lines(issues)).toEqual(['PeerAuthentication spec.mtls.mode: must be one of "UNSET" | "DISABLE" | "PERMISSIVE" | "STRICT", found "STRICTEST"']);
  });

  it("an unknown field fails, however deep; free-form fields (preserve-unknown-fields) do not", async () => {
    const { issues } = await validate(virtualService([{ route: [route], retires: { attempts: 0 } }]), {
      apiVersion: "kafka.strimzi.io/v1",
      kind: "KafkaTopic",
      metadata: { name: "orders", namespace: "kafka", labels: { "strimzi.io/cluster": "trademaster" } },
      spec: { partitions: 3, replicas: 3, config: { "retention.ms": 604800000, "any.topic.setting": "kept" } },
    });
    expect(lines(issues)).toEqual(["VirtualService spec.http[0].retires: unknown field: not in the CRD schema (a typo, or a field of another version?)"]);
  });

  it("a missing required field fails", async () => {
    const { issues } = await validate({ apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { name: "r", namespace: "monitoring" }, spec: { groups: [{ rules: [{ alert: "A" }] }] } });
    expect(lines(issues)).toEqual(["PrometheusRule spec.groups[0].name: required field is missing", "PrometheusRule spec.groups[0].rules[0].expr: required field is missing"]);
  });

  it("a CEL violation fails with the rule's message: VirtualService timeout 0s (Istio 1.29: >= 1ms)", async () => {
    const report = await validate(virtualService([{ name: "stream", timeout: "0s", route: [route] }]));
    expect(lines(report.issues)).toEqual(["VirtualService spec.http[0].timeout: must be a valid duration greater than 1ms (CEL rule `duration(self) >= duration('1ms')`)"]);
    expect(report.cel.failed).toBe(1);
    // No timeout at all is Istio's "disabled", and valid.
    expect((await validate(virtualService([{ name: "stream", route: [route] }]))).issues).toEqual([]);
    expect((await validate(virtualService([{ name: "api", timeout: "1.5s", route: [route] }]))).issues).toEqual([]);
  });

  it("int-or-string accepts both and nothing else", async () => {
    const monitor = (targetPort: unknown) => ({ apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor", metadata: { name: "m", namespace: "n" }, spec: { selector: {}, endpoints: [{ targetPort }] } });
    expect((await validate(monitor(8080), monitor("http-metrics"))).issues).toEqual([]);
    expect(lines((await validate(monitor(true))).issues)).toEqual(["ServiceMonitor spec.endpoints[0].targetPort: must be an integer or a string, found true"]);
  });

  it("oneOf alternatives and list-type map keys are enforced", async () => {
    const both = await validate(virtualService([{ match: [{ uri: { exact: "/a", prefix: "/b" } }], route: [route] }]));
    expect(lines(both.issues)).toEqual(["VirtualService spec.http[0].match[0].uri: must match exactly one of the schema's alternatives (oneOf), found 2"]);
    const gateway = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "gw", namespace: "n" }, spec: { gatewayClassName: "kong", listeners: [{ name: "a", port: 80, protocol: "HTTP" }, { name: "a", port: 81, protocol: "HTTP" }] } };
    expect(lines((await validate(gateway)).issues)).toEqual(['Gateway spec.listeners[1]: duplicate entry (key name="a"): the same as item 0 (x-kubernetes-list-type: map)']);
  });

  it("defaults are applied before the CEL rules run (HTTPRoute rule matches default to PathPrefix /)", async () => {
    const httpRoute = (matches?: unknown) => ({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "r", namespace: "n" },
      spec: { parentRefs: [{ name: "g" }], rules: [{ ...(matches ? { matches } : {}), filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/v2" } } }], backendRefs: [{ name: "s", port: 80 }] }] },
    });
    expect((await validate(httpRoute())).issues).toEqual([]);
    const exact = await validate(httpRoute([{ path: { type: "Exact", value: "/x" } }]));
    expect(exact.issues).toEqual([expect.objectContaining({ path: "spec.rules[0]", message: expect.stringContaining("exactly one PathPrefix match must be specified") })]);
  });

  it("Kubernetes CEL specifics: escaped property names, RE2 inline flags, url()", async () => {
    const sameParent = { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "two", namespace: "n" }, spec: { parentRefs: [{ name: "g", namespace: "a" }, { name: "g", namespace: "a" }] } };
    const grpc = (service: string) => ({ apiVersion: "gateway.networking.k8s.io/v1", kind: "GRPCRoute", metadata: { name: "g", namespace: "n" }, spec: { rules: [{ matches: [{ method: { service } }] }] } });
    const wasm = (url: string) => ({ apiVersion: "extensions.istio.io/v1alpha1", kind: "WasmPlugin", metadata: { name: "w", namespace: "n" }, spec: { url } });
    const bad = await validate(sameParent, grpc("9bad"), wasm("ftp://example.com/filter.wasm"));
    expect(bad.issues.map((i) => `${i.kind} ${i.path}: ${i.message.split(" (CEL rule")[0]}`)).toEqual([
      // `namespace` is `__namespace__` in CEL
      "HTTPRoute spec.parentRefs: sectionName must be unique when parentRefs includes 2 or more references to the same parent",
      "GRPCRoute spec.rules[0].matches[0].method: service must only contain valid characters (matching ^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$)",
      "WasmPlugin spec.url: url must have schema one of [http, https, file, oci]",
    ]);
    // (?i): upper case is fine for RE2 too.
    expect((await validate(grpc("Trading.OrderService"), wasm("oci://ghcr.io/acme/filter:1.0"), wasm("example.com/filter.wasm"))).issues).toEqual([]);
  });

  it("a version the CRD does not serve, a bad object name and a metadata typo fail", async () => {
    const { issues } = await validate(
      { apiVersion: "networking.istio.io/v9", kind: "VirtualService", metadata: { name: "v", namespace: "n" }, spec: {} },
      { ...virtualService([{ route: [route] }]), metadata: { name: "Orders_1", namespace: "n", label: { app: "orders" } } },
    );
    expect(lines(issues)).toEqual([
      "VirtualService apiVersion: the CRD virtualservices.networking.istio.io (upstream istio-base-1.29.2.yaml) does not serve networking.istio.io/v9; served versions: v1, v1alpha3, v1beta1",
      "VirtualService metadata.label: unknown field: not in ObjectMeta (a typo?)",
      `VirtualService metadata.name: must be a DNS subdomain name (lowercase letters, digits, '-' and '.', at most 253), found "Orders_1"`,
    ]);
  });
});

describe("CEL rules are counted, never passed silently", () => {
  it("transition rules (oldSelf) do not apply on create", async () => {
    const plugin = { apiVersion: "configuration.konghq.com/v1", kind: "KongPlugin", metadata: { name: "cors", namespace: "n" }, plugin: "cors", config: {} };
    const report = await validate(plugin);
    expect(report.issues).toEqual([]);
    // `self.plugin == oldSelf.plugin` (immutable plugin) is one of them.
    expect(report.cel.transition).toBeGreaterThanOrEqual(1);
    expect(report.cel.evaluated).toBeGreaterThanOrEqual(2);
    expect(formatValidationSummary(report)).toMatch(/CEL rules: \d+ evaluated \(0 failed\), \d+ transition rule\(s\) not applicable on create, 0 undecided .*, 0 unevaluated/);
  });

  it("a rule that depends on a value unknown until deploy is undecided, not failed", async () => {
    const report = await validate(virtualService([{ timeout: UNKNOWN, route: [route] }]));
    expect(report.issues).toEqual([]);
    expect(report.cel.undecided).toBe(1);
    // Two list-map keys nobody knows yet are not duplicates.
    const gateway = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "gw", namespace: "n" }, spec: { gatewayClassName: "kong", listeners: [{ name: UNKNOWN, port: 80, protocol: "HTTP" }, { name: UNKNOWN, port: 81, protocol: "HTTP" }] } };
    const unknownKeys = await validate(gateway);
    expect(unknownKeys.issues).toEqual([]);
    expect(unknownKeys.cel.undecided).toBeGreaterThan(0);
  });

  it("a rule the evaluator cannot evaluate is reported in a note with the rule and the reason", async () => {
    const crd = widgetCrd({
      type: "object",
      properties: { sizes: { type: "array", items: { type: "integer" } }, name: { type: "string" } },
      "x-kubernetes-validations": [
        { rule: "self.sizes.isSorted()", message: "sizes must be sorted" },
        { rule: "self.name.startsWith('w')", message: "name must start with w" },
        { rule: "!oldSelf.hasValue() || self.name == oldSelf.value().name", optionalOldSelf: true },
      ],
    });
    const report = await validatePlanObjects([{ object: crd }, { object: widget({ sizes: [3, 1], name: "x" }) }], { crds: new CrdCatalog([{ object: crd, label: "test CRD" }]) });
    expect(lines(report.issues)).toEqual(["Widget spec: name must start with w (CEL rule `self.name.startsWith('w')`)"]);
    expect(report.cel.unsupported.get("self.sizes.isSorted()")?.count).toBe(1);
    expect(report.notes).toEqual([
      expect.stringMatching(/^CEL rule not evaluated \(1x\): `self\.sizes\.isSorted\(\)`: .+/),
      expect.stringMatching(/^CEL rule not evaluated \(1x\): `!oldSelf\.hasValue\(\) .*`: optionalOldSelf/),
    ]);
    expect(formatValidationSummary(report)).toContain("2 unevaluated");
  });
});

describe("rule messages and status", () => {
  it("messageExpression and fieldPath shape the message and the path; a status subresource's status is not validated", async () => {
    const crd = widgetCrd({
      type: "object",
      properties: { min: { type: "integer" }, max: { type: "integer" } },
      "x-kubernetes-validations": [{ rule: "self.min <= self.max", messageExpression: "'min ' + string(self.min) + ' exceeds max ' + string(self.max)", fieldPath: ".min", message: "min <= max" }],
    });
    const versions = (crd.spec as { versions: Array<Record<string, unknown>> }).versions;
    versions[0].subresources = { status: {} };
    const status = { type: "object", properties: { ready: { type: "boolean" } } };
    (versions[0].schema as { openAPIV3Schema: { properties: Record<string, unknown> } }).openAPIV3Schema.properties.status = status;
    const catalog = new CrdCatalog([{ object: crd, label: "test CRD" }]);
    const object = { ...widget({ min: 5, max: 2 }), status: { ready: "yes" } };
    const { issues } = await validatePlanObjects([{ object }], { crds: catalog });
    expect(lines(issues)).toEqual(["Widget spec.min: min 5 exceeds max 2 (CEL rule `self.min <= self.max`)"]);
  });
});

describe("where the CRDs come from", () => {
  const schema = { type: "object", properties: { size: { type: "integer", minimum: 1, default: 1 } }, "x-kubernetes-validations": [{ rule: "self.size <= 3", message: "at most 3" }] };

  it("a CRD among the plan's objects (rendered by a chart) is used, with defaults and CEL", async () => {
    const crd = widgetCrd(schema, [{ name: "v1" }, { name: "v1beta1", served: false }]);
    const report = await validatePlanObjects([{ urn: "urn:chart-crd", object: crd }, { object: widget({}) }, { object: widget({ size: 5 }) }, { object: widget({ size: 1 }, "example.com/v1beta1") }], { crds: crdCatalogFor({ objects: [{ urn: "urn:chart-crd", object: crd }], upstream: null, chartCacheDir: "/nonexistent" }) });
    expect(lines(report.issues)).toEqual([
      "Widget spec: at most 3 (CEL rule `self.size <= 3`)",
      "Widget apiVersion: the CRD widgets.example.com (urn:chart-crd) does not serve example.com/v1beta1; served versions: v1",
    ]);
    expect(report.custom).toBe(3);
  });

  it("unpacked charts in a chart cache: every crds/ directory", async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "tm-chart-cache-"));
    try {
      fs.mkdirSync(path.join(cache, "widgets-1.0.0", "widgets", "crds"), { recursive: true });
      fs.mkdirSync(path.join(cache, "widgets-1.0.0", "widgets", "templates"), { recursive: true });
      fs.writeFileSync(path.join(cache, "widgets-1.0.0", "widgets", "crds", "widgets.yaml"), `# comment\n---\n${yaml.dump(widgetCrd(schema))}`);
      fs.writeFileSync(path.join(cache, "widgets-1.0.0", "widgets", "templates", "crd.yaml"), yaml.dump(widgetCrd({ type: "string" })));
      expect(chartCacheCrdFiles(cache).map((f) => path.relative(cache, f))).toEqual([path.join("widgets-1.0.0", "widgets", "crds", "widgets.yaml")]);
      const catalog = crdCatalogFor({ chartCacheDir: cache, upstream: null });
      const { issues } = await validatePlanObjects([{ object: widget({ size: 0 }) }], { crds: catalog });
      expect(lines(issues)).toEqual(["Widget spec.size: must be at least 1, found 0"]);
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  it("an upstream file of another release than the pinned chart is not used, and says so", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-upstream-"));
    try {
      fs.mkdirSync(path.join(dir, "crds"));
      fs.writeFileSync(path.join(dir, "crds", "istio-base-1.28.0.yaml"), yaml.dump(widgetCrd(schema)));
      fs.writeFileSync(path.join(dir, "crds", "gateway-api-v1.2.1-standard.yaml"), yaml.dump(widgetCrd(schema)));
      const { files, notes } = upstreamCrdFiles(dir);
      expect(files.map((f) => path.basename(f))).toEqual(["gateway-api-v1.2.1-standard.yaml"]);
      expect(notes).toEqual(["istio-base-1.28.0.yaml is not the pinned release (charts/istio-base pins 1.29.2): its CRDs were not used"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("without any CRD the plan says custom resources were not validated and how to fix it", async () => {
    const report = await validatePlanObjects([{ object: virtualService([{ route: [route] }]) }], { crds: crdCatalogFor({ upstream: null, chartCacheDir: "/nonexistent" }) });
    expect(report).toMatchObject({ issues: [], custom: 0, notValidated: 1, crds: 0 });
    expect(report.notes).toEqual([expect.stringMatching(/custom resources were not validated.*TRADEMASTER_UPSTREAM.*npm run charts -- pull.*\(1 custom resource\(s\) not validated\)/)]);
    expect(formatSchemaIssues(report.issues)).toBe("All Kubernetes objects match their schemas.");
  });
});
