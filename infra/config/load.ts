/**
 * The one place stack configuration is read and validated, before any resource is declared.
 */
import { parseDocument, ValidationError, type Issue } from "../validation/schema";
import { crossFieldIssues, platformConfigCheck, type PlatformConfig } from "./schema";

export const CONFIG_NAMESPACE = "trademaster";

/** Path of a stack's config file, as users see it in errors. */
export function stackFile(stack: string): string {
  return `stacks/Pulumi.${stack}.yaml`;
}

/**
 * Validates the `trademaster:*` values of a stack. `raw` maps bare keys (`kafka`, `aws`) to values;
 * strings holding JSON objects (as the Pulumi engine passes them) are decoded first.
 * Throws a {@link ValidationError} naming the stack file and each bad key path.
 */
export function loadPlatformConfig(stack: string, raw: Record<string, unknown>): PlatformConfig {
  const file = stackFile(stack);
  const decoded: Record<string, unknown> = {};
  const issues: Issue[] = [];
  for (const [key, value] of Object.entries(raw)) {
    decoded[key] = decodeValue(value, `config.${CONFIG_NAMESPACE}:${key}`, issues, STRUCTURED_KEYS.has(key));
  }
  if (issues.length) throw new ValidationError(file, issues);
  const parsed = parseDocument(file, platformConfigCheck, decoded, `config.${CONFIG_NAMESPACE}`);
  const cross = crossFieldIssues(parsed).map((i) => ({ ...i, path: `config.${CONFIG_NAMESPACE}:${i.path}` }));
  if (cross.length) throw new ValidationError(file, cross);
  return {
    ...parsed,
    kubernetes: parsed.kubernetes ?? {},
    stack,
    onAws: parsed.environment !== "local",
  } as PlatformConfig;
}

/** Keys holding objects: the engine passes them JSON-encoded. Other strings are taken as they are. */
const STRUCTURED_KEYS = new Set(["aws", "kubernetes", "kafka", "redis", "postgres", "gateway", "mesh", "realtime", "observability"]);

function decodeValue(value: unknown, path: string, issues: Issue[], structured: boolean): unknown {
  if (typeof value !== "string") return value;
  const t = value.trim();
  // Top-level scalars are strings except the boolean flags; never reinterpret a secret's text.
  if (!structured) return t === "true" || t === "false" ? t === "true" : value;
  {
    try {
      return JSON.parse(t);
    } catch (e) {
      issues.push({ path, expected: "valid JSON", found: (e as Error).message });
    }
  }
  return value;
}

/** Extracts bare `trademaster:*` keys from a flat Pulumi config map (`project:key` → value). */
export function namespacedConfig(all: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) {
    const [ns, key] = k.split(":");
    if (ns === CONFIG_NAMESPACE && key) out[key] = v;
  }
  return out;
}

