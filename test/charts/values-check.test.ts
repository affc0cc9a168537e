import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { chartDeclares, ignoredPaths, misspelledPaths, readChartValues, type ChartValuesTree } from "../../infra/charts/values-check";
import { upstreamDir } from "../../infra/upstream/dir";

const tree = (values: Record<string, unknown>, schema?: Record<string, unknown>, subcharts: Array<[string, ChartValuesTree]> = []): ChartValuesTree => ({ name: "t", values, schema, subcharts: new Map(subcharts) });

describe("values the chart never reads", () => {
  it("declared: a key of values.yaml, anything below a free-form default, a schema property, a subchart's key", () => {
    const sub = tree({ serviceMonitor: { labels: {} } });
    const t = tree({ replicas: 1, podAnnotations: {}, env: null, nested: { a: 1 } }, { properties: { extra: { type: "string" } } }, [["grafana", sub]]);
    expect(chartDeclares(t, ["replicas"])).toBe(true);
    expect(chartDeclares(t, ["podAnnotations", "x/y"])).toBe(true);
    expect(chartDeclares(t, ["env", "FOO"])).toBe(true);
    expect(chartDeclares(t, ["extra"])).toBe(true);
    expect(chartDeclares(t, ["grafana", "serviceMonitor", "labels", "team"])).toBe(true);
    expect(chartDeclares(t, ["nested", "b"])).toBe(false);
    expect(chartDeclares(t, ["grafana", "serviceMonitor", "selector"])).toBe(false);
  });

  it("an undeclared key is ignored when changing it leaves the render unchanged, read when it changes it", () => {
    const t = tree({ replicas: 1 });
    const render = (v: Record<string, unknown>) => [{ replicas: v.replicas, label: (v.labels as { team?: string } | undefined)?.team }];
    expect(ignoredPaths(t, { replicas: 2, labels: { team: "a" }, unused: true }, render, { stable: true })).toEqual(["unused"]);
  });

  it("flags a near-miss of a declared key even where the schema admits any key (OTel ports)", () => {
    const upstream = upstreamDir();
    expect(upstream, "../shared/upstream (chart values of the pinned releases)").toBeDefined();
    const otel = readChartValues(path.join(upstream!, "chart-values", "opentelemetry-collector-0.127.0"));
    expect(chartDeclares(otel, ["ports", "jaeger_compact", "enabled"])).toBe(true);
    expect(misspelledPaths(otel, { ports: { jaeger_compact: { enabled: false } } })).toEqual([{ path: "ports.jaeger_compact", declared: "ports.jaeger-compact" }]);
    expect(misspelledPaths(otel, { ports: { "jaeger-compact": { enabled: false } } })).toEqual([]);
  });
});
