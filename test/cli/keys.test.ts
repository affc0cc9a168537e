import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { readStackFile } from "../../infra/plan/run";
import { loadCatalog, parseCatalog } from "../../infra/catalog/load";
import { configMapKey, labelKey, obj, parseDocument, record, str } from "../../infra/validation/schema";
import { kubeKeyIssues } from "../../infra/validation/kube-keys";
import { catalogDocument } from "../helpers/plan";
import { errorOf } from "../helpers/errors";

const prodStack = () => fs.readFileSync(path.join(__dirname, "../../stacks/Pulumi.prod.yaml"), "utf8");

describe("unknown keys are own properties only", () => {
  it.each(["__proto__", "constructor", "toString", "hasOwnProperty"])("refuses %s in a catalog service as an unknown key", (key) => {
    // Written as YAML text: yaml.dump of a parsed `__proto__` would not round-trip.
    const text = yaml.dump(catalogDocument()).replace(/^ {2}- name: auth$/m, `  - name: auth\n    ${key}: {polluted: true}`);
    expect(text).toContain(`${key}: {polluted: true}`);
    const e = errorOf(() => parseCatalog(text, "catalog-copy.yaml"));
    expect(e.issues.map((i) => i.path)).toContain(`services[0].${key}`);
    expect(e.issues.find((i) => i.path === `services[0].${key}`)?.expected).toMatch(/^no such key/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("keeps a __proto__ key of a free-form map as data, on an object with no prototype", () => {
    const doc = JSON.parse('{"settings": {"__proto__": "x", "A": "1"}}') as unknown;
    const parsed = parseDocument("doc", obj({ settings: record(str()) }), doc);
    expect(Object.getPrototypeOf(parsed.settings)).toBeNull();
    expect(Object.keys(parsed.settings)).toEqual(["__proto__", "A"]);
  });
});

describe("Kubernetes key rules", () => {
  it("refuses a catalog setting whose key is not a ConfigMap key", () => {
    const doc = catalogDocument();
    doc.services[0].settings = { "BAD KEY": "x", GOOD_KEY: "y" };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tm-keys-")), "catalog.yaml");
    fs.writeFileSync(file, yaml.dump(doc));
    const e = errorOf(() => loadCatalog(file));
    expect(e.issues).toEqual([{ path: "services[0].settings.BAD KEY", expected: expect.stringMatching(/^a ConfigMap key/), found: 'key "BAD KEY"' }]);
  });

  it("checks ConfigMap and Secret data keys, label keys and values, annotation keys of any object", () => {
    const issues = kubeKeyIssues([
      { urn: "u1", object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "n", labels: { "bad key": "v", "app.kubernetes.io/name": "ok" } }, data: { "BAD KEY": "x", "ok.key_1-2": "y" } } },
      { urn: "u2", object: { apiVersion: "v1", kind: "Secret", metadata: { name: "s", annotations: { "a/b/c": "x" } }, stringData: { "..": "x" } } },
      { urn: "u3", object: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", labels: { team: "not a value!" } }, spec: { template: { metadata: { labels: { "-x": "1" } } } } } },
    ]);
    expect(issues.map((i) => `${i.kind}/${i.name} ${i.path}`)).toEqual([
      "ConfigMap/c metadata.labels.bad key",
      "ConfigMap/c data.BAD KEY",
      "Secret/s metadata.annotations.a/b/c",
      "Secret/s stringData...",
      "Deployment/d metadata.labels.team",
      "Deployment/d spec.template.metadata.labels.-x",
    ]);
    expect(configMapKey.test("a.b_c-D9")).toBe(true);
    expect(labelKey.test("example.com/" + "a".repeat(63))).toBe(true);
    expect(labelKey.test("a".repeat(64))).toBe(false);
    expect(labelKey.test("Example.com/x")).toBe(false);
  });
});

describe("stack file namespaces", () => {
  it("refuses a mistyped namespace, suggesting the closest known name", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-ns-"));
    fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), prodStack().replace("  trademaster:kafka:", "  trademastr:kafka:"));
    const e = errorOf(() => readStackFile("prod", dir));
    expect(e.file).toBe("stacks/Pulumi.prod.yaml");
    expect(e.issues).toEqual([
      { path: "config.trademastr:kafka", expected: "a known config namespace (trademaster, aws, kubernetes, pulumi); did you mean trademaster:kafka?", found: 'namespace "trademastr"' },
    ]);
  });

  it("refuses a key without a namespace and accepts the providers' namespaces", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-ns-"));
    fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), prodStack().replace("config:\n", "config:\n  kafka: {}\n  kubernetes:enableServerSideApply: \"true\"\n"));
    const e = errorOf(() => readStackFile("prod", dir));
    expect(e.issues.map((i) => i.path)).toEqual(["config.kafka"]);
    expect(e.issues[0].expected).toContain("trademaster:kafka");
  });
});
