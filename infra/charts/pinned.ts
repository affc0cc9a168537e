/**
 * Third-party Helm charts, pinned. Each lives in `charts/<name>/`: `chart.yaml` (repository, chart,
 * version, namespace), `values.yaml` (base values) and `values-<stack>.yaml` (overlay). Values are
 * merged here so they can be validated and counted offline; the chart itself is rendered by the
 * engine at `pulumi up`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { withNamespaceDependency } from "../kube/object";
import { isPlainObject, parseDocument, str, obj, optional, ValidationError } from "../validation/schema";

export const CHARTS_DIR = path.join(__dirname, "..", "..", "charts");

const chartFileCheck = obj({
  repository: str({ pattern: /^(https:\/\/|oci:\/\/)/, patternName: "an https:// or oci:// chart repository" }),
  chart: str({ minLength: 1 }),
  /** Exact chart version: ranges are refused so every deploy renders the same chart. */
  version: str({ pattern: /^v?\d+\.\d+\.\d+$/, patternName: "an exact version like 1.2.3" }),
  namespace: str({ minLength: 1 }),
  /**
   * sha256 of the published chart archive (`sha256:<hex>`, as in the repository's index.yaml).
   * `npm run charts -- pull` refuses an archive that does not match; absent means "not verified".
   */
  digest: optional(str({ pattern: /^sha256:[0-9a-f]{64}$/, patternName: "sha256:<64 hex digits>" })),
  description: optional(str()),
});

export type ChartPin = NonNullable<ReturnType<typeof chartFileCheck>>;

export interface ChartSpec extends ChartPin {
  name: string;
  /** Base values merged with the stack overlay (before program overrides). */
  values: Record<string, unknown>;
}

function readYaml(file: string): unknown {
  const shown = path.relative(process.cwd(), file);
  if (!fs.existsSync(file)) throw new ValidationError(shown, [{ path: "(file)", expected: "an existing file", found: "no such file" }]);
  try {
    return yaml.load(fs.readFileSync(file, "utf8")) ?? {};
  } catch (e) {
    throw new ValidationError(shown, [{ path: "(document)", expected: "valid YAML", found: (e as Error).message.split("\n")[0] }]);
  }
}

/** Deep merge: objects merge key by key, everything else (lists included) is replaced by `over`. */
export function mergeValues(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? mergeValues(b, v) : v;
  }
  return out;
}

/** The pin of a chart folder (charts/<name>/chart.yaml). */
export function loadChartPin(name: string): ChartPin {
  const pinFile = path.join(CHARTS_DIR, name, "chart.yaml");
  return parseDocument(path.relative(process.cwd(), pinFile), chartFileCheck, readYaml(pinFile));
}

/** Every chart folder under charts/, sorted. */
export function chartFolders(): string[] {
  return fs
    .readdirSync(CHARTS_DIR)
    .filter((n) => fs.existsSync(path.join(CHARTS_DIR, n, "chart.yaml")))
    .sort();
}

/** Reads a chart's pin and its values for a stack (base + `values-<stack>.yaml` when present). */
export function loadChartSpec(name: string, stack: string): ChartSpec {
  const dir = path.join(CHARTS_DIR, name);
  const pin = loadChartPin(name);
  let values: Record<string, unknown> = {};
  for (const f of ["values.yaml", `values-${stack}.yaml`]) {
    const file = path.join(dir, f);
    if (!fs.existsSync(file)) continue;
    const doc = readYaml(file);
    if (!isPlainObject(doc)) {
      throw new ValidationError(path.relative(process.cwd(), file), [{ path: "(root)", expected: "a mapping of values", found: typeof doc }]);
    }
    values = mergeValues(values, doc);
  }
  return { ...pin, name, values };
}

export interface PinnedChartArgs {
  /** Folder under charts/. */
  chart: string;
  stack: string;
  /** Values computed by the program, merged over the YAML values. */
  values?: Record<string, unknown>;
  /** Namespace override (defaults to the pin's namespace). */
  namespace?: string;
}

/** Installs a pinned chart (Helm v4 Chart component) with merged values. */
export function pinnedChart(resourceName: string, args: PinnedChartArgs, opts: pulumi.ComponentResourceOptions): k8s.helm.v4.Chart {
  const spec = loadChartSpec(args.chart, args.stack);
  const namespace = args.namespace ?? spec.namespace;
  const oci = spec.repository.startsWith("oci://");
  return new k8s.helm.v4.Chart(
    resourceName,
    {
      // OCI charts are addressed by URL; classic repositories by name + repo.
      chart: oci ? `${spec.repository.replace(/\/$/, "")}/${spec.chart}` : spec.chart,
      version: spec.version,
      ...(oci ? {} : { repositoryOpts: { repo: spec.repository } }),
      namespace,
      values: mergeValues(spec.values, args.values ?? {}),
    },
    withNamespaceDependency(namespace, opts),
  );
}
