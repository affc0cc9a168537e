/**
 * Reading a stack file (`stacks/Pulumi.<stack>.yaml`) as the engine would: the flat `ns:key` map,
 * which keys are secret, and the validated platform config. Light on imports, so the CLI can
 * refuse a bad stack file before the program's modules load.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_LIMITS, readYamlFile } from "../io/read";
import { SECRET } from "../plan/types";
import { closest, describe, describeSecret, isPlainObject, ValidationError, type Issue } from "../validation/schema";
import { CONFIG_NAMESPACE, loadPlatformConfig, namespacedConfig, stackFile } from "./load";
import { SECRET_KEYS, type PlatformConfig } from "./schema";

const STACKS_DIR = path.join(__dirname, "..", "..", "stacks");

export interface StackConfigFile {
  /** Flat config as the engine passes it: `ns:key` → string (objects JSON-encoded). */
  config: Record<string, string>;
  /** Keys whose value is `secure:` in the file (masked in the plan). */
  secretKeys: string[];
  /** Required secrets not in the file, stood in for by a masked value (see assumeUnsetSecrets). */
  notes: string[];
}

/** Config namespaces a stack file may use: the project's and the providers' the program configures. */
export const CONFIG_NAMESPACES = [CONFIG_NAMESPACE, "aws", "kubernetes", "pulumi"] as const;

/**
 * Reads `stacks/Pulumi.<stack>.yaml` (within CONFIG_LIMITS) into the flat config map the engine
 * would pass. Refused: a key outside the known namespaces (with the closest known name), and a
 * plain-text value for a key that must be secret (with the command that sets it encrypted).
 */
export function readStackFile(stack: string, stacksDir = STACKS_DIR): StackConfigFile {
  const file = path.join(stacksDir, `Pulumi.${stack}.yaml`);
  const shown = stackFile(stack);
  if (!/^[a-z][a-z0-9-]*$/.test(stack)) {
    throw new ValidationError("--stack", [{ path: "--stack", expected: "a stack name like local, staging or prod", found: `"${stack}"` }]);
  }
  if (!fs.existsSync(file)) {
    const known = fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map((f) => f.slice(7, -5)) : [];
    throw new ValidationError(shown, [{ path: "(file)", expected: `an existing stack file (known stacks: ${known.join(", ")})`, found: "no such file" }]);
  }
  const doc = readYamlFile(file, CONFIG_LIMITS, shown);
  if (!isPlainObject(doc) || !isPlainObject(doc.config)) {
    throw new ValidationError(shown, [{ path: "config", expected: "a mapping of config keys", found: describe(isPlainObject(doc) ? doc.config : doc) }]);
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const issues: Issue[] = [];
  const secretNames = new Set<string>(SECRET_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`));
  for (const [key, value] of Object.entries(doc.config)) {
    const problem = namespaceIssue(key);
    if (problem) {
      issues.push(problem);
      continue;
    }
    const secure = isPlainObject(value) && typeof value.secure === "string" && Object.keys(value).length === 1;
    if (secure) {
      // Ciphertext can only be decrypted by the CLI with the stack's secrets provider.
      config[key] = SECRET;
      secretKeys.push(key);
    } else if (secretNames.has(key)) {
      issues.push({
        path: `config.${key}`,
        expected: `an encrypted value: run \`pulumi config set --secret ${key} <value> --stack ${stack}\` (it replaces this line)`,
        found: `a plain-text value (${describeSecret(value)})`,
      });
    } else {
      config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  if (issues.length) throw new ValidationError(shown, issues);
  const stackConfig = { config, secretKeys, notes: [] as string[] };
  stackConfig.notes = assumeUnsetSecrets(stack, stackConfig);
  return stackConfig;
}

/** A stack-file key must be `<namespace>:<name>` with a known namespace; else an issue naming the closest. */
function namespaceIssue(key: string): Issue | undefined {
  const colon = key.indexOf(":");
  const ns = colon > 0 ? key.slice(0, colon) : "";
  const name = colon > 0 ? key.slice(colon + 1) : key;
  if (colon > 0 && name && (CONFIG_NAMESPACES as readonly string[]).includes(ns)) return undefined;
  const known = CONFIG_NAMESPACES.join(", ");
  if (!ns || !name) return { path: `config.${key}`, expected: `a key <namespace>:<name> (namespaces: ${known}), e.g. ${CONFIG_NAMESPACE}:${name || "environment"}`, found: `"${key}"` };
  const guess = closest(ns, CONFIG_NAMESPACES);
  return { path: `config.${key}`, expected: `a known config namespace (${known})${guess ? `; did you mean ${guess}:${name}?` : ""}`, found: `namespace "${ns}"` };
}

/**
 * Secrets are set with `pulumi config set --secret` and live encrypted in the stack file; a
 * fresh clone may not have them. On AWS environments the plan stands in a masked value for a
 * required secret that is unset, and says so; `pulumi up` still refuses to run without it.
 */
export function assumeUnsetSecrets(stack: string, stackConfig: Omit<StackConfigFile, "notes">): string[] {
  const env = stackConfig.config[`${CONFIG_NAMESPACE}:environment`];
  if (env === undefined || env === "local") return [];
  const notes: string[] = [];
  for (const key of SECRET_KEYS) {
    const full = `${CONFIG_NAMESPACE}:${key}`;
    if (full in stackConfig.config) continue;
    stackConfig.config[full] = SECRET;
    stackConfig.secretKeys.push(full);
    notes.push(`${full} is not set in ${stackFile(stack)}: planned as ${SECRET}; pulumi up needs \`pulumi config set --secret ${full} ...\``);
  }
  return notes;
}

/** The validated config of a stack, read from its stack file exactly as the plan reads it. */
export function loadStackConfig(stack: string, stacksDir?: string): PlatformConfig {
  return loadPlatformConfig(stack, namespacedConfig(readStackFile(stack, stacksDir).config));
}

